package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"lectern/internal/database"
	"lectern/internal/seed"
)

// A Fixture is the state a group of tests starts from. A test process
// loads each fixture once per dialect, into a template, and every database
// Fresh hands out starts as a copy of it: copying a SQLite file, or putting
// the template's rows back into a PostgreSQL database a test has finished
// with, costs far less than migrating and loading the rows again, so each
// test can have a database of its own and run beside the others.
type Fixture struct {
	name string
	// load fills a migrated, empty database; nil leaves it empty.
	load func(t testing.TB, db *database.DB)

	mu        sync.Mutex
	templates map[string]*fixtureTemplate
}

// fixtureTemplate is one dialect's source of a fixture's databases: a
// SQLite file to copy, or a pool of PostgreSQL databases.
type fixtureTemplate struct {
	once   sync.Once
	source string
	pool   *pgPool
	err    error
}

// NewFixture returns the fixture load leaves in a migrated database. name
// only labels the templates. load runs once per dialect in a test process,
// reporting to whichever test first asks for the fixture, and must leave
// nothing behind but rows: no open connections, no cleanup on t.
func NewFixture(name string, load func(t testing.TB, db *database.DB)) *Fixture {
	f := &Fixture{name: name, load: load, templates: map[string]*fixtureTemplate{}}
	fresh.mu.Lock()
	fresh.fixtures = append(fresh.fixtures, f)
	fresh.mu.Unlock()
	return f
}

var (
	// Empty is a migrated database without a row, what Open returns.
	Empty = NewFixture("empty", nil)
	// Demo is the demo dataset, as Seeded loads it: its accounts have no
	// password.
	Demo = NewFixture("demo", func(t testing.TB, db *database.DB) { Seeded(t, db) })
	// DemoSignIn is the demo dataset with each demo account's published
	// password set (seed.DemoAccounts), as dev runs it.
	DemoSignIn = NewFixture("demo_signin", func(t testing.TB, db *database.DB) {
		Seeded(t, db)
		hash := func(_ context.Context, pw string) (string, error) { return PasswordHash(t, pw), nil }
		if _, err := seed.SetDemoPasswords(context.Background(), db.Ent, hash); err != nil {
			t.Fatalf("demo passwords: %v", err)
		}
	})
)

// Fresh returns a database of the dialect holding the fixture's rows
// (Empty's when none is given), for the calling test alone: no other test
// sees it while this one runs, and it is closed when the test ends. A
// package whose tests use Fresh runs them through MainFresh, which removes
// the templates after the last test.
func Fresh(t testing.TB, dialect string, fixture ...*Fixture) *database.DB {
	t.Helper()
	dsn := FreshURL(t, dialect, fixture...)
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// EachDialect runs fn once per dialect, as parallel subtests named
// "sqlite" and "postgres". Unlike Each it hands fn no database: each test
// fn starts builds its own with Fresh, so that it can call t.Parallel
// without sharing rows with another. The PostgreSQL half is skipped (or,
// under CI=true, failed) like Open's when there is no test server.
func EachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(name(d), func(t *testing.T) {
			t.Parallel()
			if d == database.Postgres {
				Postgres(t)
			}
			fn(t, d)
		})
	}
}

// template returns the fixture's template for the dialect, building it on
// first use.
func (f *Fixture) template(t testing.TB, dialect string) *fixtureTemplate {
	t.Helper()
	f.mu.Lock()
	tmpl, ok := f.templates[dialect]
	if !ok {
		tmpl = &fixtureTemplate{}
		f.templates[dialect] = tmpl
	}
	f.mu.Unlock()
	tmpl.once.Do(func() {
		// A load that fails the test ends this function early; whoever
		// waits on the template then fails too instead of copying half a
		// fixture.
		tmpl.err = fmt.Errorf("the %s template was not built: see the test that built it", f.name)
		if dialect == database.Postgres {
			tmpl.pool = f.buildPostgres(t)
		} else {
			tmpl.source = f.buildSQLite(t)
		}
		tmpl.err = nil
	})
	if tmpl.err != nil {
		t.Fatal(tmpl.err)
	}
	return tmpl
}

func (f *Fixture) buildSQLite(t testing.TB) string {
	t.Helper()
	dir, err := freshDir()
	if err != nil {
		t.Fatalf("template directory: %v", err)
	}
	path := filepath.Join(dir, f.name+"-"+randomSuffix()+".db")
	db, err := database.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("open the %s template: %v", f.name, err)
	}
	defer db.Close()
	if err := migrateAll(db); err != nil {
		t.Fatalf("migrate the %s template: %v", f.name, err)
	}
	if f.load != nil {
		f.load(t, db)
	}
	// Everything into the main file, so that copying it copies it all.
	if _, err := db.SQL.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatalf("checkpoint the %s template: %v", f.name, err)
	}
	return path
}

// fresh holds what the process's templates leave outside it, for
// MainFresh to remove.
var fresh struct {
	mu       sync.Mutex
	fixtures []*Fixture
	dir      string
	postgres
}

// freshDir returns the directory of the process's SQLite templates.
func freshDir() (string, error) {
	fresh.mu.Lock()
	defer fresh.mu.Unlock()
	if fresh.dir == "" {
		dir, err := os.MkdirTemp("", "lectern-fixtures-")
		if err != nil {
			return "", err
		}
		fresh.dir = dir
	}
	return fresh.dir, nil
}

// MainFresh is Main for packages whose tests call Fresh: after the tests it
// also removes the fixture templates and what was made from them.
func MainFresh(m *testing.M) int {
	code := Main(m)
	fresh.mu.Lock()
	fixtures := fresh.fixtures
	fresh.mu.Unlock()
	err := closePostgres(fixtures)
	fresh.mu.Lock()
	if fresh.dir != "" {
		err = errors.Join(err, os.RemoveAll(fresh.dir))
	}
	fresh.mu.Unlock()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: removing the fixture templates: %v\n", err)
	}
	return code
}

// copySQLite copies a closed SQLite database, with its write-ahead log if
// one was left, to path.
func copySQLite(src, path string) error {
	if err := copyFile(src, path); err != nil {
		return err
	}
	if err := copyFile(src+"-wal", path+"-wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

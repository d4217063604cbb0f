package testenv

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/lib/pq"

	"lectern/internal/database"
)

// On PostgreSQL, Fresh hands out databases from a pool per fixture. Making a
// database from a template costs a good part of a second of server time,
// and dropping it more; putting the fixture's rows back into a database a
// test has finished with costs a few milliseconds. So each fixture's
// template keeps a copy of its rows in the schema snapshotSchema, every
// database made from it inherits that copy, and when a test ends its
// database is reset from it (every table emptied, the fixture's rows copied
// back) and kept for the next test. A database that cannot be reset is
// dropped instead.
const snapshotSchema = "testenv_fixture"

// postgres is the process's PostgreSQL work for Fresh: one connection pool
// to the server, and the templates and pooled databases to drop at the
// end.
type postgres struct {
	admin     *sql.DB
	databases []string
}

// pgPool is one fixture's template on PostgreSQL and the databases made
// from it that no test is using.
type pgPool struct {
	base, source string
	// reset is the SQL that brings a used database back to the fixture.
	reset string
	mu    sync.Mutex
	idle  []*pgDatabase
}

// pgDatabase is a pooled database, with a connection of its own for
// resetting it.
type pgDatabase struct {
	name string
	conn *sql.DB
}

// postgresDatabase hands the calling test a database holding the fixture
// and returns its URL; the database goes back to the pool after the test.
func (f *Fixture) postgresDatabase(t testing.TB) string {
	t.Helper()
	p := f.template(t, database.Postgres).pool
	d, err := p.take()
	if err != nil {
		t.Fatalf("a database of the %s fixture: %v", f.name, err)
	}
	t.Cleanup(func() { p.giveBack(d) })
	return withDatabase(p.base, d.name)
}

// take returns an idle database, or a new one when there is none.
func (p *pgPool) take() (*pgDatabase, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		d := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return d, nil
	}
	p.mu.Unlock()
	name := "lectern_test_" + randomSuffix()
	fresh.mu.Lock()
	admin := fresh.admin
	fresh.mu.Unlock()
	if _, err := admin.Exec("CREATE DATABASE " + name + " TEMPLATE " + p.source); err != nil {
		return nil, err
	}
	fresh.mu.Lock()
	fresh.databases = append(fresh.databases, name)
	fresh.mu.Unlock()
	// A test database needs no durability: not waiting for the disk at
	// each commit changes no answer, only how long the tests take.
	if _, err := admin.Exec("ALTER DATABASE " + name + " SET synchronous_commit = off"); err != nil {
		return nil, err
	}
	conn, err := sql.Open("postgres", withDatabase(p.base, name))
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	return &pgDatabase{name: name, conn: conn}, nil
}

// giveBack resets d after its test and keeps it for the next one; a
// database that will not reset is dropped, so no test starts from
// another's rows.
func (p *pgPool) giveBack(d *pgDatabase) {
	// Whatever the test left connected (it has closed its pool; a
	// connection may still be on its way out) would hold locks the reset
	// waits for.
	_, err := d.conn.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err == nil {
		_, err = d.conn.Exec(p.reset)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: reset %s, dropping it instead: %v\n", d.name, err)
		_ = d.conn.Close()
		fresh.mu.Lock()
		admin := fresh.admin
		fresh.mu.Unlock()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + d.name + " WITH (FORCE)")
		return
	}
	p.mu.Lock()
	p.idle = append(p.idle, d)
	p.mu.Unlock()
}

// buildPostgres makes the fixture's template: a copy of the migrated
// template, loaded, with a snapshot of its rows to reset copies from.
func (f *Fixture) buildPostgres(t testing.TB) *pgPool {
	t.Helper()
	base := Postgres(t)
	admin := freshAdmin(t, base)
	template.once.Do(func() { template.name, template.err = makeTemplate(base, admin) })
	if template.err != nil {
		t.Fatalf("postgres template: %v", template.err)
	}
	name := "lectern_fixture_" + randomSuffix()
	if _, err := admin.Exec("CREATE DATABASE " + name + " TEMPLATE " + template.name); err != nil {
		t.Fatalf("create the %s template: %v", f.name, err)
	}
	fresh.mu.Lock()
	fresh.databases = append(fresh.databases, name)
	fresh.mu.Unlock()
	db, err := database.Open(context.Background(), withDatabase(base, name))
	if err != nil {
		t.Fatalf("open the %s template: %v", f.name, err)
	}
	defer db.Close()
	if f.load != nil {
		f.load(t, db)
	}
	reset, err := snapshot(db.SQL)
	if err != nil {
		t.Fatalf("snapshot the %s template: %v", f.name, err)
	}
	return &pgPool{base: base, source: name, reset: reset}
}

// snapshot copies the rows of every table of the public schema into
// snapshotSchema and returns the SQL that empties those tables and copies
// the rows back: deleting children before parents and inserting parents
// before children, so that no foreign key is broken on the way.
func snapshot(db *sql.DB) (string, error) {
	tables, err := tablesParentsFirst(db)
	if err != nil {
		return "", err
	}
	if _, err := db.Exec("CREATE SCHEMA " + snapshotSchema); err != nil {
		return "", err
	}
	var deletes, inserts []string
	for i := len(tables) - 1; i >= 0; i-- {
		deletes = append(deletes, "DELETE FROM public."+pq.QuoteIdentifier(tables[i])+";")
	}
	for _, table := range tables {
		var filled bool
		if err := db.QueryRow("SELECT EXISTS (SELECT 1 FROM public." + pq.QuoteIdentifier(table) + ")").Scan(&filled); err != nil {
			return "", err
		}
		if !filled {
			continue
		}
		copyOf := snapshotSchema + "." + pq.QuoteIdentifier(table)
		if _, err := db.Exec("CREATE TABLE " + copyOf + " AS SELECT * FROM public." + pq.QuoteIdentifier(table)); err != nil {
			return "", err
		}
		cols, err := writableColumns(db, table)
		if err != nil {
			return "", err
		}
		inserts = append(inserts, fmt.Sprintf("INSERT INTO public.%s (%s) OVERRIDING SYSTEM VALUE SELECT %[2]s FROM %s;",
			pq.QuoteIdentifier(table), cols, copyOf))
	}
	// Foreign keys that form a cycle (a course's cover is an asset of the
	// course) have no safe order: the restore turns the foreign keys'
	// triggers off for its transaction, which the suite's superuser may.
	return "BEGIN;\nSET LOCAL session_replication_role = replica;\n" + strings.Join(deletes, "\n") + "\n" + strings.Join(inserts, "\n") + "\nCOMMIT;", nil
}

// tablesParentsFirst lists the tables of the public schema, each after
// every table its foreign keys point at, as far as cycles allow (a cycle
// is cut where it is found).
func tablesParentsFirst(db *sql.DB) ([]string, error) {
	names, err := queryColumn(db, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(`SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
		WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	parents := map[string][]string{}
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			return nil, err
		}
		if child != parent {
			parents[child] = append(parents[child], parent)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var ordered []string
	state := map[string]int{} // 1 while visiting, 2 once placed
	var visit func(string) error
	visit = func(table string) error {
		switch state[table] {
		case 1, 2:
			return nil
		}
		state[table] = 1
		for _, p := range parents[table] {
			if err := visit(p); err != nil {
				return err
			}
		}
		state[table] = 2
		ordered = append(ordered, table)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return ordered, nil
}

// writableColumns lists, quoted and comma-separated, the columns of a
// public table an INSERT may set (generated ones excluded).
func writableColumns(db *sql.DB, table string) (string, error) {
	cols, err := queryColumn(db, `SELECT quote_ident(attname) FROM pg_attribute
		WHERE attrelid = ('public.' || quote_ident($1))::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
		ORDER BY attnum`, table)
	if err != nil {
		return "", err
	}
	return strings.Join(cols, ", "), nil
}

func queryColumn(db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// freshAdmin returns the process's connection pool to the PostgreSQL
// server, opening it on first use.
func freshAdmin(t testing.TB, base string) *sql.DB {
	t.Helper()
	fresh.mu.Lock()
	defer fresh.mu.Unlock()
	if fresh.admin == nil {
		admin, err := sql.Open("postgres", base)
		if err != nil {
			t.Fatalf("postgres: %v", err)
		}
		if err := admin.Ping(); err != nil {
			_ = admin.Close()
			t.Fatalf("postgres at TEST_DATABASE_URL is unreachable: %v", err)
		}
		fresh.admin = admin
	}
	return fresh.admin
}

// closePostgres drops every template and pooled database and closes the
// connections.
func closePostgres(fixtures []*Fixture) error {
	var errs []error
	for _, f := range fixtures {
		f.mu.Lock()
		if tmpl := f.templates[database.Postgres]; tmpl != nil && tmpl.pool != nil {
			for _, d := range tmpl.pool.idle {
				errs = append(errs, d.conn.Close())
			}
		}
		f.mu.Unlock()
	}
	fresh.mu.Lock()
	defer fresh.mu.Unlock()
	if fresh.admin == nil {
		return errors.Join(errs...)
	}
	for _, name := range fresh.databases {
		if _, err := fresh.admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, fresh.admin.Close())...)
}

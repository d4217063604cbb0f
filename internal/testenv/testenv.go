// Package testenv gives tests real databases and a real HTTP handler:
// SQLite in a temporary directory, and PostgreSQL when TEST_DATABASE_URL
// points at a server (each test gets its own database, created from a
// migrated template and dropped afterwards). With CI=true a missing or
// unreachable PostgreSQL fails the run instead of skipping.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/lib/pq"

	"lectern/internal/database"
	"lectern/internal/jobs"
)

// Dialects names the databases every integration test runs on.
var Dialects = []string{database.SQLite, database.Postgres}

// Each runs fn once per dialect, as subtests named "sqlite" and "postgres",
// each with a fresh, migrated, empty database.
func Each(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(name(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

func name(dialect string) string {
	if dialect == database.Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Open returns a fresh, migrated, empty database of the dialect, closed
// (and for PostgreSQL dropped) when the test ends.
func Open(t testing.TB, dialect string) *database.DB {
	t.Helper()
	var dsn string
	if dialect == database.Postgres {
		dsn = postgresDB(t)
	} else {
		dsn = "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if dialect == database.SQLite {
		if err := migrateAll(db); err != nil {
			t.Fatalf("migrate sqlite: %v", err)
		}
	}
	return db
}

// migrateAll brings db to the state `lectern migrate` leaves: Lectern's
// migrations and the job queue's.
func migrateAll(db *database.DB) error {
	if _, err := db.Migrate(context.Background()); err != nil {
		return err
	}
	_, err := jobs.Migrate(context.Background(), db)
	return err
}

// Postgres returns the admin connection URL of the test server; it skips
// the test (fails it under CI=true) when there is none.
func Postgres(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL is not set; CI must run the suite on PostgreSQL too")
		}
		t.Skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
	}
	return u
}

var template struct {
	once sync.Once
	name string
	err  error
}

// postgresDB creates a database for one test from the package's migrated
// template (copying a template is much faster than migrating each time).
func postgresDB(t testing.TB) string {
	t.Helper()
	base := Postgres(t)
	admin := adminConn(t, base)
	template.once.Do(func() { template.name, template.err = makeTemplate(base, admin) })
	if template.err != nil {
		t.Fatalf("postgres template: %v", template.err)
	}
	return createDatabase(t, base, admin, " TEMPLATE "+template.name)
}

// EmptyPostgres returns the URL of a new PostgreSQL database with nothing in
// it (not even migrations), dropped when the test ends. It skips or fails
// like Postgres when there is no test server.
func EmptyPostgres(t testing.TB) string {
	t.Helper()
	base := Postgres(t)
	return createDatabase(t, base, adminConn(t, base), "")
}

// createDatabase creates a uniquely named database (with the given CREATE
// DATABASE options) and drops it when the test ends.
func createDatabase(t testing.TB, base string, admin *sql.DB, options string) string {
	t.Helper()
	name := "lectern_test_" + randomSuffix()
	if _, err := admin.Exec("CREATE DATABASE " + name + options); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	})
	return withDatabase(base, name)
}

func adminConn(t testing.TB, base string) *sql.DB {
	t.Helper()
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	if err := admin.Ping(); err != nil {
		t.Fatalf("postgres at TEST_DATABASE_URL is unreachable: %v", err)
	}
	return admin
}

func makeTemplate(base string, admin *sql.DB) (string, error) {
	name := "lectern_tmpl_" + randomSuffix()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		return "", err
	}
	db, err := database.Open(context.Background(), withDatabase(base, name))
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := migrateAll(db); err != nil {
		return "", err
	}
	return name, nil
}

// Main runs a package's tests and drops its PostgreSQL template afterwards.
// Call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if template.name != "" {
		if admin, err := sql.Open("postgres", os.Getenv("TEST_DATABASE_URL")); err == nil {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS " + template.name + " WITH (FORCE)")
			_ = admin.Close()
		}
	}
	return code
}

func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}

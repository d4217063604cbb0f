package database_test

import (
	"context"
	"path/filepath"
	"testing"

	"lectern/internal/database"
	"lectern/internal/testenv"
)

// dialectName names a dialect's subtest the way testenv.Each does.
func dialectName(dialect string) string {
	if dialect == database.Postgres {
		return "postgres"
	}
	return "sqlite"
}

// emptyURL returns the URL of a new database with nothing in it (not even
// the migrations), removed when the test ends. testenv.Open cannot serve
// here: its databases are migrated already.
func emptyURL(t testing.TB, dialect string) string {
	t.Helper()
	if dialect != database.Postgres {
		return "sqlite:" + filepath.Join(t.TempDir(), "empty.db")
	}
	return testenv.EmptyPostgres(t)
}

// openURL opens url with database.Open, closing it when the test ends.
func openURL(t testing.TB, url string) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// emptyDB opens a new database with no tables at all.
func emptyDB(t testing.TB, dialect string) *database.DB {
	t.Helper()
	return openURL(t, emptyURL(t, dialect))
}

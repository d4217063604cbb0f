package database_test

import (
	"context"
	"testing"

	"lectern/internal/database"
	"lectern/internal/seed"
	"lectern/internal/testenv"
)

// TestAnalyze: after a bulk load the planner knows the tables. On SQLite
// that is the rows per key (sqlite_stat1) without the value samples
// (sqlite_stat4), under which a kept statement was compiled again at every
// run; a database analysed by hand loses its samples at the next
// migration.
func TestAnalyze(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if err := seed.Synthetic(ctx, db.Ent, 3, 1, testenv.Now); err != nil {
			t.Fatal(err)
		}
		if err := db.Analyze(ctx); err != nil {
			t.Fatal(err)
		}
		if db.Dialect == database.Postgres {
			if n := count(t, db, `SELECT COUNT(*) FROM pg_stats WHERE tablename = 'lessons'`); n == 0 {
				t.Fatal("no statistics on lessons after Analyze")
			}
			return
		}
		if n := count(t, db, `SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'lessons'`); n == 0 {
			t.Fatal("no rows per key for lessons after Analyze")
		}
		samples := `SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat4'`
		if n := count(t, db, samples); n != 0 {
			t.Fatal("Analyze left the value samples (sqlite_stat4)")
		}

		if _, err := db.SQL.ExecContext(ctx, "ANALYZE"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, samples); n != 1 {
			t.Fatal("a plain ANALYZE took no value samples: this SQLite build lacks STAT4 and the test proves nothing")
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, samples); n != 0 {
			t.Fatal("Migrate left the value samples of a database analysed by hand")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'lessons'`); n == 0 {
			t.Fatal("Migrate dropped the rows per key too")
		}
	})
}

// count runs a statement answering one number.
func count(t *testing.T, db *database.DB, query string) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRowContext(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

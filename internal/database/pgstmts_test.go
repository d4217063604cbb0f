package database_test

import (
	"context"
	"fmt"
	"testing"

	"lectern/internal/database"
	"lectern/internal/testenv"
)

// TestPostgresStatementCache: on PostgreSQL each pooled connection keeps
// the statements it ran with arguments prepared, within a bound; a
// statement whose plan a migration made stale is prepared again after the
// one call that fails. Sessions plan for data in memory or on SSD.
func TestPostgresStatementCache(t *testing.T) {
	t.Parallel()
	db := testenv.Open(t, database.Postgres)
	ctx := context.Background()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	prepared := func() int {
		t.Helper()
		var n int
		// Prepared itself at its first run, so every count includes it.
		if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_prepared_statements`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var cost string
	if err := conn.QueryRowContext(ctx, `SHOW random_page_cost`).Scan(&cost); err != nil || cost != "1.1" {
		t.Fatalf("random_page_cost = %q (%v), want 1.1", cost, err)
	}

	base := prepared()
	for range 3 {
		var one int
		if err := conn.QueryRowContext(ctx, `SELECT $1::int`, 1).Scan(&one); err != nil || one != 1 {
			t.Fatalf("SELECT $1 = %d, %v", one, err)
		}
	}
	if got := prepared(); got != base+1 {
		t.Fatalf("one statement run 3 times left %d prepared, want %d", got, base+1)
	}
	// A single SELECT without arguments is prepared too; a text of
	// several statements runs as it is.
	for range 3 {
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT 42`).Scan(&n); err != nil || n != 42 {
			t.Fatalf("SELECT 42 = %d, %v", n, err)
		}
		if _, err := conn.ExecContext(ctx, `SELECT 1; SELECT 2`); err != nil {
			t.Fatalf("two statements: %v", err)
		}
		rows, err := conn.QueryContext(ctx, `SELECT 1; SELECT 2`)
		if err != nil {
			t.Fatalf("two statements: %v", err)
		}
		rows.Close()
	}
	if got := prepared(); got != base+2 {
		t.Fatalf("after SELECT 42 and a two-statement text, %d prepared, want %d", got, base+2)
	}
	for i := range 300 {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`SELECT $1::int + %d`, i), i); err != nil {
			t.Fatal(err)
		}
	}
	if got := prepared(); got > 200 {
		t.Fatalf("300 distinct statements left %d prepared; the cache is unbounded", got)
	}

	if _, err := conn.ExecContext(ctx, `CREATE TABLE stale (id int)`); err != nil {
		t.Fatal(err)
	}
	count := func() error {
		var n int
		return conn.QueryRowContext(ctx, `SELECT * FROM stale WHERE id <> $1`, 0).Scan(&n)
	}
	if err := count(); err == nil {
		t.Fatal("an empty table returned a row")
	}
	if _, err := db.SQL.ExecContext(ctx, `ALTER TABLE stale ADD COLUMN name text`); err != nil {
		t.Fatal(err)
	}
	_ = count() // may fail once: "cached plan must not change result type"
	if _, err := conn.ExecContext(ctx, `INSERT INTO stale VALUES ($1, 'x')`, 1); err != nil {
		t.Fatal(err)
	}
	var id int
	var name string
	if err := conn.QueryRowContext(ctx, `SELECT * FROM stale WHERE id <> $1`, 0).Scan(&id, &name); err != nil || name != "x" {
		t.Fatalf("after the table changed: %d %q %v; the stale statement was not prepared again", id, name, err)
	}
}

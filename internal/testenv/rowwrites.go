package testenv

import (
	"context"
	"fmt"
	"testing"

	"lectern/internal/database"
)

// RowWrites counts, in the database itself, the rows that statements
// insert, update and delete in a set of tables: row-level triggers add one
// to a counter per row written, whichever code or statement wrote it. A
// test asserts what a request cost in rows with it, on both dialects.
//
// The triggers see every connection, so counts include whatever else runs
// against the database meanwhile: take them around one request at a time.
type RowWrites struct {
	db *database.DB
}

// rowWritesSchema holds the counters and the trigger function on
// PostgreSQL: outside public, so that nothing the fixture pool resets or
// copies sees them, and dropped with one statement.
const rowWritesSchema = "testenv_row_writes"

// rowWritesTable is the counter table on SQLite, which has no schemas.
const rowWritesTable = "testenv_row_writes"

var rowWriteOps = []string{"INSERT", "UPDATE", "DELETE"}

// CountRowWrites installs the counting triggers on tables of db and
// removes them (triggers, counters and function) when the test ends, before
// the database goes back to its pool.
func CountRowWrites(t testing.TB, db *database.DB, tables ...string) *RowWrites {
	t.Helper()
	var stmts, drop []string
	switch db.Dialect {
	case database.Postgres:
		drop = []string{"DROP SCHEMA IF EXISTS " + rowWritesSchema + " CASCADE"}
		stmts = append(stmts, drop...)
		stmts = append(stmts,
			"CREATE SCHEMA "+rowWritesSchema,
			"CREATE TABLE "+rowWritesSchema+".counts (what text PRIMARY KEY, n bigint NOT NULL)",
			`CREATE FUNCTION `+rowWritesSchema+`.count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE `+rowWritesSchema+`.counts SET n = n + 1 WHERE what = TG_TABLE_NAME || ' ' || TG_OP;
  RETURN NULL;
END $$`)
		for _, table := range tables {
			// Dropping the function (with its schema) drops these too.
			stmts = append(stmts, fmt.Sprintf(`CREATE TRIGGER testenv_row_writes AFTER INSERT OR UPDATE OR DELETE ON public.%s
FOR EACH ROW EXECUTE FUNCTION %s.count()`, table, rowWritesSchema))
		}
	default:
		stmts = append(stmts, "CREATE TABLE "+rowWritesTable+" (what text PRIMARY KEY, n integer NOT NULL)")
		drop = append(drop, "DROP TABLE "+rowWritesTable)
		for _, table := range tables {
			for _, op := range rowWriteOps {
				name := fmt.Sprintf("%s_%s_%s", rowWritesTable, table, op)
				stmts = append(stmts, fmt.Sprintf(`CREATE TRIGGER %s AFTER %s ON %s FOR EACH ROW BEGIN
  UPDATE %s SET n = n + 1 WHERE what = '%s %s';
END`, name, op, table, rowWritesTable, table, op))
				drop = append([]string{"DROP TRIGGER " + name}, drop...)
			}
		}
	}
	counts := rowWritesTable
	if db.Dialect == database.Postgres {
		counts = rowWritesSchema + ".counts"
	}
	for _, table := range tables {
		for _, op := range rowWriteOps {
			stmts = append(stmts, fmt.Sprintf("INSERT INTO %s (what, n) VALUES ('%s %s', 0)", counts, table, op))
		}
	}
	ctx := context.Background()
	t.Cleanup(func() {
		for _, q := range drop {
			if _, err := db.SQL.ExecContext(ctx, q); err != nil {
				t.Errorf("remove the row-counting triggers: %s: %v", q, err)
			}
		}
	})
	for _, q := range stmts {
		if _, err := db.SQL.ExecContext(ctx, q); err != nil {
			t.Fatalf("install the row-counting triggers: %s: %v", q, err)
		}
	}
	return &RowWrites{db: db}
}

// RowCounts are rows written, by "table OP" (e.g. "enrollments UPDATE").
type RowCounts map[string]int

// Total is the number of rows written, all tables and operations together.
func (c RowCounts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Take returns the rows written since the triggers were installed or last
// taken (only the table operations that wrote some), and starts again from
// zero.
func (w *RowWrites) Take(t testing.TB) RowCounts {
	t.Helper()
	counts := rowWritesTable
	if w.db.Dialect == database.Postgres {
		counts = rowWritesSchema + ".counts"
	}
	ctx := context.Background()
	rows, err := w.db.SQL.QueryContext(ctx, "SELECT what, n FROM "+counts+" WHERE n > 0")
	if err != nil {
		t.Fatalf("read the row counts: %v", err)
	}
	defer rows.Close()
	out := RowCounts{}
	for rows.Next() {
		var what string
		var n int
		if err := rows.Scan(&what, &n); err != nil {
			t.Fatalf("read the row counts: %v", err)
		}
		out[what] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read the row counts: %v", err)
	}
	if _, err := w.db.SQL.ExecContext(ctx, "UPDATE "+counts+" SET n = 0 WHERE n > 0"); err != nil {
		t.Fatalf("reset the row counts: %v", err)
	}
	return out
}

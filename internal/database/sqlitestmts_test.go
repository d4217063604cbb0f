package database

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

// openSQLiteFile opens a SQLite database file as Lectern does, with one
// table of three rows.
func openSQLiteFile(t *testing.T) *sql.DB {
	t.Helper()
	_, db, err := openSQL("sqlite:" + filepath.Join(t.TempDir(), "stmts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (n INTEGER NOT NULL); INSERT INTO t (n) VALUES (1), (2), (3)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// oneConn returns one connection of db, closed when the test ends.
func oneConn(t *testing.T, db *sql.DB) *sql.Conn {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func readInts(t *testing.T, rows *sql.Rows) []int {
	t.Helper()
	var out []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSQLiteCachedStatements covers what keeping statements compiled must
// not change: two cursors of one statement on one connection, a statement
// the cache lets go while its rows are open, a schema change under a kept
// statement, and a failed run followed by a good one.
func TestSQLiteCachedStatements(t *testing.T) {
	ctx := context.Background()
	const q = `SELECT n FROM t WHERE n >= ? ORDER BY n`

	t.Run("TwoCursorsOfOneStatement", func(t *testing.T) {
		db := openSQLiteFile(t)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		first, err := tx.QueryContext(ctx, q, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !first.Next() {
			t.Fatal("no first row")
		}
		second, err := tx.QueryContext(ctx, q, 2) // while first is open
		if err != nil {
			t.Fatal(err)
		}
		if got := readInts(t, second); !slices.Equal(got, []int{2, 3}) {
			t.Errorf("second cursor = %v, want [2 3]", got)
		}
		var n int
		if err := first.Scan(&n); err != nil || n != 1 {
			t.Fatalf("first cursor's first row = %d, %v", n, err)
		}
		if got := readInts(t, first); !slices.Equal(got, []int{2, 3}) {
			t.Errorf("first cursor's rest = %v, want [2 3]", got)
		}
		again, err := tx.QueryContext(ctx, q, 3)
		if err != nil {
			t.Fatal(err)
		}
		if got := readInts(t, again); !slices.Equal(got, []int{3}) {
			t.Errorf("after both closed = %v, want [3]", got)
		}
	})

	t.Run("EvictedWhileOpen", func(t *testing.T) {
		db := openSQLiteFile(t)
		conn := oneConn(t, db)
		open, err := conn.QueryContext(ctx, q, 1)
		if err != nil {
			t.Fatal(err)
		}
		for i := range sqliteStmtCacheSize + 5 { // pushes q out of the cache
			var n int
			if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
				t.Fatalf("SELECT %d = %d, %v", i, n, err)
			}
		}
		if got := readInts(t, open); !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("evicted statement's rows = %v, want [1 2 3]", got)
		}
		rows, err := conn.QueryContext(ctx, q, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := readInts(t, rows); !slices.Equal(got, []int{2, 3}) {
			t.Errorf("prepared again = %v, want [2 3]", got)
		}
	})

	t.Run("SchemaChange", func(t *testing.T) {
		db := openSQLiteFile(t)
		conn := oneConn(t, db)
		columns := func() []string {
			rows, err := conn.QueryContext(ctx, `SELECT * FROM t`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cols, err := rows.Columns()
			if err != nil {
				t.Fatal(err)
			}
			return cols
		}
		if got := columns(); !slices.Equal(got, []string{"n"}) {
			t.Fatalf("columns = %v", got)
		}
		if _, err := conn.ExecContext(ctx, `ALTER TABLE t ADD COLUMN label TEXT`); err != nil {
			t.Fatal(err)
		}
		if got := columns(); !slices.Equal(got, []string{"n", "label"}) {
			t.Errorf("columns after ALTER TABLE = %v, want [n label]", got)
		}
	})

	t.Run("KeepsWhatComesAgain", func(t *testing.T) {
		db := openSQLiteFile(t)
		conn := oneConn(t, db)
		for i := range 3 {
			rows, err := conn.QueryContext(ctx, q, 1)
			if err != nil {
				t.Fatal(err)
			}
			readInts(t, rows)
			name := fmt.Sprintf("sp_%d", i) // a savepoint named anew, as RequestTx names them
			for _, stmt := range []string{"BEGIN", "SAVEPOINT " + name, "RELEASE SAVEPOINT " + name, "COMMIT"} {
				if _, err := conn.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
		}
		err := conn.Raw(func(dc any) error {
			sc, ok := dc.(*sqliteConn)
			if !ok {
				t.Fatalf("connection is %T, want *sqliteConn", dc)
			}
			var kept []string
			for e := sc.stmts.lru.Front(); e != nil; e = e.Next() {
				kept = append(kept, e.Value.(*cached).query)
			}
			if !slices.Equal(kept, []string{q}) {
				t.Errorf("kept %q, want only the query with parameters", kept)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("FailureThenSuccess", func(t *testing.T) {
		db := openSQLiteFile(t)
		conn := oneConn(t, db)
		if _, err := conn.ExecContext(ctx, `CREATE UNIQUE INDEX t_n ON t (n)`); err != nil {
			t.Fatal(err)
		}
		const ins = `INSERT INTO t (n) VALUES (?)`
		if _, err := conn.ExecContext(ctx, ins, 1); err == nil {
			t.Fatal("a duplicate was inserted")
		}
		if _, err := conn.ExecContext(ctx, ins, 4); err != nil {
			t.Fatalf("the same statement after a failure: %v", err)
		}
		rows, err := conn.QueryContext(ctx, q, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := readInts(t, rows); !slices.Equal(got, []int{1, 2, 3, 4}) {
			t.Errorf("rows = %v, want [1 2 3 4]", got)
		}
	})
}

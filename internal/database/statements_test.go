package database_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/user"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

func TestStatementLog(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Run("RecordsStatementsOutsideTransactions", func(t *testing.T) {
			ctx, log := database.WithStatementLog(viewer.SystemContext(context.Background()))
			if _, err := db.Ent.User.Query().Count(ctx); err != nil {
				t.Fatalf("count: %v", err)
			}
			if _, err := db.Ent.ExecContext(ctx, `UPDATE users SET bio = '' WHERE 1 = 0`); err != nil {
				t.Fatalf("exec: %v", err)
			}
			got := log.Statements()
			if len(got) != 2 || !hasStatement(got, "SELECT COUNT") || !hasStatement(got, "UPDATE users SET bio") {
				t.Fatalf("statements = %q, want the count and the update", got)
			}
		})

		t.Run("RecordsStatementsInsideTransactions", func(t *testing.T) {
			ctx, log := database.WithStatementLog(viewer.SystemContext(context.Background()))
			err := database.InTx(ctx, db.Ent, func(tx *ent.Tx) error {
				if err := tx.User.Create().SetEmail("tx@example.com").SetDisplayName("Tx").Exec(ctx); err != nil {
					return err
				}
				if _, err := tx.User.Query().Where(user.Email("tx@example.com")).Only(ctx); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `UPDATE users SET bio = 'raw' WHERE email = $1`, "tx@example.com")
				return err
			})
			if err != nil {
				t.Fatalf("transaction: %v", err)
			}
			got := log.Statements()
			for _, want := range []string{"INSERT INTO", "SELECT", "UPDATE users SET bio = 'raw'"} {
				if !hasStatement(got, want) {
					t.Errorf("no statement containing %q in %q", want, got)
				}
			}
			if len(got) != 3 {
				t.Errorf("recorded %d statements, want 3: %q", len(got), got)
			}
			if database.StatementsFrom(ctx) == nil {
				t.Errorf("StatementsFrom(ctx) = nil for a context with a log")
			}
		})

		t.Run("RecordsStatementsOfRolledBackTransactions", func(t *testing.T) {
			ctx, log := database.WithStatementLog(viewer.SystemContext(context.Background()))
			errBoom := errors.New("boom")
			err := database.InTx(ctx, db.Ent, func(tx *ent.Tx) error {
				if err := tx.User.Create().SetEmail("gone@example.com").SetDisplayName("Gone").Exec(ctx); err != nil {
					return err
				}
				return errBoom
			})
			if !errors.Is(err, errBoom) {
				t.Fatalf("InTx error = %v, want the function's error", err)
			}
			if !hasStatement(log.Statements(), "INSERT INTO") {
				t.Fatalf("statements = %q, want the insert", log.Statements())
			}
			n, err := db.Ent.User.Query().Where(user.Email("gone@example.com")).Count(viewer.SystemContext(context.Background()))
			if err != nil || n != 0 {
				t.Fatalf("rolled-back user count = %d, %v; want 0", n, err)
			}
		})

		// Statements Lectern writes by hand (the throttle's counters, the
		// session lookup) count as ent's do, in and outside a RequestTx.
		t.Run("RecordsExecAndQueryRow", func(t *testing.T) {
			for _, inRequest := range []bool{false, true} {
				ctx, log := database.WithStatementLog(viewer.SystemContext(context.Background()))
				var rt *database.RequestTx
				if inRequest {
					var err error
					if ctx, rt, err = db.BeginRequest(ctx); err != nil {
						t.Fatalf("begin request: %v", err)
					}
				}
				before := database.StatementsRun()
				var n int
				if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
					t.Fatalf("query row: %v", err)
				}
				if _, err := db.Exec(ctx, `UPDATE users SET bio = '' WHERE 1 = 0`); err != nil {
					t.Fatalf("exec: %v", err)
				}
				if rt != nil {
					if err := rt.Commit(); err != nil {
						t.Fatalf("commit: %v", err)
					}
				}
				got := log.Statements()
				if len(got) != 2 || !hasStatement(got, "SELECT COUNT(*) FROM users") || !hasStatement(got, "UPDATE users SET bio") {
					t.Errorf("in request %v: statements = %q, want the count and the update", inRequest, got)
				}
				if run := database.StatementsRun() - before; run < 2 {
					t.Errorf("in request %v: StatementsRun grew by %d, want at least 2", inRequest, run)
				}
			}
		})

		t.Run("RecordsNothingWithoutLog", func(t *testing.T) {
			ctx := viewer.SystemContext(context.Background())
			if _, err := db.Ent.User.Query().Count(ctx); err != nil {
				t.Fatalf("count: %v", err)
			}
			if got := database.StatementsFrom(ctx); got != nil {
				t.Fatalf("StatementsFrom without a log = %q, want nil", got)
			}
		})
	})
}

func hasStatement(stmts []string, fragment string) bool {
	for _, s := range stmts {
		if strings.Contains(s, fragment) {
			return true
		}
	}
	return false
}

// TestRowsDescribeTheirColumnsOnce: a query's rows describe their columns
// once however often they are asked (ent asks again for every row with a
// column it does not know), on their own and inside a request's
// transaction, and the description is the columns'.
func TestRowsDescribeTheirColumnsOnce(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		base := viewer.SystemContext(context.Background())
		reqCtx, rt, err := db.BeginRequest(base)
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Rollback()
		for name, ctx := range map[string]context.Context{"Alone": base, "InRequest": reqCtx} {
			t.Run(name, func(t *testing.T) {
				rows, err := db.OpenRows(ctx, "SELECT id, display_name FROM users WHERE id = $1", uuid.New())
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				first, err := rows.ColumnTypes()
				if err != nil {
					t.Fatal(err)
				}
				again, err := rows.ColumnTypes()
				if err != nil {
					t.Fatal(err)
				}
				if len(first) != 2 || first[0].Name() != "id" || first[1].Name() != "display_name" {
					t.Fatalf("columns %v", first)
				}
				if len(again) != len(first) || again[0] != first[0] || again[1] != first[1] {
					t.Fatal("the columns were described twice")
				}
			})
		}
	})
}

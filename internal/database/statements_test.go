package database_test

import (
	"context"
	"errors"
	"strings"
	"testing"

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

package database_test

import (
	"context"
	"errors"
	"testing"

	"lectern/ent"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// TestTransactWrites proves every kind of ent write runs inside the open
// transaction — including UpdateOne, which begins a transaction of its
// own when it can — and that rollback undoes them all.
func TestTransactWrites(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.SystemContext(context.Background())
		u := db.Ent.User.Create().SetEmail("tx@example.com").SetDisplayName("Before").SaveX(ctx)
		write := func(tx *database.Tx) error {
			if _, err := tx.User.UpdateOne(u).SetDisplayName("After").Save(ctx); err != nil {
				return err
			}
			if _, err := tx.User.Update().SetBio("bio").Save(ctx); err != nil {
				return err
			}
			return tx.User.Create().SetEmail("tx2@example.com").SetDisplayName("Two").Exec(ctx)
		}
		boom := errors.New("boom")
		if err := db.Transact(ctx, func(tx *database.Tx) error {
			if err := write(tx); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("rolled-back Transact: %v", err)
		}
		if got := db.Ent.User.GetX(ctx, u.ID); got.DisplayName != "Before" || got.Bio != "" || db.Ent.User.Query().CountX(ctx) != 1 {
			t.Fatalf("after rollback: name %q, bio %q, %d users", got.DisplayName, got.Bio, db.Ent.User.Query().CountX(ctx))
		}
		if err := db.Transact(ctx, write); err != nil {
			t.Fatalf("Transact: %v", err)
		}
		if got := db.Ent.User.GetX(ctx, u.ID); got.DisplayName != "After" || got.Bio != "bio" || db.Ent.User.Query().CountX(ctx) != 2 {
			t.Fatalf("after commit: name %q, bio %q", got.DisplayName, got.Bio)
		}
	})
}

// TestTransactEntitiesOutliveTheTransaction proves an entity returned from
// Transact can still load its edges (as a GraphQL resolver of a mutation's
// payload does) after the transaction has committed.
func TestTransactEntitiesOutliveTheTransaction(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.SystemContext(context.Background())
		var created *ent.User
		if err := db.Transact(ctx, func(tx *database.Tx) error {
			var err error
			created, err = tx.User.Create().SetEmail("edge@example.com").SetDisplayName("Edge").Save(ctx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		n, err := created.QueryEnrollments().Count(ctx)
		if err != nil || n != 0 {
			t.Fatalf("edge query after commit: %d, %v", n, err)
		}
		if err := created.Update().SetDisplayName("Later").Exec(ctx); err != nil {
			t.Fatalf("update after commit: %v", err)
		}
	})
}

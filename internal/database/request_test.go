package database_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"lectern/ent/user"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// TestRequestTxHoldsEveryWrite proves that under a RequestTx the writes of
// Transact, of ent's own transactions and of single statements all wait
// for its commit, are undone by its rollback, and are reported to
// watchers only once it commits.
func TestRequestTxHoldsEveryWrite(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		base := viewer.SystemContext(context.Background())
		w := &changes{}
		defer db.Watch([]string{"users"}, w.notify)()
		write := func(ctx context.Context, n int) {
			t.Helper()
			if err := db.Transact(ctx, func(tx *database.Tx) error {
				tx.Touch(fmt.Sprintf("user:%d", n))
				return tx.User.Create().SetEmail(fmt.Sprintf("tx%d@example.com", n)).SetDisplayName("In Transact").Exec(ctx)
			}); err != nil {
				t.Fatal(err)
			}
			if err := db.Ent.User.Create().SetEmail(fmt.Sprintf("single%d@example.com", n)).SetDisplayName("Single").
				Exec(database.Touching(ctx, "single")); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `UPDATE users SET bio = 'raw' WHERE email = $1`, fmt.Sprintf("single%d@example.com", n)); err != nil {
				t.Fatal(err)
			}
		}
		count := func() int { return db.Ent.User.Query().CountX(base) }

		ctx, rt, err := db.BeginRequest(base)
		if err != nil {
			t.Fatal(err)
		}
		write(ctx, 1)
		if got := db.Ent.User.Query().CountX(ctx); got != 2 {
			t.Fatalf("inside the request: %d users, want 2", got)
		}
		if count() != 0 || len(w.take()) != 0 {
			t.Fatal("writes seen before the request committed")
		}
		if err := rt.Rollback(); err != nil {
			t.Fatal(err)
		}
		if count() != 0 || len(w.take()) != 0 {
			t.Fatal("a rolled-back request kept or reported writes")
		}

		ctx, rt, err = db.BeginRequest(base)
		if err != nil {
			t.Fatal(err)
		}
		write(ctx, 2)
		if err := rt.Commit(); err != nil {
			t.Fatal(err)
		}
		if count() != 2 {
			t.Fatalf("%d users after commit, want 2", count())
		}
		got := w.take()
		if len(got) < 2 {
			t.Fatalf("reported %+v, want the Transact and the single statements", got)
		}
		if err := rt.Commit(); !errors.Is(err, database.ErrRequestTxEnded) {
			t.Fatalf("second commit: %v", err)
		}
	})
}

// TestRequestTxFailuresStayLocal proves that a failing Transact, or a
// single statement that breaks a constraint, undoes only itself: the rest
// of the request commits (on PostgreSQL, the failure does not abort the
// whole transaction).
func TestRequestTxFailuresStayLocal(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		base := viewer.SystemContext(context.Background())
		ctx, rt, err := db.BeginRequest(base)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = rt.Rollback() }()
		create := func(ctx context.Context, email string) error {
			return db.Ent.User.Create().SetEmail(email).SetDisplayName("X").Exec(database.Touching(ctx))
		}
		if err := create(ctx, "kept@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := create(ctx, "kept@example.com"); err == nil {
			t.Fatal("a duplicate email was accepted")
		}
		boom := errors.New("boom")
		if err := db.Transact(ctx, func(tx *database.Tx) error {
			tx.Touch()
			if err := tx.User.Create().SetEmail("undone@example.com").SetDisplayName("X").Exec(ctx); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("Transact: %v", err)
		}
		if err := create(ctx, "after@example.com"); err != nil {
			t.Fatalf("a write after the failures: %v", err)
		}
		if err := rt.Commit(); err != nil {
			t.Fatal(err)
		}
		emails := db.Ent.User.Query().Order(user.ByEmail()).Select(user.FieldEmail).StringsX(base)
		if fmt.Sprint(emails) != "[after@example.com kept@example.com]" {
			t.Fatalf("committed %v", emails)
		}
	})
}

// TestRequestTxConcurrentReads proves that resolvers reading at once
// through one RequestTx take turns instead of mixing their statements on
// its one connection.
func TestRequestTxConcurrentReads(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		base := viewer.SystemContext(context.Background())
		ctx, rt, err := db.BeginRequest(base)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = rt.Rollback() }()
		for i := range 5 {
			if err := db.Ent.User.Create().SetEmail(fmt.Sprintf("r%d@example.com", i)).SetDisplayName("R").
				Exec(database.Touching(ctx)); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for range 40 {
			wg.Go(func() {
				users, err := db.Ent.User.Query().WithSessions().All(ctx)
				if err == nil && len(users) != 5 {
					err = fmt.Errorf("read %d users, want 5", len(users))
				}
				var n int
				if err == nil {
					err = db.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
				}
				if err == nil && n != 5 {
					err = fmt.Errorf("counted %d users, want 5", n)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

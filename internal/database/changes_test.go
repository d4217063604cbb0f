package database_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"lectern/ent"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// changes records what DB.Watch reports.
type changes struct {
	mu  sync.Mutex
	got []database.Change
}

func (c *changes) notify(_ context.Context, ch database.Change) {
	c.mu.Lock()
	c.got = append(c.got, ch)
	c.mu.Unlock()
}

func (c *changes) take() []database.Change {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.got
	c.got = nil
	return got
}

// TestWatchReportsCommittedWrites proves a watcher hears of every committed
// write to its tables, once, after the commit and with the writer's
// declaration; of nothing rolled back; and of nothing else.
func TestWatchReportsCommittedWrites(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.SystemContext(context.Background())
		var w changes
		stop := db.Watch([]string{"users"}, w.notify)

		// A statement on its own, declared through its context.
		u := db.Ent.User.Create().SetEmail("w@example.com").SetDisplayName("W").SaveX(database.Touching(ctx, "user:w"))
		if got := w.take(); len(got) != 1 || !slices.Equal(got[0].Tables, []string{"users"}) || !got[0].Declared || !slices.Equal(got[0].Tags, []string{"user:w"}) {
			t.Fatalf("single insert: %+v", got)
		}
		// Undeclared: reported as such.
		db.Ent.User.UpdateOne(u).SetBio("b").ExecX(ctx)
		if got := w.take(); len(got) != 1 || got[0].Declared {
			t.Fatalf("undeclared update: %+v", got)
		}
		// A transaction: one report after commit, with every tag declared.
		boom := errors.New("boom")
		write := func(tx *database.Tx) error {
			tx.Touch("a")
			tx.User.UpdateOne(u).SetDisplayName("X").ExecX(ctx)
			if len(w.take()) != 0 {
				t.Error("reported before the commit")
			}
			tx.Touch("b")
			_, err := tx.ExecContext(ctx, "UPDATE users SET bio = 'raw' WHERE id = $1", u.ID)
			return err
		}
		if err := db.Transact(ctx, write); err != nil {
			t.Fatal(err)
		}
		if got := w.take(); len(got) != 1 || !slices.Equal(got[0].Tags, []string{"a", "b"}) || !got[0].Declared {
			t.Fatalf("transaction: %+v", got)
		}
		// Rolled back: nothing.
		if err := db.Transact(ctx, func(tx *database.Tx) error {
			if err := write(tx); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if got := w.take(); len(got) != 0 {
			t.Fatalf("rolled back: %+v", got)
		}
		// A transaction that writes no watched table, and reads: nothing.
		if err := db.Transact(ctx, func(tx *database.Tx) error {
			_, err := tx.User.Query().All(ctx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		db.Ent.Course.Query().AllX(ctx)
		if got := w.take(); len(got) != 0 {
			t.Fatalf("reads: %+v", got)
		}
		// An ent transaction (InTx) reports at its commit.
		if err := database.InTx(database.Touching(ctx, "c"), db.Ent, func(tx *ent.Tx) error {
			return tx.User.UpdateOne(u).SetBio("in tx").Exec(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		if got := w.take(); len(got) != 1 || !slices.Equal(got[0].Tags, []string{"c"}) {
			t.Fatalf("InTx: %+v", got)
		}
		// Tags declared for writes the driver cannot see (Tx.SQL) are
		// still reported.
		if err := db.Transact(ctx, func(tx *database.Tx) error {
			tx.Touch("d")
			_, err := tx.SQL.ExecContext(ctx, "UPDATE users SET bio = $1 WHERE id = $2", "sql", u.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got := w.take(); len(got) != 1 || len(got[0].Tables) != 0 || !slices.Equal(got[0].Tags, []string{"d"}) {
			t.Fatalf("declared, unseen: %+v", got)
		}
		// A write read back (… RETURNING) on its own commits when its rows
		// close, and is reported then, once.
		rows, err := db.OpenRows(ctx, "UPDATE users SET bio = $1 WHERE id = $2 RETURNING id", "returning", u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.take(); len(got) != 0 {
			t.Fatalf("reported while its rows are open: %+v", got)
		}
		for rows.Next() {
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if got := w.take(); len(got) != 1 || !slices.Equal(got[0].Tables, []string{"users"}) {
			t.Fatalf("returning: %+v", got)
		}
		// After stop, nothing.
		stop()
		db.Ent.User.UpdateOne(u).SetBio("after").ExecX(ctx)
		if got := w.take(); len(got) != 0 {
			t.Fatalf("after stop: %+v", got)
		}
	})
}

package jobs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/riverqueue/river"

	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// noticeArgs is a job kind for these tests only.
type noticeArgs struct {
	Tag string `json:"tag"`
}

func (noticeArgs) Kind() string { return "test_notice" }

func TestMigrate(t *testing.T) {
	for _, dialect := range testenv.Dialects {
		t.Run(dialect, func(t *testing.T) { testMigrate(t, unmigrated(t, dialect)) })
	}
}

func testMigrate(t *testing.T, db *database.DB) {
	ctx := context.Background()
	pending, err := jobs.Pending(ctx, db)
	if err != nil || len(pending) == 0 {
		t.Fatalf("fresh database: pending %v, %v; want River's migrations", pending, err)
	}
	applied, err := jobs.Migrate(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(applied, pending) {
		t.Errorf("applied %v, want the pending %v", applied, pending)
	}
	if again, err := jobs.Migrate(ctx, db); err != nil || len(again) != 0 {
		t.Errorf("second migrate applied %v (%v), want nothing", again, err)
	}
	if left, err := jobs.Pending(ctx, db); err != nil || len(left) != 0 {
		t.Errorf("after migrating, pending %v (%v)", left, err)
	}
}

// unmigrated opens a database with no tables at all.
func unmigrated(t *testing.T, dialect string) *database.DB {
	url := "sqlite:" + filepath.Join(t.TempDir(), "fresh.db")
	if dialect == database.Postgres {
		url = testenv.EmptyPostgres(t)
	}
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestInsertTx proves a job shares the fate of the write that enqueues it.
func TestInsertTx(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.SystemContext(context.Background())
		q, err := jobs.New(db, jobs.Config{})
		if err != nil {
			t.Fatal(err)
		}
		write := func(slug string, fail error) error {
			return db.Transact(ctx, func(tx *database.Tx) error {
				if err := tx.Tag.Create().SetSlug(slug).SetName(slug).Exec(ctx); err != nil {
					return err
				}
				if _, err := q.InsertTx(ctx, tx, noticeArgs{Tag: slug}, nil); err != nil {
					return err
				}
				return fail
			})
		}

		t.Run("RolledBackWriteLeavesNoJob", func(t *testing.T) {
			boom := errors.New("boom")
			if err := write("rolled-back", boom); !errors.Is(err, boom) {
				t.Fatalf("transact: %v", err)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM tags WHERE slug = 'rolled-back'"); n != 0 {
				t.Errorf("%d tags after rollback", n)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM river_job WHERE kind = 'test_notice'"); n != 0 {
				t.Errorf("%d jobs after rollback", n)
			}
		})

		t.Run("CommittedWriteHasItsJob", func(t *testing.T) {
			if err := write("committed", nil); err != nil {
				t.Fatal(err)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM tags WHERE slug = 'committed'"); n != 1 {
				t.Errorf("%d tags after commit", n)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM river_job WHERE kind = 'test_notice'"); n != 1 {
				t.Errorf("%d jobs after commit, want 1", n)
			}
		})
	})
}

// TestWorkersRunCommittedJobs starts a queue with a worker and sees the
// committed job run once.
func TestWorkersRunCommittedJobs(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.SystemContext(context.Background())
		ran := make(chan string, 4)
		workers := river.NewWorkers()
		river.AddWorker(workers, river.WorkFunc(func(_ context.Context, j *river.Job[noticeArgs]) error {
			ran <- j.Args.Tag
			return nil
		}))
		q, err := jobs.New(db, jobs.Config{Workers: workers, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Transact(ctx, func(tx *database.Tx) error {
			_, err := q.InsertTx(ctx, tx, noticeArgs{Tag: "hello"}, nil)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Stop(context.Background()) })
		select {
		case tag := <-ran:
			if tag != "hello" {
				t.Errorf("ran %q", tag)
			}
		case <-ctxDone(t):
			t.Fatal("the committed job never ran")
		}
	})
}

func count(t *testing.T, db *database.DB, q string) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// TestRescueAfter leaves a job as a killed worker does, running with no
// process working it, and sees a queue with a short RescueAfter run it
// again, with the default job timeout cut to half the delay.
func TestRescueAfter(t *testing.T) {
	const rescueAfter = time.Second
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.SystemContext(context.Background())
		type attempt struct {
			n    int
			left time.Duration // until the attempt's deadline
		}
		ran := make(chan attempt, 4)
		workers := river.NewWorkers()
		river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[noticeArgs]) error {
			a := attempt{n: j.Attempt, left: -1}
			if deadline, ok := ctx.Deadline(); ok {
				a.left = time.Until(deadline)
			}
			ran <- a
			return nil
		}))
		// River refuses a rescue delay shorter than its default job
		// timeout (a minute) unless New shortens that timeout too.
		q, err := jobs.New(db, jobs.Config{Workers: workers, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
			RescueAfter: rescueAfter})
		if err != nil {
			t.Fatal(err)
		}
		// Scheduled, and below attempted, an hour ago: the abandoned attempt
		// is long past the delay when the rescuer first looks.
		if err := db.Transact(ctx, func(tx *database.Tx) error {
			_, err := q.InsertTx(ctx, tx, noticeArgs{Tag: "abandoned"}, &river.InsertOpts{ScheduledAt: time.Now().Add(-time.Hour)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.ExecContext(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = scheduled_at
WHERE kind = 'test_notice'`); err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Stop(context.Background()) })
		select {
		case a := <-ran:
			if a.n != 2 {
				t.Errorf("the rescued job ran as attempt %d, want 2", a.n)
			}
			if a.left < 0 || a.left > rescueAfter/2 {
				t.Errorf("the attempt had %v until its deadline, want a deadline within %v", a.left, rescueAfter/2)
			}
		case <-ctxDone(t):
			t.Fatal("the abandoned job was never rescued and run again")
		}
	})
}

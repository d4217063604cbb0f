package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// ReconcileArgs asks for one pass of counter reconciliation over every
// course (internal/counter.Reconciler).
type ReconcileArgs struct{}

// Kind returns "reconcile_counters".
func (ReconcileArgs) Kind() string { return "reconcile_counters" }

// InsertOpts gives a pass three attempts; the schedule adds uniqueness.
func (ReconcileArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

// CounterReconciler repairs stored counters that differ from their rows
// and returns how many it repaired.
type CounterReconciler interface {
	Reconcile(ctx context.Context) (int, error)
}

// ReconcileWorker runs counter reconciliation passes.
//
// Rerunning a pass (after a crash, a timeout or a retry) is safe: each
// batch's repairs commit with their audit events or not at all, and a
// pass repairs only counters that differ from a recount, so whatever an
// earlier run committed is found consistent and left alone: no second
// write, no second audit event.
type ReconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	r      CounterReconciler
	logger *slog.Logger
}

// NewReconcileWorker returns a worker running r; a nil logger means
// slog.Default().
func NewReconcileWorker(r CounterReconciler, logger *slog.Logger) *ReconcileWorker {
	if logger == nil {
		logger = slog.Default()
	}
	return &ReconcileWorker{r: r, logger: logger}
}

// Timeout bounds a pass over the whole catalogue: one read per batch of
// courses, far longer than River's default minute would allow for a large
// one.
func (w *ReconcileWorker) Timeout(*river.Job[ReconcileArgs]) time.Duration { return 15 * time.Minute }

// Work runs one pass; a failure is retried by River.
func (w *ReconcileWorker) Work(ctx context.Context, job *river.Job[ReconcileArgs]) error {
	n, err := w.r.Reconcile(ctx)
	if err != nil {
		return fmt.Errorf("reconcile counters: %w", err)
	}
	w.logger.InfoContext(ctx, "reconcile_counters done", slog.Int64("job_id", job.ID), slog.Int("repaired", n))
	return nil
}

// ReconcileSchedule is the periodic job that enqueues a reconciliation
// every interval (> 0), and once at start, keeping at most one waiting.
func ReconcileSchedule(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			opts := ReconcileArgs{}.InsertOpts()
			opts.UniqueOpts = river.UniqueOpts{ByPeriod: interval}
			return ReconcileArgs{}, &opts
		},
		&river.PeriodicJobOpts{RunOnStart: true})
}

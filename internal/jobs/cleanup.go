package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// CleanupEvery is how often expired credentials and counters are deleted.
const CleanupEvery = time.Hour

// CleanupArgs asks for one pass over expired rows (sessions, link tokens,
// MFA challenges, throttle counters, old delivery claims, stored
// idempotent answers).
type CleanupArgs struct{}

// Kind returns "cleanup".
func (CleanupArgs) Kind() string { return "cleanup" }

// InsertOpts keeps at most one cleanup waiting: a pass that finds nothing
// to do costs little, two at once are pointless.
func (CleanupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: CleanupEvery}}
}

// Cleaner deletes what has expired and returns how many rows went, by kind.
type Cleaner interface {
	Cleanup(ctx context.Context) (map[string]int, error)
}

// Cleaners runs several Cleaners as one pass, in order, stopping at the
// first failure (River retries the whole pass; each is idempotent).
type Cleaners []Cleaner

// Cleanup runs each Cleaner, returning the counts of them all.
func (cs Cleaners) Cleanup(ctx context.Context) (map[string]int, error) {
	all := map[string]int{}
	for _, c := range cs {
		deleted, err := c.Cleanup(ctx)
		if err != nil {
			return nil, err
		}
		for kind, n := range deleted {
			all[kind] += n
		}
	}
	return all, nil
}

// CleanupWorker runs Cleaner passes. Rerunning one is safe: a pass deletes
// only rows that have already expired, so a second finds nothing left to
// delete and changes nothing else.
type CleanupWorker = sweepWorker[CleanupArgs]

// NewCleanupWorker returns a worker running c; a nil logger means
// slog.Default().
func NewCleanupWorker(c Cleaner, logger *slog.Logger) *CleanupWorker {
	return newSweepWorker[CleanupArgs](c, logger, "cleanup")
}

// sweepWorker runs a Cleaner for jobs of kind A, logging what each pass
// deleted under name. A periodic clean-up is one of these per kind, since
// River finds a job's worker by its arguments' type.
type sweepWorker[A river.JobArgs] struct {
	river.WorkerDefaults[A]
	cleaner Cleaner
	logger  *slog.Logger
	name    string
}

func newSweepWorker[A river.JobArgs](c Cleaner, logger *slog.Logger, name string) *sweepWorker[A] {
	if logger == nil {
		logger = slog.Default()
	}
	return &sweepWorker[A]{cleaner: c, logger: logger, name: name}
}

// Work runs one pass. A failure is retried by River.
func (w *sweepWorker[A]) Work(ctx context.Context, job *river.Job[A]) error {
	return runCleaner(ctx, w.cleaner, w.logger, job.ID, w.name)
}

// runCleaner runs one pass of c and logs what it deleted under name.
func runCleaner(ctx context.Context, c Cleaner, logger *slog.Logger, jobID int64, name string) error {
	deleted, err := c.Cleanup(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	attrs := []any{slog.Int64("job_id", jobID)}
	for kind, n := range deleted {
		attrs = append(attrs, slog.Int(kind, n))
	}
	logger.InfoContext(ctx, name+" done", attrs...)
	return nil
}

// CleanupSchedule is the periodic job that enqueues a cleanup every
// CleanupEvery, and once at start.
func CleanupSchedule() *river.PeriodicJob { return every(CleanupEvery, CleanupArgs{}) }

// every is the periodic job that enqueues args every d, and once at start.
func every(d time.Duration, args river.JobArgs) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(d),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

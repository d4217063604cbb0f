package export

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
)

// Queue is the queue export jobs run in: each holds a worker for as long
// as its file takes to write, so a burst of exports must not hold up the
// other jobs (clean-ups, deletions) of the default queue.
const Queue = "export"

// QueueWorkers is how many exports a worker process writes at once.
const QueueWorkers = 2

// maxAttempts gives a store or database that is briefly down a few tries
// (River's backoff is attempt⁴ seconds: about ten minutes in all).
const maxAttempts = 5

// Args asks for the file of one export.
type Args struct {
	ExportID uuid.UUID `json:"export_id"`
}

// Kind returns "export".
func (Args) Kind() string { return "export" }

// InsertOpts runs exports in Queue, maxAttempts attempts.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: maxAttempts}
}

// Jobs is what the export workers run; *Service is one. The workers take
// it as an interface so a process can register them before the service
// exists (River needs its workers first).
type Jobs interface {
	// Run writes an export's file; final says this is the last attempt.
	Run(ctx context.Context, id uuid.UUID, final bool) error
	// Expire is one pass of the expiry job.
	Expire(ctx context.Context) (map[string]int, error)
}

// Worker writes export files.
type Worker struct {
	river.WorkerDefaults[Args]
	jobs Jobs
}

// NewWorker returns a worker running j.
func NewWorker(j Jobs) *Worker { return &Worker{jobs: j} }

// Timeout bounds one attempt: 100,000 learners take seconds; River's
// default minute would be too short for the largest courses on a busy
// machine.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return 30 * time.Minute }

// Work writes the file; an error is retried with backoff.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	return w.jobs.Run(ctx, job.Args.ExportID, job.Attempt >= job.MaxAttempts)
}

// ExpireEvery is how often finished exports are looked at for expiry.
const ExpireEvery = 15 * time.Minute

// ExpireArgs asks for one pass of the expiry job.
type ExpireArgs struct{}

// Kind returns "export_expiry".
func (ExpireArgs) Kind() string { return "export_expiry" }

// InsertOpts keeps at most one pass waiting.
func (ExpireArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: ExpireEvery}}
}

// ExpireWorker runs expiry passes.
type ExpireWorker struct {
	river.WorkerDefaults[ExpireArgs]
	jobs   Jobs
	logger *slog.Logger
}

// NewExpireWorker returns a worker running j's passes; a nil logger means
// slog.Default().
func NewExpireWorker(j Jobs, logger *slog.Logger) *ExpireWorker {
	if logger == nil {
		logger = slog.Default()
	}
	return &ExpireWorker{jobs: j, logger: logger}
}

// Work runs one pass and logs what it did; a failure is retried.
func (w *ExpireWorker) Work(ctx context.Context, job *river.Job[ExpireArgs]) error {
	done, err := w.jobs.Expire(ctx)
	if err != nil {
		return fmt.Errorf("export expiry: %w", err)
	}
	attrs := []any{slog.Int64("job_id", job.ID)}
	for kind, n := range done {
		attrs = append(attrs, slog.Int(kind, n))
	}
	w.logger.InfoContext(ctx, "export expiry done", attrs...)
	return nil
}

// ExpirySchedule enqueues an expiry pass every ExpireEvery, and once at
// start.
func ExpirySchedule() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(ExpireEvery),
		func() (river.JobArgs, *river.InsertOpts) { return ExpireArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

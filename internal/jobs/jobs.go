// Package jobs is Lectern's background job queue: River, on the same
// database as everything else (riverdatabasesql over lib/pq on PostgreSQL,
// riversqlite on SQLite), so a job is inserted in the transaction of the
// write that causes it and is never lost or sent for a rolled-back write.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"lectern/internal/database"
)

// Queue inserts jobs. Workers that run them register in Config.Workers.
type Queue struct {
	client *river.Client[*sql.Tx]
}

// Config configures a Queue. With no Workers the queue only inserts (a web
// process may enqueue while another process works the jobs).
type Config struct {
	Workers *river.Workers
	// Queues defaults, when Workers is set, to DefaultQueues.
	Queues map[string]river.QueueConfig
	// PollInterval is how often workers look for new jobs; zero means
	// River's default (one second).
	PollInterval time.Duration
	// RetryPolicy decides when a failed job runs again; nil means River's
	// exponential backoff.
	RetryPolicy river.ClientRetryPolicy
	// PeriodicJobs are enqueued on a schedule while the queue runs.
	PeriodicJobs []*river.PeriodicJob
	// Logger receives a line for every failed attempt, with the whole
	// error (failure.go); nil means slog.Default().
	Logger *slog.Logger
	// RescueAfter is how long a job may stay running before River takes
	// its worker for dead (a killed process leaves its jobs running) and
	// schedules it again; zero means River's default (an hour). A job
	// whose own Timeout is longer is left alone until that has passed.
	RescueAfter time.Duration
}

// Retention of finished jobs in River's table, where administrators see
// them (Admin.List). Completed and cancelled jobs go after River's default
// day. Discarded jobs, the ones that failed every attempt, stay until an
// administrator retries them or an operator deletes them: River's default
// (a week) would take the evidence of a failure away before anyone looked.
const (
	FinishedJobRetention  = 24 * time.Hour
	DiscardedJobRetention = -1 // River's "never"
)

// DefaultQueues returns the queues a worker process serves when Config
// names none. Email has its own queue so a slow mail server cannot hold up
// other jobs, and few workers so a burst does not trip the server's rate
// limits. Images have theirs so a burst of uploads holds at most two
// decoded images in memory.
func DefaultQueues() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{
		river.QueueDefault: {MaxWorkers: 4},
		QueueEmail:         {MaxWorkers: 2},
		QueueMedia:         {MaxWorkers: 2},
	}
}

// New returns a Queue over db. It fails if River rejects the configuration.
func New(db *database.DB, cfg Config) (*Queue, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	rc := &river.Config{Workers: cfg.Workers, Queues: cfg.Queues, RetryPolicy: cfg.RetryPolicy, PeriodicJobs: cfg.PeriodicJobs,
		Middleware:                  []rivertype.Middleware{&failureMiddleware{logger: logger}},
		CompletedJobRetentionPeriod: FinishedJobRetention,
		CancelledJobRetentionPeriod: FinishedJobRetention,
		DiscardedJobRetentionPeriod: DiscardedJobRetention,
	}
	if rc.Workers != nil && rc.Queues == nil {
		rc.Queues = DefaultQueues()
	}
	if cfg.PollInterval > 0 {
		rc.FetchPollInterval = cfg.PollInterval
		// River refuses a cooldown longer than the poll interval.
		rc.FetchCooldown = min(cfg.PollInterval, river.FetchCooldownDefault)
	}
	if cfg.RescueAfter > 0 {
		rc.RescueStuckJobsAfter = cfg.RescueAfter
		// River refuses a rescue sooner than the default job timeout, and
		// would not rescue a job before its timeout anyway. Jobs without a
		// timeout of their own time out at half the delay, which leaves a
		// job ending at its timeout the other half to return before it
		// could be taken for dead and run twice at once.
		rc.JobTimeout = min(river.JobTimeoutDefault, cfg.RescueAfter/2)
	}
	if db.Dialect == database.Postgres {
		// database/sql cannot LISTEN; workers poll instead.
		rc.PollOnly = true
	}
	client, err := river.NewClient(driver(db), rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Queue{client: client}, nil
}

// InsertTx inserts a job inside tx: it becomes visible to workers only when
// tx commits, and disappears if tx rolls back.
func (q *Queue) InsertTx(ctx context.Context, tx *database.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := q.client.InsertTx(ctx, tx.SQL, args, opts)
	if err != nil {
		return nil, fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

// Start starts working jobs (when workers are configured) until Stop.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop waits for running jobs to finish, or for ctx to end.
func (q *Queue) Stop(ctx context.Context) error { return q.client.Stop(ctx) }

func driver(db *database.DB) riverdriver.Driver[*sql.Tx] {
	if db.Dialect == database.Postgres {
		return riverdatabasesql.New(db.SQL)
	}
	return riversqlite.New(db.SQL)
}

// Migrate applies River's own migrations (its tables live beside
// Lectern's), returning the versions applied.
func Migrate(ctx context.Context, db *database.DB) ([]string, error) {
	return runMigrations(ctx, db, nil)
}

// Pending returns River's migration versions not yet applied.
func Pending(ctx context.Context, db *database.DB) ([]string, error) {
	return runMigrations(ctx, db, &rivermigrate.MigrateOpts{DryRun: true})
}

// runMigrations migrates River up (or, with DryRun, only reports what it
// would apply), naming versions "river:N" beside Lectern's own.
func runMigrations(ctx context.Context, db *database.DB, opts *rivermigrate.MigrateOpts) ([]string, error) {
	m, err := rivermigrate.New(driver(db), nil)
	if err != nil {
		return nil, fmt.Errorf("jobs migrations: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, opts)
	if err != nil {
		return nil, fmt.Errorf("jobs migrations: %w", err)
	}
	versions := make([]string, len(res.Versions))
	for i, v := range res.Versions {
		versions[i] = "river:" + strconv.Itoa(v.Version)
	}
	return versions, nil
}

// Limit returns w with its timeout cut to half of rescueAfter (when set):
// River rescues a job whose process died only once both RescueStuckJobsAfter
// and the job's own timeout have passed, so a worker allowed half an hour
// would leave a job a crash interrupted stuck for that long, whatever the
// rescue delay. Half leaves a job that ends at its timeout the other half to
// return before it could be taken for dead and run twice at once.
func Limit[T river.JobArgs](w river.Worker[T], rescueAfter time.Duration) river.Worker[T] {
	if rescueAfter <= 0 {
		return w
	}
	return limited[T]{Worker: w, max: rescueAfter / 2}
}

type limited[T river.JobArgs] struct {
	river.Worker[T]
	max time.Duration
}

// Timeout is the worker's own, or the limit when that is shorter; a
// worker that uses the client's default (0) already gets at most the same.
func (l limited[T]) Timeout(job *river.Job[T]) time.Duration {
	if d := l.Worker.Timeout(job); d > 0 && d < l.max || d == 0 {
		return d
	}
	return l.max
}

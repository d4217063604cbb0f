package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// Admin shows the queue to administrators and lets them retry and cancel
// jobs. River's table is not behind the row rules that hide other rows
// from callers, so every method checks for an elevated administrator
// itself (viewer.IsElevatedAdmin), besides the policy that guards the
// GraphQL fields.
type Admin struct {
	db    *database.DB
	queue *Queue
	audit *audit.Log
}

// NewAdmin returns an Admin over q's jobs in db, recording retries and
// cancellations in log.
func NewAdmin(db *database.DB, q *Queue, log *audit.Log) *Admin {
	return &Admin{db: db, queue: q, audit: log}
}

// Job is a job as administrators see it. Its arguments are left out on
// purpose: they name accounts, addresses and objects (an email job's
// recipient, the keys of files to delete), and the kind and ID are enough
// to find a job's lines in the log.
type Job struct {
	ID          int64
	Kind        string
	Queue       string
	State       rivertype.JobState
	Attempt     int
	MaxAttempts int
	// Errors are the failed attempts, oldest first, with safe messages.
	Errors      []JobError
	CreatedAt   time.Time
	ScheduledAt time.Time
	AttemptedAt *time.Time
	FinalizedAt *time.Time
}

// JobError is one failed attempt. Message is safe to show (see
// failure.go): a worker's own safe message, or GenericFailure.
type JobError struct {
	Attempt int
	At      time.Time
	Message string
}

// jobOf maps River's row to a Job.
func jobOf(row *rivertype.JobRow) *Job {
	j := &Job{ID: row.ID, Kind: row.Kind, Queue: row.Queue, State: row.State, Attempt: row.Attempt,
		MaxAttempts: row.MaxAttempts, CreatedAt: row.CreatedAt, ScheduledAt: row.ScheduledAt,
		AttemptedAt: row.AttemptedAt, FinalizedAt: row.FinalizedAt, Errors: make([]JobError, len(row.Errors))}
	for i, e := range row.Errors {
		j.Errors[i] = JobError{Attempt: e.Attempt, At: e.At, Message: attemptMessage(row.ID, e)}
	}
	return j
}

// JobFilter narrows a listing; zero fields match all.
type JobFilter struct {
	State rivertype.JobState
	Kind  string
}

// JobPage asks for a page of the listing, newest job first: First jobs
// after the job After (older ones), or the Last jobs before the job
// Before (newer ones); cursors are job IDs. With neither First nor Last
// the page has DefaultPageSize jobs.
type JobPage struct {
	After, Before *int64
	First, Last   *int
}

// Page sizes of a listing.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// JobList is one page of the listing, in listing order (newest first).
type JobList struct {
	Jobs            []*Job
	HasNextPage     bool
	HasPreviousPage bool
}

// List returns a page of the jobs matching f, newest first (by ID, which
// River hands out in insertion order). It fails with FORBIDDEN unless the
// caller is an elevated administrator, and with BAD_USER_INPUT for an
// unknown state, a page size outside 0..MaxPageSize or both First and Last.
func (a *Admin) List(ctx context.Context, f JobFilter, p JobPage) (*JobList, error) {
	if _, err := elevated(ctx); err != nil {
		return nil, err
	}
	limit, backward, err := pageSize(p)
	if err != nil {
		return nil, err
	}
	out := &JobList{HasNextPage: p.Before != nil, HasPreviousPage: p.After != nil}
	if limit == 0 {
		return out, nil
	}
	params, err := listParams(f, p, limit, backward)
	if err != nil {
		return nil, err
	}
	res, err := a.queue.client.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	rows := res.Jobs
	if len(rows) > limit {
		rows = rows[:limit]
		if backward {
			out.HasPreviousPage = true
		} else {
			out.HasNextPage = true
		}
	}
	if backward {
		slices.Reverse(rows)
	}
	out.Jobs = make([]*Job, len(rows))
	for i, r := range rows {
		out.Jobs[i] = jobOf(r)
	}
	return out, nil
}

// pageSize returns how many jobs p asks for and whether it pages
// backward (Last).
func pageSize(p JobPage) (int, bool, error) {
	switch {
	case p.First != nil && p.Last != nil:
		return 0, false, apperr.New(apperr.BadUserInput, "pass either first or last, not both")
	case p.Last != nil:
		n, err := checkSize("last", *p.Last)
		return n, true, err
	case p.First != nil:
		n, err := checkSize("first", *p.First)
		return n, false, err
	}
	return DefaultPageSize, false, nil
}

func checkSize(name string, n int) (int, error) {
	if n < 0 || n > MaxPageSize {
		return 0, apperr.Newf(apperr.BadUserInput, "%s must be between 0 and %d", name, MaxPageSize)
	}
	return n, nil
}

// jobStates are the states River knows, which a filter may name.
var jobStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateCompleted, rivertype.JobStateCancelled,
	rivertype.JobStateDiscarded, rivertype.JobStatePending,
}

// listParams builds River's query for one page: one more row than the
// page, to tell whether another page follows, ordered newest first
// (oldest first when paging backward, reversed after).
func listParams(f JobFilter, p JobPage, limit int, backward bool) (*river.JobListParams, error) {
	order := river.SortOrderDesc
	if backward {
		order = river.SortOrderAsc
	}
	params := river.NewJobListParams().OrderBy(river.JobListOrderByID, order).First(limit + 1)
	if f.State != "" {
		if !slices.Contains(jobStates, f.State) {
			return nil, apperr.Newf(apperr.BadUserInput, "unknown job state %q", f.State)
		}
		params = params.States(f.State)
	}
	if f.Kind != "" {
		params = params.Kinds(f.Kind)
	}
	if p.After != nil {
		params = params.Where("id < @older_than", river.NamedArgs{"older_than": *p.After})
	}
	if p.Before != nil {
		params = params.Where("id > @newer_than", river.NamedArgs{"newer_than": *p.Before})
	}
	return params, nil
}

// Retry makes job id run again now: a job that failed for good
// (DISCARDED), was cancelled, completed, or waits for its next attempt
// (RETRYABLE). River gives an exhausted job one more attempt. The change
// and its audit event commit together. A job that is waiting to run or
// running is the JOB_NOT_RETRYABLE user error; an unknown one NOT_FOUND,
// both at ["id"]. FORBIDDEN unless the caller is an elevated
// administrator.
func (a *Admin) Retry(ctx context.Context, id int64) (*Job, error) {
	return a.change(ctx, id, audit.JobRetry, func(row *rivertype.JobRow) error {
		switch row.State {
		case rivertype.JobStateRetryable, rivertype.JobStateDiscarded, rivertype.JobStateCancelled, rivertype.JobStateCompleted:
			return nil
		}
		return apperr.Problem(apperr.UserJobNotRetryable,
			fmt.Sprintf("the job is %s; only a job that ended or waits to retry can be retried", row.State), "id")
	}, a.queue.client.JobRetryTx)
}

// Cancel stops job id from running again. A job waiting to run is
// cancelled at once; a running one is asked to stop (its context ends)
// and shows RUNNING until its worker returns: CANCELLED if it fails, or
// COMPLETED if it finished anyway. The change and its audit event commit
// together. A job that already ended is the JOB_FINALIZED user error; an
// unknown one NOT_FOUND, both at ["id"]. FORBIDDEN unless the caller is an
// elevated administrator.
func (a *Admin) Cancel(ctx context.Context, id int64) (*Job, error) {
	return a.change(ctx, id, audit.JobCancel, func(row *rivertype.JobRow) error {
		if row.FinalizedAt != nil || finalized(row.State) {
			return apperr.Problem(apperr.UserJobFinalized, fmt.Sprintf("the job is %s already", row.State), "id")
		}
		return nil
	}, a.queue.client.JobCancelTx)
}

func finalized(s rivertype.JobState) bool {
	return s == rivertype.JobStateCompleted || s == rivertype.JobStateCancelled || s == rivertype.JobStateDiscarded
}

// change runs one administrator's action on job id in a transaction: it
// locks the job's row, lets check refuse it in the state it is in, applies
// do (River's own update) and records action in the audit trail.
func (a *Admin) change(ctx context.Context, id int64, action string, check func(*rivertype.JobRow) error,
	do func(context.Context, *sql.Tx, int64) (*rivertype.JobRow, error)) (*Job, error) {
	v, err := elevated(ctx)
	if err != nil {
		return nil, err
	}
	var out *Job
	err = a.db.Transact(ctx, func(tx *database.Tx) error {
		row, err := a.lockJob(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := check(row); err != nil {
			return err
		}
		tx.Touch() // River's table and the audit trail: nothing a public reader sees
		changed, err := do(ctx, tx.SQL, id)
		if err != nil {
			return fmt.Errorf("%s: %w", action, err)
		}
		out = jobOf(changed)
		return a.audit.Record(ctx, tx.Client, audit.Event{Action: action, ActorID: v.UserID, TargetType: "Job",
			TargetID: strconv.FormatInt(id, 10), Details: map[string]string{"kind": row.Kind, "state": string(row.State)}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lockJob returns job id's row, locked on PostgreSQL until tx ends, so the
// state an action is decided on is the state it applies to: a worker
// fetching the job (FOR UPDATE SKIP LOCKED) passes it by, and one
// recording its outcome waits. SQLite runs one writer at a time already.
// An unknown job is the NOT_FOUND user error at ["id"].
func (a *Admin) lockJob(ctx context.Context, tx *database.Tx, id int64) (*rivertype.JobRow, error) {
	if a.db.Dialect == database.Postgres {
		var locked int64
		err := tx.SQL.QueryRowContext(ctx, `SELECT id FROM river_job WHERE id = $1 FOR UPDATE`, id).Scan(&locked)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, noSuchJob()
		}
		if err != nil {
			return nil, fmt.Errorf("lock job: %w", err)
		}
	}
	row, err := a.queue.client.JobGetTx(ctx, tx.SQL, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, noSuchJob()
	}
	if err != nil {
		return nil, fmt.Errorf("get job: %w", err)
	}
	return row, nil
}

func noSuchJob() error { return apperr.Problem(apperr.UserNotFound, "no such job", "id") }

// elevated returns the caller when they are an administrator from a
// session that passed MFA: UNAUTHENTICATED for anonymous callers,
// FORBIDDEN for anyone else.
func elevated(ctx context.Context) (viewer.Viewer, error) {
	v, ok := viewer.FromContext(ctx)
	switch {
	case !ok || v.IsSystem():
		return v, apperr.New(apperr.Unauthenticated, "sign in to do this")
	case !v.IsElevatedAdmin():
		return v, apperr.New(apperr.Forbidden, "only administrators from a session that passed two-factor sign-in see and manage jobs")
	}
	return v, nil
}

package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"lectern/ent/auditevent"
	"lectern/ent/user"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// adminBundle is an Admin over an insert-only queue, with an elevated
// administrator to act as.
type adminBundle struct {
	db    *database.DB
	queue *jobs.Queue
	admin *jobs.Admin
	// as is the elevated administrator's context.
	as    context.Context
	actor uuid.UUID
}

func setupAdmin(t *testing.T, db *database.DB, q *jobs.Queue) *adminBundle {
	t.Helper()
	if q == nil {
		var err error
		if q, err = jobs.New(db, jobs.Config{}); err != nil {
			t.Fatal(err)
		}
	}
	u := testenv.CreateAccount(t, db, testenv.Account{Role: user.RoleADMIN, VerifiedAt: time.Now()})
	return &adminBundle{db: db, queue: q, admin: jobs.NewAdmin(db, q, audit.New(slog.New(slog.DiscardHandler))), actor: u.ID,
		as: viewer.NewContext(context.Background(), viewer.Viewer{UserID: u.ID, Role: viewer.RoleAdmin,
			Credential: viewer.CredentialCookie, SessionID: uuid.New(), MFA: true})}
}

// insert commits a job and returns its ID.
func (b *adminBundle) insert(t *testing.T, args river.JobArgs, opts *river.InsertOpts) int64 {
	t.Helper()
	ctx := viewer.SystemContext(context.Background())
	var id int64
	if err := b.db.Transact(ctx, func(tx *database.Tx) error {
		res, err := b.queue.InsertTx(ctx, tx, args, opts)
		if err == nil {
			id = res.Job.ID
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// inState inserts a job and puts it in state the way River would have left
// it (finalized ones with finalized_at, started ones with an attempt).
func (b *adminBundle) inState(t *testing.T, state rivertype.JobState) int64 {
	t.Helper()
	id := b.insert(t, noticeArgs{Tag: string(state)}, nil)
	q := `UPDATE river_job SET state = $1 WHERE id = $2`
	switch state {
	case rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		q = `UPDATE river_job SET state = $1, attempt = 1, attempted_at = created_at, finalized_at = created_at WHERE id = $2`
	case rivertype.JobStateRunning, rivertype.JobStateRetryable:
		q = `UPDATE river_job SET state = $1, attempt = 1, attempted_at = created_at WHERE id = $2`
	}
	mustExecSQL(t, b.db, q, string(state), id)
	return id
}

func (b *adminBundle) state(t *testing.T, id int64) rivertype.JobState {
	t.Helper()
	var s string
	if err := b.db.SQL.QueryRow(`SELECT state FROM river_job WHERE id = $1`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return rivertype.JobState(s)
}

// audited counts the audit events of action about job id by the actor.
func (b *adminBundle) audited(t *testing.T, action string, id int64) int {
	t.Helper()
	n, err := b.db.Ent.AuditEvent.Query().Where(auditevent.Action(action), auditevent.TargetType("Job"),
		auditevent.TargetID(strconv.FormatInt(id, 10)), auditevent.ActorID(b.actor)).
		Count(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustExecSQL(t *testing.T, db *database.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.SQL.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// requireProblem fails unless err is exactly one user error of code at
// ["id"].
func requireProblem(t *testing.T, err error, code apperr.UserCode) {
	t.Helper()
	fields, ok := apperr.FieldsOf(err)
	if !ok || len(fields) != 1 || fields[0].Code != code || !slices.Equal(fields[0].Field, []string{"id"}) {
		t.Fatalf("error %v, want the user error %s at [id]", err, code)
	}
}

func ids(l *jobs.JobList) []int64 {
	out := make([]int64, len(l.Jobs))
	for i, j := range l.Jobs {
		out[i] = j.ID
	}
	return out
}

func intp(n int) *int      { return &n }
func id64p(n int64) *int64 { return &n }

func TestAdminList(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		b := setupAdmin(t, db, nil)
		var all []int64
		for i := range 5 {
			all = append(all, b.insert(t, noticeArgs{Tag: strconv.Itoa(i)}, nil))
		}
		other := b.insert(t, jobs.ReconcileArgs{}, nil)
		done := b.inState(t, rivertype.JobStateDiscarded)
		newest := []int64{done, other, all[4], all[3], all[2], all[1], all[0]}

		t.Run("NewestFirstByDefault", func(t *testing.T) {
			l, err := b.admin.List(b.as, jobs.JobFilter{}, jobs.JobPage{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(l), newest) || l.HasNextPage || l.HasPreviousPage {
				t.Errorf("jobs %v (next %v, previous %v), want %v alone", ids(l), l.HasNextPage, l.HasPreviousPage, newest)
			}
		})

		t.Run("PagesForward", func(t *testing.T) {
			var got []int64
			var after *int64
			for pages := 0; ; pages++ {
				l, err := b.admin.List(b.as, jobs.JobFilter{}, jobs.JobPage{First: intp(3), After: after})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ids(l)...)
				if !l.HasNextPage {
					break
				}
				if pages > 5 {
					t.Fatal("paging never ends")
				}
				after = id64p(l.Jobs[len(l.Jobs)-1].ID)
			}
			if !slices.Equal(got, newest) {
				t.Errorf("pages gave %v, want %v", got, newest)
			}
		})

		t.Run("PagesBackward", func(t *testing.T) {
			l, err := b.admin.List(b.as, jobs.JobFilter{}, jobs.JobPage{Last: intp(2)})
			if err != nil {
				t.Fatal(err)
			}
			if want := newest[5:]; !slices.Equal(ids(l), want) || !l.HasPreviousPage || l.HasNextPage {
				t.Errorf("last 2: %v (previous %v, next %v), want %v with a previous page", ids(l), l.HasPreviousPage, l.HasNextPage, want)
			}
			l, err = b.admin.List(b.as, jobs.JobFilter{}, jobs.JobPage{Last: intp(2), Before: id64p(newest[5])})
			if err != nil {
				t.Fatal(err)
			}
			if want := newest[3:5]; !slices.Equal(ids(l), want) || !l.HasPreviousPage || !l.HasNextPage {
				t.Errorf("last 2 before %d: %v, want %v", newest[5], ids(l), want)
			}
		})

		t.Run("Filters", func(t *testing.T) {
			l, err := b.admin.List(b.as, jobs.JobFilter{Kind: "test_notice", State: rivertype.JobStateAvailable}, jobs.JobPage{})
			if err != nil {
				t.Fatal(err)
			}
			if want := newest[2:]; !slices.Equal(ids(l), want) {
				t.Errorf("available test_notice jobs %v, want %v", ids(l), want)
			}
			l, err = b.admin.List(b.as, jobs.JobFilter{State: rivertype.JobStateDiscarded}, jobs.JobPage{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(l), []int64{done}) || l.Jobs[0].FinalizedAt == nil {
				t.Errorf("discarded jobs %v, want [%d] with finalizedAt", ids(l), done)
			}
			l, err = b.admin.List(b.as, jobs.JobFilter{Kind: "no such kind"}, jobs.JobPage{})
			if err != nil || len(l.Jobs) != 0 {
				t.Errorf("unknown kind: %v, %v; want an empty page", ids(l), err)
			}
		})

		t.Run("EmptyPageQueriesNothing", func(t *testing.T) {
			l, err := b.admin.List(b.as, jobs.JobFilter{}, jobs.JobPage{First: intp(0)})
			if err != nil || len(l.Jobs) != 0 {
				t.Errorf("first 0: %v, %v", ids(l), err)
			}
		})

		t.Run("RefusesBadPages", func(t *testing.T) {
			for name, p := range map[string]jobs.JobPage{
				"FirstAndLast": {First: intp(1), Last: intp(1)},
				"Negative":     {First: intp(-1)},
				"TooLarge":     {Last: intp(jobs.MaxPageSize + 1)},
			} {
				if _, err := b.admin.List(b.as, jobs.JobFilter{}, p); apperr.CodeOf(err) != apperr.BadUserInput {
					t.Errorf("%s: %v, want BAD_USER_INPUT", name, err)
				}
			}
			if _, err := b.admin.List(b.as, jobs.JobFilter{State: "exploded"}, jobs.JobPage{}); apperr.CodeOf(err) != apperr.BadUserInput {
				t.Errorf("unknown state: %v, want BAD_USER_INPUT", err)
			}
		})
	})
}

// TestAdminRefusesAllButElevatedAdministrators: River's table has no row
// rules, so the service itself refuses everyone the policy would.
func TestAdminRefusesAllButElevatedAdministrators(t *testing.T) {
	db := testenv.Open(t, database.SQLite)
	b := setupAdmin(t, db, nil)
	id := b.inState(t, rivertype.JobStateDiscarded)
	ctxOf := func(v viewer.Viewer) context.Context { return viewer.NewContext(context.Background(), v) }
	for name, tc := range map[string]struct {
		ctx  context.Context
		code apperr.Code
	}{
		"Anonymous":       {context.Background(), apperr.Unauthenticated},
		"System":          {viewer.SystemContext(context.Background()), apperr.Unauthenticated},
		"Learner":         {ctxOf(viewer.Viewer{UserID: uuid.New(), Role: viewer.RoleLearner, Credential: viewer.CredentialCookie, SessionID: uuid.New(), MFA: true}), apperr.Forbidden},
		"AdminWithoutMFA": {ctxOf(viewer.Viewer{UserID: uuid.New(), Role: viewer.RoleAdmin, Credential: viewer.CredentialCookie, SessionID: uuid.New()}), apperr.Forbidden},
		"AdminToken":      {ctxOf(viewer.Viewer{UserID: uuid.New(), Role: viewer.RoleAdmin, Credential: viewer.CredentialAPIToken, APITokenID: uuid.New(), Scopes: []string{viewer.ScopeRead, viewer.ScopeWrite}, MFA: true}), apperr.Forbidden},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := b.admin.List(tc.ctx, jobs.JobFilter{}, jobs.JobPage{}); apperr.CodeOf(err) != tc.code {
				t.Errorf("List: %v, want %s", err, tc.code)
			}
			if _, err := b.admin.Retry(tc.ctx, id); apperr.CodeOf(err) != tc.code {
				t.Errorf("Retry: %v, want %s", err, tc.code)
			}
			if _, err := b.admin.Cancel(tc.ctx, id); apperr.CodeOf(err) != tc.code {
				t.Errorf("Cancel: %v, want %s", err, tc.code)
			}
			if s := b.state(t, id); s != rivertype.JobStateDiscarded {
				t.Errorf("the refused calls left the job %s", s)
			}
		})
	}
}

func TestAdminRetry(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		b := setupAdmin(t, db, nil)
		for _, state := range []rivertype.JobState{rivertype.JobStateRetryable, rivertype.JobStateDiscarded,
			rivertype.JobStateCancelled, rivertype.JobStateCompleted} {
			t.Run("Retries"+string(state), func(t *testing.T) {
				id := b.inState(t, state)
				j, err := b.admin.Retry(b.as, id)
				if err != nil {
					t.Fatal(err)
				}
				if j.ID != id || j.State != rivertype.JobStateAvailable || j.FinalizedAt != nil {
					t.Errorf("retried job %+v, want %d available", j, id)
				}
				if s := b.state(t, id); s != rivertype.JobStateAvailable {
					t.Errorf("stored state %s, want available", s)
				}
				if n := b.audited(t, audit.JobRetry, id); n != 1 {
					t.Errorf("%d job.retry events, want 1", n)
				}
			})
		}
		for _, state := range []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateScheduled,
			rivertype.JobStateRunning, rivertype.JobStatePending} {
			t.Run("Refuses"+string(state), func(t *testing.T) {
				id := b.inState(t, state)
				_, err := b.admin.Retry(b.as, id)
				requireProblem(t, err, apperr.UserJobNotRetryable)
				if s := b.state(t, id); s != state {
					t.Errorf("a refused retry left the job %s, want %s", s, state)
				}
				if n := b.audited(t, audit.JobRetry, id); n != 0 {
					t.Errorf("a refused retry wrote %d audit events", n)
				}
			})
		}
		t.Run("UnknownJobIsNotFound", func(t *testing.T) {
			_, err := b.admin.Retry(b.as, 1<<40)
			requireProblem(t, err, apperr.UserNotFound)
		})
	})
}

func TestAdminCancel(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		b := setupAdmin(t, db, nil)
		for _, state := range []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateScheduled,
			rivertype.JobStateRetryable, rivertype.JobStatePending} {
			t.Run("Cancels"+string(state), func(t *testing.T) {
				id := b.inState(t, state)
				j, err := b.admin.Cancel(b.as, id)
				if err != nil {
					t.Fatal(err)
				}
				if j.State != rivertype.JobStateCancelled || j.FinalizedAt == nil {
					t.Errorf("cancelled job %+v, want cancelled with finalizedAt", j)
				}
				if n := b.audited(t, audit.JobCancel, id); n != 1 {
					t.Errorf("%d job.cancel events, want 1", n)
				}
			})
		}
		t.Run("AsksARunningJobToStop", func(t *testing.T) {
			id := b.inState(t, rivertype.JobStateRunning)
			j, err := b.admin.Cancel(b.as, id)
			if err != nil {
				t.Fatal(err)
			}
			// The worker ends it; until then it is still running.
			if j.State != rivertype.JobStateRunning {
				t.Errorf("running job after cancel: %s", j.State)
			}
			if n := b.audited(t, audit.JobCancel, id); n != 1 {
				t.Errorf("%d job.cancel events, want 1", n)
			}
		})
		for _, state := range []rivertype.JobState{rivertype.JobStateCompleted, rivertype.JobStateCancelled,
			rivertype.JobStateDiscarded} {
			t.Run("Refuses"+string(state), func(t *testing.T) {
				id := b.inState(t, state)
				_, err := b.admin.Cancel(b.as, id)
				requireProblem(t, err, apperr.UserJobFinalized)
				if s := b.state(t, id); s != state {
					t.Errorf("a refused cancel left the job %s", s)
				}
				if n := b.audited(t, audit.JobCancel, id); n != 0 {
					t.Errorf("a refused cancel wrote %d audit events", n)
				}
			})
		}
		t.Run("UnknownJobIsNotFound", func(t *testing.T) {
			_, err := b.admin.Cancel(b.as, 1<<40)
			requireProblem(t, err, apperr.UserNotFound)
		})
	})
}

// failArgs is a job kind of these tests that fails in a chosen way.
type failArgs struct {
	Mode string `json:"mode"`
}

func (failArgs) Kind() string { return "test_fail" }

// secretDetail stands for what a worker's error may carry that nobody but
// the log may see.
const secretDetail = `pq: relation "users" at /var/lib/lectern/data: ada@example.com`

// flaky fails each job's first attempt and succeeds after.
type flaky struct {
	mu   sync.Mutex
	seen map[int64]bool
}

func (f *flaky) Work(_ context.Context, job *river.Job[failArgs]) error {
	switch job.Args.Mode {
	case "safe":
		return jobs.Safely("the mail server is unavailable", errors.New(secretDetail))
	case "apperr":
		return apperr.Wrap(errors.New(secretDetail), apperr.Conflict, "the course changed meanwhile")
	case "internal":
		return errors.New(secretDetail)
	case "cancel":
		return river.JobCancel(errors.New(secretDetail))
	case "panic":
		panic(secretDetail)
	case "once":
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.seen[job.ID] {
			f.seen[job.ID] = true
			return errors.New(secretDetail)
		}
	}
	return nil
}

// runningAdmin is an Admin over a queue that works failArgs jobs.
func runningAdmin(t *testing.T, db *database.DB, log *testenv.Buffer) *adminBundle {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc((&flaky{seen: map[int64]bool{}}).Work))
	q, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	return setupAdmin(t, db, q)
}

// ended waits until job id is finalized and returns it as administrators
// see it.
func (b *adminBundle) ended(t *testing.T, id int64) *jobs.Job {
	t.Helper()
	done := ctxDone(t)
	for {
		l, err := b.admin.List(b.as, jobs.JobFilter{Kind: "test_fail"}, jobs.JobPage{First: intp(jobs.MaxPageSize)})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range l.Jobs {
			if j.ID == id && j.FinalizedAt != nil {
				return j
			}
		}
		select {
		case <-done:
			t.Fatalf("job %d never ended", id)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestAttemptErrorsAreSafe: administrators see a failure's safe message or
// a generic one naming the job and attempt; the detail is in the log only.
func TestAttemptErrorsAreSafe(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		log := &testenv.Buffer{}
		b := runningAdmin(t, db, log)
		once := &river.InsertOpts{MaxAttempts: 1}
		for _, tc := range []struct {
			mode  string
			state rivertype.JobState
			want  string
		}{
			{"safe", rivertype.JobStateDiscarded, "the mail server is unavailable"},
			{"apperr", rivertype.JobStateDiscarded, "the course changed meanwhile"},
			{"internal", rivertype.JobStateDiscarded, jobs.GenericFailure},
			{"cancel", rivertype.JobStateCancelled, jobs.GenericFailure},
			{"panic", rivertype.JobStateDiscarded, jobs.GenericFailure},
		} {
			t.Run(tc.mode, func(t *testing.T) {
				id := b.insert(t, failArgs{Mode: tc.mode}, once)
				j := b.ended(t, id)
				if j.State != tc.state || len(j.Errors) != 1 {
					t.Fatalf("job %+v, want %s after one failed attempt", j, tc.state)
				}
				msg := j.Errors[0].Message
				if !strings.HasPrefix(msg, tc.want) || j.Errors[0].Attempt != 1 || j.Errors[0].At.IsZero() {
					t.Errorf("error %+v, want message %q", j.Errors[0], tc.want)
				}
				if tc.want == jobs.GenericFailure && !strings.Contains(msg, "job "+strconv.FormatInt(id, 10)+", attempt 1") {
					t.Errorf("generic message %q does not say which job and attempt to look for", msg)
				}
				if strings.Contains(msg, "lectern") || strings.Contains(msg, "@") || strings.Contains(msg, "relation") {
					t.Errorf("message %q shows the error's detail", msg)
				}
				var stored string
				if err := db.SQL.QueryRow(`SELECT CAST(errors AS TEXT) FROM river_job WHERE id = $1`, id).Scan(&stored); err != nil {
					t.Fatal(err)
				}
				if tc.mode != "panic" && strings.Contains(stored, "ada@example.com") {
					t.Errorf("the job row keeps the detail: %s", stored)
				}
			})
		}
		if logs := log.String(); !strings.Contains(logs, "ada@example.com") || !strings.Contains(logs, "job failed") {
			t.Errorf("the log lacks the failures' detail:\n%s", logs)
		}
	})
}

// TestDiscardedJobStaysVisibleUntilRetried: a job that failed its last
// attempt is listed as DISCARDED, and a retry runs it again.
func TestDiscardedJobStaysVisibleUntilRetried(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		b := runningAdmin(t, db, &testenv.Buffer{})
		id := b.insert(t, failArgs{Mode: "once"}, &river.InsertOpts{MaxAttempts: 1})
		j := b.ended(t, id)
		if j.State != rivertype.JobStateDiscarded || j.Attempt != 1 || j.MaxAttempts != 1 {
			t.Fatalf("job %+v, want discarded after its one attempt", j)
		}
		if _, err := b.admin.Retry(b.as, id); err != nil {
			t.Fatal(err)
		}
		done := ctxDone(t)
		for b.state(t, id) != rivertype.JobStateCompleted {
			select {
			case <-done:
				t.Fatalf("the retried job is %s", b.state(t, id))
			case <-time.After(20 * time.Millisecond):
			}
		}
		j = b.ended(t, id)
		if j.Attempt != 2 || j.MaxAttempts != 2 || len(j.Errors) != 1 {
			t.Errorf("retried job %+v, want completed at its second attempt, one more allowed, the first failure kept", j)
		}
	})
}

package graph_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"lectern/ent/auditevent"
	"lectern/ent/user"
	"lectern/internal/apperr"
	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/jobs"
	"lectern/internal/testenv"
)

const jobsPassword = "queues are for administrators"

// jobsEnv is the app over one database, with a queue to put jobs in and an
// administrator signed in with two-factor sign-in.
type jobsEnv struct {
	db     *database.DB
	client *testenv.Client
	queue  *jobs.Queue
	admin  *testenv.Caller
}

func newJobsEnv(t testing.TB, db *database.DB) *jobsEnv {
	t.Helper()
	q, err := jobs.New(db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &jobsEnv{db: db, client: testenv.NewClient(t, db), queue: q}
	e.admin = e.signedIn(t, user.RoleADMIN, true)
	return e
}

// signedIn returns a new account of role signed in over HTTP with a
// session token, through a TOTP code when mfa is set.
func (e *jobsEnv) signedIn(t testing.TB, role user.Role, mfa bool) *testenv.Caller {
	t.Helper()
	u := testenv.CreateAccount(t, e.db, testenv.Account{Role: role, Password: jobsPassword, VerifiedAt: time.Now()})
	c := e.client.NewCaller()
	if !mfa {
		c.SignIn(t, u.Email, jobsPassword, testenv.TokenTransport)
		return c
	}
	secret := testenv.EnableTOTP(t, e.db, u.ID, time.Now())
	c.SignInMFA(t, u.Email, jobsPassword, testenv.TOTPCode(t, secret, time.Now()), testenv.TokenTransport)
	return c
}

// token returns c's API token with scopes READ and WRITE, as a caller.
func (e *jobsEnv) token(t *testing.T, c *testenv.Caller) *testenv.Caller {
	t.Helper()
	var out struct {
		CreateAPIToken struct{ Token string } `json:"createApiToken"`
	}
	c.Query(t, `mutation { createApiToken(input: {name: "queue", scopes: [READ, WRITE]}) { token } }`, nil).
		Field(t, "createApiToken", &out.CreateAPIToken)
	if out.CreateAPIToken.Token == "" {
		t.Fatal("no API token")
	}
	return c.WithBearer(out.CreateAPIToken.Token)
}

// job commits a job of kind test_job in state and returns its global ID.
func (e *jobsEnv) job(t testing.TB, state string) string {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := e.db.Transact(ctx, func(tx *database.Tx) error {
		res, err := e.queue.InsertTx(ctx, tx, testJobArgs{}, nil)
		if err == nil {
			id = res.Job.ID
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	q := `UPDATE river_job SET state = $1 WHERE id = $2`
	switch state {
	case "completed", "cancelled", "discarded":
		q = `UPDATE river_job SET state = $1, attempt = 1, attempted_at = created_at, finalized_at = created_at WHERE id = $2`
	case "running":
		q = `UPDATE river_job SET state = $1, attempt = 1, attempted_at = created_at WHERE id = $2`
	}
	if _, err := e.db.SQL.Exec(q, state, id); err != nil {
		t.Fatal(err)
	}
	return gid.NewInt(gid.Job, id).String()
}

// state returns the stored state of the job with global ID id.
func (e *jobsEnv) state(t *testing.T, id string) string {
	t.Helper()
	g, err := gid.Parse(id)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := e.db.SQL.QueryRow(`SELECT state FROM river_job WHERE id = $1`, g.Int).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *jobsEnv) audited(t *testing.T, action string) int {
	t.Helper()
	return countOf(t, e.db.Ent.AuditEvent.Query().Where(auditevent.Action(action)))
}

// testJobArgs is a job kind of these tests; no worker runs it.
type testJobArgs struct {
	Email string `json:"email"`
}

func (testJobArgs) Kind() string { return "test_job" }

var _ river.JobArgs = testJobArgs{}

const (
	jobsDoc = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor, $where: JobWhereInput) {
		jobs(first: $first, after: $after, last: $last, before: $before, where: $where) {
			edges { cursor node { id kind queue state attempt maxAttempts createdAt scheduledAt attemptedAt finalizedAt
				errors { attempt at message } } }
			pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
	retryDoc  = `mutation($id: ID!) { retryJob(id: $id) { job { id state finalizedAt } userErrors { code field message } } }`
	cancelDoc = `mutation($id: ID!) { cancelJob(id: $id) { job { id state finalizedAt } userErrors { code field message } } }`
)

type jobNode struct {
	ID, Kind, Queue, State string
	Attempt, MaxAttempts   int
	FinalizedAt            *time.Time
	Errors                 []struct {
		Attempt int
		Message string
	}
}

type jobPage struct {
	Edges []struct {
		Cursor string
		Node   jobNode
	}
	PageInfo struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
}

func (p jobPage) ids() []string {
	out := make([]string, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.Node.ID
	}
	return out
}

type jobPayload struct {
	Job *struct {
		ID, State   string
		FinalizedAt *time.Time
	}
	UserErrors []struct {
		Code    string
		Field   []string
		Message string
	}
}

// testJobs adds the filter to the kind of these tests' jobs to vars.
func testJobs(vars map[string]any) map[string]any {
	if vars == nil {
		vars = map[string]any{}
	}
	vars["where"] = map[string]any{"kind": "test_job"}
	return vars
}

func listJobs(t *testing.T, c *testenv.Caller, vars map[string]any) jobPage {
	t.Helper()
	var p jobPage
	c.Query(t, jobsDoc, vars).Field(t, "jobs", &p)
	return p
}

func jobMutation(t *testing.T, c *testenv.Caller, doc, field, id string) jobPayload {
	t.Helper()
	var p jobPayload
	c.Query(t, doc, map[string]any{"id": id}).Field(t, field, &p)
	return p
}

// TestJobsAuthorization asks as every kind of caller, signed in for real:
// only an administrator whose session passed MFA sees the queue or changes
// it; everyone else is refused before anything is read, and changes
// nothing.
func TestJobsAuthorization(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		e := newJobsEnv(t, db)
		discarded, waiting := e.job(t, "discarded"), e.job(t, "available")
		adminNoMFA := e.signedIn(t, user.RoleADMIN, false)
		callers := []struct {
			name   string
			c      *testenv.Caller
			refuse string
		}{
			{"anonymous", e.client.NewCaller(), string(apperr.Unauthenticated)},
			{"learner", e.signedIn(t, user.RoleLEARNER, false), string(apperr.Forbidden)},
			{"instructor", e.signedIn(t, user.RoleINSTRUCTOR, false), string(apperr.Forbidden)},
			{"admin without MFA", adminNoMFA, string(apperr.Forbidden)},
			{"admin without MFA's API token", e.token(t, adminNoMFA), string(apperr.Forbidden)},
			{"MFA admin's API token", e.token(t, e.admin), string(apperr.Forbidden)},
			{"admin with MFA", e.admin, ""},
		}
		for _, tc := range callers {
			t.Run(tc.name, func(t *testing.T) {
				for _, op := range []struct {
					field, doc string
					vars       map[string]any
				}{
					{"jobs", jobsDoc, map[string]any{"first": 5}},
					{"retryJob", retryDoc, map[string]any{"id": discarded}},
					{"cancelJob", cancelDoc, map[string]any{"id": waiting}},
				} {
					r := tc.c.Query(t, op.doc, op.vars)
					if tc.refuse == "" {
						if len(r.Errors) > 0 {
							t.Errorf("%s: %+v", op.field, r.Errors)
						}
						continue
					}
					if err := r.OnlyError(t); err.Extensions.Code != tc.refuse || string(r.Data) != "null" {
						t.Errorf("%s: %s with data %s, want %s and no data", op.field, err.Extensions.Code, r.Data, tc.refuse)
					}
					if e.state(t, discarded) != "discarded" || e.state(t, waiting) != "available" {
						t.Fatalf("a refused %s changed a job", op.field)
					}
				}
			})
		}
		if e.state(t, discarded) != "available" || e.state(t, waiting) != "cancelled" {
			t.Errorf("after the administrator's calls: %s and %s, want available and cancelled", e.state(t, discarded), e.state(t, waiting))
		}
		if e.audited(t, "job.retry") != 1 || e.audited(t, "job.cancel") != 1 {
			t.Errorf("audit events: %d retries, %d cancels; want one each, by the administrator", e.audited(t, "job.retry"), e.audited(t, "job.cancel"))
		}
	})
}

func TestJobsQuery(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		e := newJobsEnv(t, db)
		var newest []string
		for _, s := range []string{"available", "completed", "discarded", "available", "running"} {
			newest = append([]string{e.job(t, s)}, newest...)
		}

		t.Run("NewestFirstWithFields", func(t *testing.T) {
			p := listJobs(t, e.admin, testJobs(nil))
			if !slices.Equal(p.ids(), newest) || p.PageInfo.HasNextPage {
				t.Fatalf("jobs %v, want %v on one page", p.ids(), newest)
			}
			n := p.Edges[0].Node
			if n.Kind != "test_job" || n.Queue != river.QueueDefault || n.State != "RUNNING" || n.Attempt != 1 ||
				n.MaxAttempts != river.MaxAttemptsDefault || n.FinalizedAt != nil || len(n.Errors) != 0 {
				t.Errorf("newest job %+v", n)
			}
			if fin := p.Edges[2].Node; fin.State != "DISCARDED" || fin.FinalizedAt == nil {
				t.Errorf("discarded job %+v, want DISCARDED with finalizedAt", fin)
			}
		})

		t.Run("CursorsPageThrough", func(t *testing.T) {
			first := listJobs(t, e.admin, testJobs(map[string]any{"first": 2}))
			if !slices.Equal(first.ids(), newest[:2]) || !first.PageInfo.HasNextPage || first.PageInfo.EndCursor == nil {
				t.Fatalf("first page %v %+v", first.ids(), first.PageInfo)
			}
			second := listJobs(t, e.admin, testJobs(map[string]any{"first": 2, "after": *first.PageInfo.EndCursor}))
			if !slices.Equal(second.ids(), newest[2:4]) || !second.PageInfo.HasPreviousPage {
				t.Errorf("second page %v, want %v", second.ids(), newest[2:4])
			}
			back := listJobs(t, e.admin, testJobs(map[string]any{"last": 2, "before": *second.PageInfo.StartCursor}))
			if !slices.Equal(back.ids(), newest[:2]) {
				t.Errorf("back from the second page: %v, want %v", back.ids(), newest[:2])
			}
		})

		t.Run("Filters", func(t *testing.T) {
			p := listJobs(t, e.admin, map[string]any{"where": map[string]any{"state": "AVAILABLE", "kind": "test_job"}})
			if want := []string{newest[1], newest[4]}; !slices.Equal(p.ids(), want) {
				t.Errorf("available jobs %v, want %v", p.ids(), want)
			}
			// Signing the administrator in queued a notice.
			emails := listJobs(t, e.admin, map[string]any{"where": map[string]any{"kind": "email"}})
			if len(emails.Edges) == 0 {
				t.Error("no email jobs listed")
			}
			for _, edge := range emails.Edges {
				if edge.Node.Kind != "email" {
					t.Errorf("the email filter listed a %s job", edge.Node.Kind)
				}
			}
			if p := listJobs(t, e.admin, map[string]any{"where": map[string]any{"kind": "no_such_kind"}}); len(p.Edges) != 0 {
				t.Errorf("jobs of an unknown kind: %v, want none", p.ids())
			}
		})

		t.Run("NeverShowsArguments", func(t *testing.T) {
			r := e.admin.Query(t, `{ jobs { edges { node { args } } } }`, nil)
			if len(r.Errors) == 0 || r.Errors[0].Extensions.Code != string(apperr.GraphQLValidationFailed) {
				t.Errorf("asking for args: %s, want a validation failure", r.Raw)
			}
		})

		t.Run("ForgedCursorsAreBadInput", func(t *testing.T) {
			courses := e.admin.Query(t, `{ courses(first: 1) { pageInfo { endCursor } } }`, nil)
			var out struct {
				Courses struct{ PageInfo struct{ EndCursor *string } }
			}
			courses.Decode(t, &out)
			forged := map[string]string{
				"not base64":         "%%%",
				"not msgpack":        base64.RawStdEncoding.EncodeToString([]byte("hello")),
				"text value":         cursorOf(t, uuid.Nil, "7"),
				"zero job":           cursorOf(t, uuid.Nil, 0),
				"negative job":       cursorOf(t, uuid.Nil, -3),
				"another connection": cursorOf(t, uuid.New(), 7),
			}
			if out.Courses.PageInfo.EndCursor != nil {
				forged["a course cursor"] = *out.Courses.PageInfo.EndCursor
			}
			for name, c := range forged {
				r := e.admin.Query(t, jobsDoc, map[string]any{"after": c})
				if err := r.OnlyError(t); err.Extensions.Code != string(apperr.BadUserInput) {
					t.Errorf("%s: %s, want BAD_USER_INPUT", name, r.Raw)
				}
			}
		})

		t.Run("PageBoundsAndHostileFilters", func(t *testing.T) {
			for name, vars := range map[string]map[string]any{
				"first over 100": {"first": 101},
				"first and last": {"first": 1, "last": 1},
				"negative last":  {"last": -1},
				"long kind":      {"where": map[string]any{"kind": strings.Repeat("k", 65)}},
				"NUL in kind":    {"where": map[string]any{"kind": "email\x00"}},
				"unknown state":  {"where": map[string]any{"state": "EXPLODED"}},
			} {
				r := e.admin.Query(t, jobsDoc, vars)
				if len(r.Errors) == 0 || (r.Errors[0].Extensions.Code != string(apperr.BadUserInput) &&
					r.Errors[0].Extensions.Code != string(apperr.GraphQLValidationFailed)) {
					t.Errorf("%s: %s, want BAD_USER_INPUT", name, r.Raw)
				}
			}
		})

		t.Run("JobIsNotANode", func(t *testing.T) {
			r := e.admin.Query(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": newest[0]})
			if err := r.OnlyError(t); err.Extensions.Code != string(apperr.BadUserInput) {
				t.Errorf("node(id: a job's ID): %s, want BAD_USER_INPUT", r.Raw)
			}
		})
	})
}

// cursorOf builds a cursor in the Cursor scalar's encoding with the given
// UUID and value, as a forger would.
func cursorOf(t *testing.T, id uuid.UUID, value any) string {
	t.Helper()
	var buf bytes.Buffer
	entgql.Cursor[uuid.UUID]{ID: id, Value: value}.MarshalGQL(&buf)
	s, err := strconv.Unquote(buf.String())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRetryAndCancelJob(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		e := newJobsEnv(t, db)

		t.Run("RetryDiscarded", func(t *testing.T) {
			id := e.job(t, "discarded")
			p := jobMutation(t, e.admin, retryDoc, "retryJob", id)
			if len(p.UserErrors) != 0 || p.Job == nil || p.Job.ID != id || p.Job.State != "AVAILABLE" || p.Job.FinalizedAt != nil {
				t.Errorf("retryJob: %+v", p)
			}
		})
		t.Run("CancelWaiting", func(t *testing.T) {
			id := e.job(t, "available")
			p := jobMutation(t, e.admin, cancelDoc, "cancelJob", id)
			if len(p.UserErrors) != 0 || p.Job == nil || p.Job.State != "CANCELLED" || p.Job.FinalizedAt == nil {
				t.Errorf("cancelJob: %+v", p)
			}
		})

		userErrors := []struct {
			name, doc, field, id, code string
		}{
			{"RetryRunning", retryDoc, "retryJob", e.job(t, "running"), string(apperr.UserJobNotRetryable)},
			{"RetryWaiting", retryDoc, "retryJob", e.job(t, "available"), string(apperr.UserJobNotRetryable)},
			{"CancelCompleted", cancelDoc, "cancelJob", e.job(t, "completed"), string(apperr.UserJobFinalized)},
			{"CancelDiscarded", cancelDoc, "cancelJob", e.job(t, "discarded"), string(apperr.UserJobFinalized)},
			{"RetryUnknown", retryDoc, "retryJob", gid.NewInt(gid.Job, 1<<50).String(), string(apperr.UserNotFound)},
			{"CancelUnknown", cancelDoc, "cancelJob", gid.NewInt(gid.Job, 1<<50).String(), string(apperr.UserNotFound)},
			{"RetryCourseID", retryDoc, "retryJob", gid.New("Course", uuid.New()).String(), string(apperr.UserNotFound)},
		}
		for _, tc := range userErrors {
			t.Run(tc.name, func(t *testing.T) {
				before := e.audited(t, "job.retry") + e.audited(t, "job.cancel")
				p := jobMutation(t, e.admin, tc.doc, tc.field, tc.id)
				if p.Job != nil || len(p.UserErrors) != 1 || p.UserErrors[0].Code != tc.code || !slices.Equal(p.UserErrors[0].Field, []string{"id"}) {
					t.Errorf("%s: %+v, want only the user error %s at [id]", tc.field, p, tc.code)
				}
				if after := e.audited(t, "job.retry") + e.audited(t, "job.cancel"); after != before {
					t.Errorf("a refused %s wrote an audit event", tc.field)
				}
			})
		}

		t.Run("ConcurrentRetriesRetryOnce", func(t *testing.T) {
			id := e.job(t, "discarded")
			before := e.audited(t, "job.retry")
			reqs := make([]*http.Request, 4)
			for i := range reqs {
				reqs[i] = e.admin.Request(t, retryDoc, map[string]any{"id": id})
			}
			retried, refused := 0, 0
			for _, r := range e.client.ServeAtOnce(t, reqs...) {
				var p jobPayload
				r.Field(t, "retryJob", &p)
				switch {
				case p.Job != nil && len(p.UserErrors) == 0:
					retried++
				case len(p.UserErrors) == 1 && p.UserErrors[0].Code == string(apperr.UserJobNotRetryable):
					refused++
				default:
					t.Errorf("retryJob answered %s", r.Raw)
				}
			}
			if retried != 1 || refused != 3 {
				t.Errorf("%d retried, %d refused; want one retry and three JOB_NOT_RETRYABLE", retried, refused)
			}
			if n := e.audited(t, "job.retry") - before; n != 1 {
				t.Errorf("%d job.retry events for one retry", n)
			}
		})

		t.Run("MalformedIDIsBadInput", func(t *testing.T) {
			for _, id := range []string{"42", "", "Sm9iOgAAAAAAAAAA", gid.NewInt(gid.Job, 1).String() + "A"} {
				r := e.admin.Query(t, retryDoc, map[string]any{"id": id})
				if err := r.OnlyError(t); err.Extensions.Code != string(apperr.BadUserInput) {
					t.Errorf("retryJob(id: %q): %s, want BAD_USER_INPUT", id, r.Raw)
				}
			}
		})
	})
}

// FuzzJobCursor posts arbitrary cursors at the job queue as an
// administrator: whatever a client sends, the answer is a page or
// BAD_USER_INPUT, never an internal error.
func FuzzJobCursor(f *testing.F) {
	for _, seed := range []string{"", "x", "%%%", "gqFpxBA", "gqFpxBAAAAAAAAAAAAAAAAAAAAAAoXYH",
		base64.RawStdEncoding.EncodeToString([]byte{0x82, 0xa1, 0x69, 0xc4, 0x10}), "\x00\xff"} {
		f.Add(seed)
	}
	e := newJobsEnv(f, testenv.Open(f, database.SQLite))
	for _, s := range []string{"available", "discarded", "completed"} {
		e.job(f, s)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		for _, arg := range []string{"after", "before"} {
			r := e.admin.Query(t, jobsDoc, map[string]any{arg: cursor})
			for _, err := range r.Errors {
				switch err.Extensions.Code {
				case string(apperr.BadUserInput), string(apperr.GraphQLValidationFailed):
				default:
					t.Fatalf("%s %q: %s", arg, cursor, r.Raw)
				}
			}
		}
	})
}

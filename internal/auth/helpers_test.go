package auth_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"lectern/ent"
	"lectern/ent/auditevent"
	"lectern/ent/user"
	"lectern/internal/app"
	"lectern/internal/auth"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/jobs"
	lmail "lectern/internal/mail"
	"lectern/internal/mail/mailtest"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// mailWait bounds how long a test waits for the queue to deliver a
// message; it only turns a hang into a failure, it is not a timing claim.
const mailWait = 20 * time.Second

// harness is the application as a user meets it: the real GraphQL handler
// over a database of the test's own, a job queue working email jobs, and
// an SMTP server receiving what they send.
type harness struct {
	db         *database.DB
	app        *testenv.Client
	smtp       *mailtest.Server
	clock      *testenv.Clock
	workerLogs *testenv.Buffer
	baseURL    string

	mu      sync.Mutex
	claimed map[int]bool // messages a wait has already handed out
}

// newHarness builds the calling test's harness over an empty database.
func newHarness(t *testing.T, dialect string) *harness {
	t.Helper()
	return harnessOn(t, testenv.Fresh(t, dialect))
}

// newDemoHarness builds the calling test's harness over the demo data,
// whose demo accounts have their published passwords, as a dev server
// runs.
func newDemoHarness(t *testing.T, dialect string) *harness {
	t.Helper()
	return harnessOn(t, testenv.Fresh(t, dialect, testenv.DemoSignIn))
}

// alone runs a case with a harness of its own, beside the other cases.
func alone(dialect string, test func(*testing.T, *harness)) func(*testing.T) {
	return func(t *testing.T) {
		t.Parallel()
		test(t, newHarness(t, dialect))
	}
}

// harnessOn builds a harness over db.
func harnessOn(t *testing.T, db *database.DB) *harness {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.Storage.Dir = t.TempDir()
	h := &harness{
		db: db,
		// Microseconds, because PostgreSQL keeps no more: times read back
		// then equal the ones written.
		clock:      testenv.NewWallClock(),
		workerLogs: &testenv.Buffer{},
		baseURL:    cfg.PublicBaseURL,
		claimed:    map[int]bool{},
		smtp:       mailtest.Start(t),
	}
	queue := h.startQueue(t, cfg)
	h.app = testenv.NewClient(t, db, appOptions(queue, h.clock)...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("app log:\n%s\nworker log:\n%s", h.app.Logs.String(), h.workerLogs.String())
		}
	})
	return h
}

// appOptions is how the tests' app differs from the one the server runs:
// the harness's queue and clock. It is the one place the tests name the
// app's options.
func appOptions(queue *jobs.Queue, clock *testenv.Clock) []app.Option {
	return []app.Option{app.WithQueue(queue), app.WithClock(clock.Now)}
}

// startQueue runs the email worker against the SMTP server until the test
// ends. The mailer shares the service's clock, so link tokens expire on the
// test's time.
func (h *harness) startQueue(t *testing.T, cfg config.Config) *jobs.Queue {
	t.Helper()
	renderer, err := lmail.NewRenderer(cfg.PublicBaseURL, cfg.MailFrom)
	if err != nil {
		t.Fatalf("renderer: %v", err)
	}
	sender, err := lmail.NewSMTPSender(h.smtp.URL("smtp"), lmail.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatalf("smtp sender: %v", err)
	}
	logger := slog.New(slog.NewJSONHandler(h.workerLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	workers := river.NewWorkers()
	river.AddWorker(workers, jobs.NewEmailWorker(h.db, auth.NewMailer(renderer, h.clock.Now), sender, logger))
	q, err := jobs.New(h.db, jobs.Config{Workers: workers, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("queue: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := q.Start(ctx); err != nil {
		cancel()
		t.Fatalf("start queue: %v", err)
	}
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		if err := q.Stop(stop); err != nil {
			t.Logf("stop queue: %v", err)
		}
		cancel()
	})
	return q
}

// sys is a context that sees every row, for checking what was stored.
func sys() context.Context { return viewer.SystemContext(context.Background()) }

// caller is one browser or API client of the app, with the identity
// operations it performs.
type caller struct{ *testenv.Caller }

// browser returns a new browser on the app's own origin, from an address
// no other caller uses, so per-address throttling in one part of a test
// does not leak into another.
func (h *harness) browser() *caller { return &caller{h.app.NewCaller()} }

// script returns a client that is no browser: no Origin, only the token
// (none for an anonymous caller).
func (h *harness) script(token string) *caller {
	c := h.browser()
	c.Origin, c.Bearer = "", token
	return c
}

// clone is another tab of the same browser: same address, same cookie.
func (c *caller) clone() *caller { return &caller{c.Clone()} }

// withBearer returns a client sending token as Authorization: Bearer.
func (c *caller) withBearer(token string) *caller { return &caller{c.WithBearer(token)} }

// createUser stores a verified learner with password pw directly, as an
// operator would, so a test starts from an account without spending a
// sign-up (and its emails) on it.
func (h *harness) createUser(t *testing.T, email, pw string) *ent.User {
	t.Helper()
	return testenv.CreateAccount(t, h.db, testenv.Account{Email: email, DisplayName: "Learner " + strings.Split(email, "@")[0],
		Password: pw, VerifiedAt: h.clock.Now()})
}

// createUserWithHash is createUser with the stored hash given.
func (h *harness) createUserWithHash(t *testing.T, email, hash string) *ent.User {
	t.Helper()
	u, err := h.db.Ent.User.Create().SetEmail(email).SetDisplayName("Learner " + strings.Split(email, "@")[0]).
		SetRole(user.RoleLEARNER).SetPasswordHash(hash).SetEmailVerifiedAt(h.clock.Now()).Save(sys())
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return u
}

// userRow reads an account as stored, or nil.
func (h *harness) userRow(t *testing.T, email string) *ent.User {
	t.Helper()
	u, err := h.db.Ent.User.Query().Where(user.Email(email)).Only(sys())
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (h *harness) userByID(t *testing.T, id uuid.UUID) *ent.User {
	t.Helper()
	u, err := h.db.Ent.User.Get(sys(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (h *harness) userCount(t *testing.T) int {
	t.Helper()
	n, err := h.db.Ent.User.Query().Count(sys())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// auditRows returns the audit records of action written by one request.
func (h *harness) auditRows(t *testing.T, action string, res testenv.Reply) []*ent.AuditEvent {
	t.Helper()
	rows, err := h.db.Ent.AuditEvent.Query().Where(auditevent.Action(action), auditevent.RequestID(res.RequestID())).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

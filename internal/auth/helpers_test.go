package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"lectern/ent"
	"lectern/ent/auditevent"
	"lectern/ent/user"
	"lectern/internal/auth"
	"lectern/internal/auth/password"
	"lectern/internal/auth/totp"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/httpserver"
	"lectern/internal/jobs"
	lmail "lectern/internal/mail"
	"lectern/internal/mail/mailtest"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// cookieName is the dev configuration's session cookie, which the tests'
// app runs with.
const cookieName = "lectern_session"

// mailWait bounds how long a test waits for the queue to deliver a
// message; it only turns a hang into a failure, it is not a timing claim.
const mailWait = 20 * time.Second

// harness is the application as a user meets it: the real GraphQL handler
// over a real database, a job queue working email jobs, and an SMTP server
// receiving what they send.
type harness struct {
	db         *database.DB
	app        *testenv.Client
	smtp       *mailtest.Server
	clock      *testenv.Clock
	hasher     *password.Hasher
	workerLogs *testenv.Buffer
	baseURL    string
	origin     string

	mu       sync.Mutex
	claimed  map[int]bool // messages a wait has already handed out
	nextPeer int
}

func newHarness(t *testing.T, db *database.DB) *harness {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	hasher, err := password.NewHasher(password.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		db: db,
		// Microseconds, because PostgreSQL keeps no more: times read back
		// then equal the ones written.
		clock:      testenv.NewWallClock(),
		hasher:     hasher,
		workerLogs: &testenv.Buffer{},
		baseURL:    cfg.PublicBaseURL,
		origin:     cfg.PublicOrigin(),
		claimed:    map[int]bool{},
		smtp:       mailtest.Start(t),
	}
	queue := h.startQueue(t, cfg)
	h.app = testenv.NewClient(t, db, httpserver.WithQueue(queue), httpserver.WithClock(h.clock.Now))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("app log:\n%s\nworker log:\n%s", h.app.Logs.String(), h.workerLogs.String())
		}
	})
	return h
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

// caller is one browser or API client: its own network address and user
// agent, and the session cookie (or bearer token) it carries between
// requests the way a browser does.
type caller struct {
	h      *harness
	addr   string // client IP as the server sees it
	ua     string
	cookie string
	bearer string
	origin string // the Origin header; the app's own when empty
}

// browser returns a new caller from an address no other caller uses, so
// per-address throttling in one part of a test does not leak into another.
func (h *harness) browser() *caller {
	h.mu.Lock()
	h.nextPeer++
	n := h.nextPeer
	h.mu.Unlock()
	return &caller{h: h, addr: fmt.Sprintf("198.51.%d.%d", 100+n/250, 1+n%250), ua: fmt.Sprintf("lectern-test/%d", n)}
}

// clone is another tab of the same browser: same address, same cookie.
func (c *caller) clone() *caller {
	cp := *c
	return &cp
}

// withBearer returns a client sending token as Authorization: Bearer.
func (c *caller) withBearer(token string) *caller {
	cp := *c
	cp.cookie, cp.bearer = "", token
	return &cp
}

// result is one HTTP answer of the GraphQL endpoint.
type result struct {
	Status int
	Header http.Header
	Raw    []byte
	Data   map[string]json.RawMessage
	Errors []gqlError
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string {
	s, _ := e.Extensions["code"].(string)
	return s
}

// requestID is the X-Request-ID the server answered with.
func (r *result) requestID() string { return r.Header.Get("X-Request-ID") }

// sessionCookie returns the session cookie the response set: its value,
// and whether there was one ("" with true means it was cleared).
func (r *result) sessionCookie() (string, bool) {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == cookieName {
			if c.MaxAge < 0 || c.Value == "" {
				return "", true
			}
			return c.Value, true
		}
	}
	return "", false
}

// do posts a GraphQL document.
func (c *caller) do(t *testing.T, query string, vars map[string]any) *result {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	return c.post(t, body)
}

// post sends body to the GraphQL endpoint as a browser on the app's own
// origin would, and keeps whatever session cookie the answer sets.
func (c *caller) post(t *testing.T, body []byte) *result {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
	req.RemoteAddr = c.addr + ":40000"
	req.Header.Set("Content-Type", "application/json")
	origin := c.origin
	if origin == "" {
		origin = c.h.origin
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("User-Agent", c.ua)
	switch {
	case c.bearer != "":
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	case c.cookie != "":
		req.AddCookie(&http.Cookie{Name: cookieName, Value: c.cookie})
	}
	rec := httptest.NewRecorder()
	c.h.app.Handler.ServeHTTP(rec, req)
	res := &result{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes()}
	var env struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []gqlError                 `json:"errors"`
	}
	if err := json.Unmarshal(res.Raw, &env); err != nil {
		t.Fatalf("response is not JSON (%d): %s", res.Status, res.Raw)
	}
	res.Data, res.Errors = env.Data, env.Errors
	if v, ok := res.sessionCookie(); ok {
		c.cookie = v
	}
	return res
}

// field decodes data.<name> into v, failing on any request error.
func (r *result) field(t *testing.T, name string, v any) {
	t.Helper()
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("%s: status %d, errors %+v", name, r.Status, r.Errors)
	}
	raw, ok := r.Data[name]
	if !ok {
		t.Fatalf("no data.%s in %s", name, r.Raw)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode data.%s %s: %v", name, raw, err)
	}
}

// onlyError returns the response's one request-level error.
func (r *result) onlyError(t *testing.T) gqlError {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("want exactly one error, got %d: %s", len(r.Errors), r.Raw)
	}
	return r.Errors[0]
}

// createUser stores a verified learner with password pw directly, as an
// operator would, so a test starts from an account without spending a
// sign-up (and its emails) on it.
func (h *harness) createUser(t *testing.T, email, pw string) *ent.User {
	t.Helper()
	hash, err := h.hasher.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h.createUserWithHash(t, email, hash)
}

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
func (h *harness) auditRows(t *testing.T, action string, res *result) []*ent.AuditEvent {
	t.Helper()
	rows, err := h.db.Ent.AuditEvent.Query().Where(auditevent.Action(action), auditevent.RequestID(res.requestID())).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// nextCode moves the clock to the next 30-second step and returns the code
// for it: a code is accepted once, so each use needs a later step.
func (h *harness) nextCode(t *testing.T, secret string) string {
	t.Helper()
	h.clock.Advance(30 * time.Second)
	code, err := totp.Code(secret, h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// wrongCode returns six digits that are no valid code for secret at any
// step the server accepts now.
func (h *harness) wrongCode(t *testing.T, secret string) string {
	t.Helper()
	near := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		c, err := totp.Code(secret, h.clock.Now().Add(d))
		if err != nil {
			t.Fatal(err)
		}
		near[c] = true
	}
	for i := 0; ; i++ {
		if c := fmt.Sprintf("%06d", (i*7919+123456)%1000000); !near[c] {
			return c
		}
	}
}

// comparable returns a response body with what legitimately differs
// between two requests blanked: object IDs, request IDs, creation times,
// and the dev-only list of SQL statements.
func comparable(t testing.TB, raw []byte) string {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	if top, ok := v.(map[string]any); ok {
		if ext, ok := top["extensions"].(map[string]any); ok {
			delete(ext, "debug")
			if len(ext) == 0 {
				delete(top, "extensions")
			}
		}
	}
	blank(v)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func blank(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch k {
			case "id", "requestId", "createdAt", "sessionId":
				if x != nil {
					v[k] = "<blank>"
				}
			default:
				blank(x)
			}
		}
	case []any:
		for _, x := range v {
			blank(x)
		}
	}
}

// wantSameAnswer checks that two responses tell a client the same thing.
func wantSameAnswer(t *testing.T, what string, a, b *result) {
	t.Helper()
	if a.Status != b.Status {
		t.Errorf("%s: status %d vs %d", what, a.Status, b.Status)
	}
	if ca, cb := comparable(t, a.Raw), comparable(t, b.Raw); ca != cb {
		t.Errorf("%s: answers differ:\n%s\n%s", what, ca, cb)
	}
	_, setA := a.sessionCookie()
	_, setB := b.sessionCookie()
	if setA != setB {
		t.Errorf("%s: one answer sets the session cookie and the other does not", what)
	}
}

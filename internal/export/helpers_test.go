package export_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"lectern/ent"
	entexport "lectern/ent/export"
	"lectern/ent/user"
	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/export"
	"lectern/internal/gid"
	"lectern/internal/jobs"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// These tests drive exports through the handler the server serves:
// GraphQL POSTs, the jobs worked by River workers over the same database
// (as a worker process works them), and GETs of the signed URLs, sent to
// the same handler by their path and query.

// Demo content: a published course the demo instructor owns, with six
// enrolments.
const (
	demoCourse   = "backend-development-from-first-principles"
	demoLearners = 6
	testPassword = "export-test-password-7c2x"
)

// env is one app over a fresh copy of the demo data, on a clock the test
// moves, with the emails its jobs send.
type env struct {
	db     *database.DB
	client *testenv.Client
	app    *app.App
	cfg    config.Config
	clock  *testenv.Clock
	mail   *outbox
	// workerLogs collects what the job workers log.
	workerLogs *testenv.Buffer
}

func newEnv(t *testing.T, dialect string) *env {
	t.Helper()
	e := &env{db: testenv.Fresh(t, dialect, testenv.DemoSignIn), clock: testenv.NewWallClock(), mail: &outbox{},
		workerLogs: &testenv.Buffer{}}
	e.client, e.app = testenv.NewCachedClient(t, e.db, func(c *config.Config) {
		c.DataDir = t.TempDir()
		e.cfg = *c
	}, app.WithLoaderWait(50*time.Millisecond), app.WithClock(e.clock.Now))
	// Files must not land in the package directory.
	if wd, err := os.Getwd(); err != nil || strings.HasPrefix(e.cfg.Storage.Dir, wd) {
		t.Fatalf("the file store is at %q, inside the package (%v)", e.cfg.Storage.Dir, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("app log:\n%s\nworker log:\n%s", e.client.Logs.String(), e.workerLogs.String())
		}
	})
	return e
}

// outbox is a mail sender that keeps what it is given.
type outbox struct {
	mu   sync.Mutex
	sent []sentMessage
}

type sentMessage struct {
	to  []string
	raw string
}

func (o *outbox) Send(_ context.Context, msg []byte, _ string, to []string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, sentMessage{to: slices.Clone(to), raw: string(msg)})
	return nil
}

// exportMessages returns the export emails sent so far (sign-ins send
// notices of their own).
func (o *outbox) exportMessages(t *testing.T) []sentMessage {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []sentMessage
	for _, m := range o.sent {
		msg, err := mail.ReadMessage(strings.NewReader(m.raw))
		if err != nil {
			t.Fatalf("a sent message does not parse: %v", err)
		}
		if msg.Header.Get("Subject") == "Your Lectern export is ready" {
			out = append(out, m)
		}
	}
	return out
}

// text returns the decoded text of every part of m.
func (m sentMessage) text(t *testing.T) string {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(m.raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := parts.NextRawPart()
		if err == io.EOF {
			return b.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			r = quotedprintable.NewReader(p)
		}
		body, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(body)
	}
}

// signInDemo signs in the demo account with role from a browser.
func (e *env) signInDemo(t *testing.T, role string) *testenv.Caller {
	t.Helper()
	acct := testenv.DemoAccount(t, role)
	c := e.client.NewCaller()
	c.SignIn(t, acct.Email, acct.Password, testenv.CookieTransport)
	return c
}

// newAccount stores a verified account with role and signs it in.
func (e *env) newAccount(t *testing.T, name string, role string) *testenv.Caller {
	t.Helper()
	u := testenv.CreateAccount(t, e.db, testenv.Account{DisplayName: name, Role: user.Role(role), Password: testPassword, VerifiedAt: testenv.Now})
	c := e.client.NewCaller()
	c.SignIn(t, u.Email, testPassword, testenv.CookieTransport)
	return c
}

// apiToken creates an API token of c's account with scopes and returns a
// caller sending it.
func (e *env) apiToken(t *testing.T, c *testenv.Caller, scopes ...string) *testenv.Caller {
	t.Helper()
	var out struct {
		CreateAPIToken struct{ Token string } `json:"createApiToken"`
	}
	c.Query(t, `mutation($s: [ApiTokenScope!]!) { createApiToken(input: {name: "exports", scopes: $s}) { token } }`,
		map[string]any{"s": scopes}).Decode(t, &out)
	if out.CreateAPIToken.Token == "" {
		t.Fatal("createApiToken gave no token")
	}
	return e.client.NewCaller().WithBearer(out.CreateAPIToken.Token)
}

// courseID returns the global ID of the course at slug, as c sees it.
func (e *env) courseID(t *testing.T, c *testenv.Caller, slug string) string {
	t.Helper()
	var out struct{ Course struct{ ID string } }
	c.Query(t, `query($s: String!) { course(slug: $s) { id } }`, map[string]any{"s": slug}).Decode(t, &out)
	if out.Course.ID == "" {
		t.Fatalf("no course %s", slug)
	}
	return out.Course.ID
}

// exportView is what the tests select of an Export.
type exportView struct {
	ID        string
	Kind      string
	Status    string
	Progress  float64
	RowCount  *int
	URL       *string
	ExpiresAt *time.Time
	Error     *string
	CreatedAt time.Time
}

const exportFields = `id kind status progress rowCount url expiresAt error createdAt`

type userError struct {
	Code    string
	Field   []string
	Message string
}

type requestPayload struct {
	Export     *exportView
	UserErrors []userError
}

const requestDoc = `mutation($in: RequestExportInput!) { requestExport(input: $in) {
	export { ` + exportFields + ` } userErrors { code field message } } }`

// requestVars are requestExport's variables for kind and a course (none
// when empty).
func requestVars(kind, courseID string) map[string]any {
	in := map[string]any{"kind": kind}
	if courseID != "" {
		in["courseId"] = courseID
	}
	return map[string]any{"in": in}
}

// request asks for an export as c and fails the test unless it is QUEUED.
func (e *env) request(t *testing.T, c *testenv.Caller, kind, courseID string) exportView {
	t.Helper()
	r := c.Query(t, requestDoc, requestVars(kind, courseID))
	var p requestPayload
	r.Field(t, "requestExport", &p)
	if p.Export == nil || len(p.UserErrors) > 0 {
		t.Fatalf("requestExport %s = %s, want an export", kind, r.Raw)
	}
	x := *p.Export
	if x.Status != "QUEUED" || x.Kind != kind || x.Progress != 0 || x.URL != nil || x.ExpiresAt != nil || x.Error != nil {
		t.Fatalf("requested export = %+v, want QUEUED %s without a file", x, kind)
	}
	return x
}

const nodeDoc = `query($id: ID!) { node(id: $id) { ... on Export { ` + exportFields + ` } } }`

// export reads export id as c; nil when c cannot see it.
func (e *env) export(t *testing.T, c *testenv.Caller, id string) *exportView {
	t.Helper()
	var out struct{ Node *exportView }
	c.Query(t, nodeDoc, map[string]any{"id": id}).Decode(t, &out)
	return out.Node
}

// listExports returns c's viewer.exports (the first 100).
func (e *env) listExports(t *testing.T, c *testenv.Caller) []exportView {
	t.Helper()
	var out struct {
		Viewer struct {
			Exports struct {
				TotalCount int
				Edges      []struct{ Node exportView }
			}
		}
	}
	c.Query(t, `{ viewer { exports(first: 100) { totalCount edges { node { `+exportFields+` } } } } }`, nil).Decode(t, &out)
	var xs []exportView
	for _, edge := range out.Viewer.Exports.Edges {
		xs = append(xs, edge.Node)
	}
	if len(xs) != out.Viewer.Exports.TotalCount {
		t.Errorf("viewer.exports lists %d of totalCount %d", len(xs), out.Viewer.Exports.TotalCount)
	}
	return xs
}

// get sends a GET of a signed URL to the app's handler.
func (e *env) get(t *testing.T, raw string) *httptest.ResponseRecorder {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("url %q: %v", raw, err)
	}
	if !strings.HasPrefix(raw, e.cfg.APIBaseURL+"/v1/files/") {
		t.Fatalf("url %q is not a signed file URL of %s", raw, e.cfg.APIBaseURL)
	}
	rec := httptest.NewRecorder()
	e.app.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
	return rec
}

// download fetches a SUCCEEDED export's file through its URL.
func (e *env) download(t *testing.T, x *exportView) (*httptest.ResponseRecorder, []byte) {
	t.Helper()
	if x == nil || x.Status != "SUCCEEDED" || x.URL == nil {
		t.Fatalf("export %+v has no file to download", x)
	}
	rec := e.get(t, *x.URL)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET of the export's url = %d %s", rec.Code, rec.Body)
	}
	return rec, rec.Body.Bytes()
}

// objects lists the keys of the store under the export prefix.
func (e *env) objects(t *testing.T) []string {
	t.Helper()
	var keys []string
	for o, err := range e.app.Store.List(context.Background(), "exports/") {
		if err != nil {
			t.Fatalf("list exports/: %v", err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// row reads export id (a global ID) as the system.
func (e *env) row(t *testing.T, id string) *ent.Export {
	t.Helper()
	x, err := e.db.Ent.Export.Get(sys(), uuidOf(t, id))
	if err != nil {
		t.Fatalf("export %s: %v", id, err)
	}
	return x
}

// jobCount counts the jobs of kind in River's table, in any state, whose
// arguments contain args (as JSON text, "" for any).
func (e *env) jobCount(t *testing.T, kind, args string) int {
	t.Helper()
	// River keeps arguments as jsonb on both, binary on SQLite.
	text := "CAST(args AS TEXT)"
	if e.db.Dialect == database.SQLite {
		text = "json(args)"
	}
	rows, err := e.db.SQL.QueryContext(context.Background(), "SELECT "+text+" FROM river_job WHERE kind = $1", kind)
	if err != nil {
		t.Fatalf("jobs of kind %s: %v", kind, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ReplaceAll(a, " ", ""), args) {
			n++
		}
	}
	return n
}

// jobKinds are the jobs runJobs works and waits for.
const jobKinds = "'export', 'email', 'export_expiry'"

// runJobs works the export, email and expiry jobs waiting in the database
// with River workers over the same database, the way a worker process
// does (the app's export workers, the email worker with the app's
// composer, sending to e.mail), until none is left; it fails the test
// when one fails.
func (e *env) runJobs(t *testing.T) {
	t.Helper()
	logger := slog.New(slog.NewJSONHandler(e.workerLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	workers := river.NewWorkers()
	e.app.AddExportWorkers(workers, logger, 0)
	river.AddWorker(workers, jobs.NewEmailWorker(e.db, e.app.EmailComposer(), e.mail, logger))
	q, err := jobs.New(e.db, jobs.Config{Workers: workers, Queues: map[string]river.QueueConfig{
		river.QueueDefault: {MaxWorkers: 2}, jobs.QueueEmail: {MaxWorkers: 1}, export.Queue: {MaxWorkers: export.QueueWorkers},
	}, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := q.Stop(context.Background()); err != nil {
			t.Errorf("stop the queue: %v", err)
		}
	}()
	for {
		var waiting, failed int
		err := e.db.SQL.QueryRowContext(ctx, `SELECT
			coalesce(sum(CASE WHEN CAST(state AS TEXT) IN ('available', 'running', 'pending', 'scheduled') THEN 1 ELSE 0 END), 0),
			coalesce(sum(CASE WHEN CAST(state AS TEXT) IN ('retryable', 'discarded', 'cancelled') THEN 1 ELSE 0 END), 0)
			FROM river_job WHERE kind IN (`+jobKinds+`)`).Scan(&waiting, &failed)
		if err != nil {
			t.Fatalf("job states: %v", err)
		}
		if failed > 0 {
			t.Fatalf("jobs failed: %s", e.failedJobs(t))
		}
		if waiting == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d jobs still waiting after a minute", waiting)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (e *env) failedJobs(t *testing.T) string {
	t.Helper()
	rows, err := e.db.SQL.QueryContext(context.Background(), `SELECT kind, CAST(state AS TEXT), errors FROM river_job
		WHERE kind IN (`+jobKinds+`) AND CAST(state AS TEXT) IN ('retryable', 'discarded', 'cancelled')`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var kind, state string
		var errs sql.NullString
		if err := rows.Scan(&kind, &state, &errs); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, "\n%s %s: %s", kind, state, errs.String)
	}
	return b.String()
}

// insertJob enqueues args as the app would, in a transaction of its own.
func (e *env) insertJob(t *testing.T, args river.JobArgs) {
	t.Helper()
	err := e.db.Transact(sys(), func(tx *database.Tx) error {
		_, err := e.app.Queue.InsertTx(sys(), tx, args, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setStatus moves export id to status as the system, as if a run had left
// it there.
func (e *env) update(t *testing.T, id string, edit func(*ent.ExportUpdateOne)) {
	t.Helper()
	u := e.db.Ent.Export.UpdateOneID(uuidOf(t, id))
	edit(u)
	if err := u.Exec(sys()); err != nil {
		t.Fatalf("update export %s: %v", id, err)
	}
}

// keyOf is the object key of export id of kind.
func keyOf(t *testing.T, id, kind string) string {
	t.Helper()
	return export.ObjectKey(uuidOf(t, id), entexport.Kind(kind))
}

// put stores body at key, as a run that died after writing would have.
func (e *env) put(t *testing.T, key string, body string) {
	t.Helper()
	if err := e.app.Store.Put(context.Background(), key, strings.NewReader(body), "text/plain"); err != nil {
		t.Fatal(err)
	}
}

func (e *env) exists(t *testing.T, key string) bool {
	t.Helper()
	ok, err := e.app.Store.Exists(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// wantUserError fails the test unless p is exactly one error with code at
// field and no export.
func wantUserError(t *testing.T, what string, r testenv.Reply, code string, field ...string) {
	t.Helper()
	var p requestPayload
	r.Field(t, "requestExport", &p)
	ues := p.UserErrors
	if p.Export != nil || len(ues) != 1 || ues[0].Code != code || !slices.Equal(ues[0].Field, field) || ues[0].Message == "" {
		t.Errorf("%s = %s, want one userError %s at %v and no export", what, r.Raw, code, field)
	}
}

// wantErrorCode fails the test unless r failed with one request error of
// code.
func wantErrorCode(t *testing.T, what string, r testenv.Reply, code string) {
	t.Helper()
	if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != code {
		t.Errorf("%s = %s, want one %s error", what, r.Raw, code)
	}
}

func uuidOf(t *testing.T, globalID string) uuid.UUID {
	t.Helper()
	id, err := gid.Parse(globalID)
	if err != nil {
		t.Fatalf("global ID %q: %v", globalID, err)
	}
	return id.UUID
}

func sys() context.Context { return viewer.SystemContext(context.Background()) }

// decodeJSON decodes a MY_DATA_JSON file.
func decodeJSON(t *testing.T, body []byte) map[string]json.RawMessage {
	t.Helper()
	var out map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("the file is not JSON: %v\n%s", err, body)
	}
	return out
}

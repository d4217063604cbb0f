package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Khan/genqlient/graphql"

	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/seed"
	"lectern/internal/testenv"
)

// The fault test's workload and bounds. Bounds are never asserted as
// timings: they only keep a broken server from hanging the run.
const (
	// faultRescueAfter is the server's JOB_RESCUE_AFTER: short, so that
	// the jobs a SIGKILL leaves running are taken for abandoned and run
	// again within the test.
	faultRescueAfter = 6 * time.Second
	// faultLearners are accounts made for the test: each signs in, asks
	// for password resets and exports, and enrols and completes lessons.
	faultLearners = 12
	// faultSignUps are sign-ups of new addresses, one verification email
	// each.
	faultSignUps = 40
	// faultResets are password resets asked for per learner.
	faultResets = 2
	// faultExports are exports each exporting user has accepted, three
	// at most at a time.
	faultExports = 5
	// faultLessons are the lessons each learner completes per course.
	faultLessons = 3
	// faultMinJobs is the fewest email and export jobs the workload must
	// have queued for the run to mean anything.
	faultMinJobs = 150
	// faultBusyWait bounds waiting for jobs to be running at a kill.
	faultBusyWait = time.Minute
	// faultDrainWait bounds the workload and the queue's drain after the
	// last start.
	faultDrainWait = 90 * time.Second
	// faultPassword is every test learner's password.
	faultPassword = "kill -9 is part of the plan"
)

// Subjects of the account emails, by job template (internal/mail/templates).
var faultSubjects = map[string]string{
	"verification":   subjectVerification,
	"sign_in_notice": subjectSignInNotice,
	"password_reset": "Reset your Lectern password",
	"export_ready":   "Your Lectern export is ready",
	"account_exists": "You already have a Lectern account",
}

// TestFaultKilledMidJobs queues a few hundred jobs of several kinds (account
// emails, data exports and their emails) on a server while learners enrol
// and complete lessons, kills the server with SIGKILL twice while jobs
// run, restarts it on the same data each time, and lets the queue drain.
// Every job must then have had its effect exactly once: one email per
// email job, one file and one email per export, nothing left running,
// every counter equal to a recount of its rows, and every acknowledged
// write present.
func TestFaultKilledMidJobs(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		testFault(t, dir, "sqlite:"+filepath.Join(dir, config.DefaultSQLiteFile))
	})
	t.Run("postgres", func(t *testing.T) {
		url := testenv.EmptyPostgres(t) // skipped without PostgreSQL, failed when CI is set
		env := []string{config.VarDatabaseURL + "=" + url}
		runLectern(t, env, "migrate")
		if out := runLectern(t, env, "seed"); !strings.Contains(out, "demo dataset loaded") {
			t.Fatalf("lectern seed did not load the demo dataset:\n%s", out)
		}
		testFault(t, t.TempDir(), url, env...)
	})
}

// A faultRun is one fault test on one database: the server's data
// directory and settings, the test's own connection to its database, and
// what the workload saw acknowledged.
type faultRun struct {
	t    *testing.T
	dir  string   // DATA_DIR of every start
	env  []string // settings of every start
	base string   // http://HTTP_ADDR, the same for every start
	db   *database.DB
	srvs []*server // every start, the running one last

	client  *http.Client
	clients atomic.Uint32 // client addresses handed out (X-Forwarded-For)
	keys    atomic.Uint64 // idempotency keys handed out
	replays atomic.Int64  // answers replayed under their key (Idempotent-Replayed)

	mu          sync.Mutex
	acked       []faultWrite     // writes whose answer arrived
	interrupted map[int64]string // ID -> kind of the jobs running at a kill
	gaveUp      []string         // workload steps the deadline cut short
}

// A faultWrite is an acknowledged enrolment (lesson empty) or lesson
// completion.
type faultWrite struct {
	email, course, lesson string
}

// A faultCourse is a course the learners enrol in, with the lessons they
// complete.
type faultCourse struct {
	id, slug string
	lessons  []faultLesson
}

type faultLesson struct{ id, slug string }

// A faultAccount is a signed-in account of the workload.
type faultAccount struct {
	email, token string
}

func testFault(t *testing.T, dir, dbURL string, env ...string) {
	start := time.Now()
	r := &faultRun{t: t, dir: dir, interrupted: map[int64]string{}, client: &http.Client{Timeout: 30 * time.Second}}
	r.env = append(slices.Clone(env),
		config.VarJobRescueAfter+"="+faultRescueAfter.String(),
		// Each request names its own client address, so that the per-address
		// throttles of sign-up, sign-in and reset count each as a new client.
		config.VarTrustedProxies+"=127.0.0.1/32",
		// The periodic reconciliation would repair a counter a rerun
		// moved twice, hiding what this test looks for.
		config.VarReconcileInterval+"=0",
	)
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for i, s := range r.srvs {
			lines := 15
			if i == len(r.srvs)-1 {
				lines = 80
			}
			t.Logf("start %d of the server, output tail:\n%s", i+1, tail(s.output.String(), lines))
		}
	})

	first := startServerIn(t, dir, r.env...)
	r.srvs = append(r.srvs, first)
	t.Logf("first start ready after %s", time.Since(start).Round(time.Millisecond))
	r.base = first.URL
	// Later starts listen where the first did, so clients keep one address.
	r.env = append(r.env, config.VarHTTPAddr+"="+strings.TrimPrefix(first.URL, "http://"),
		config.VarSeedDemoData+"=false")

	db, err := database.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("open the server's database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	r.db = db

	learners := make([]string, faultLearners)
	for i := range learners {
		u := testenv.CreateAccount(t, db, testenv.Account{
			Email: fmt.Sprintf("fault-learner-%02d@example.com", i), Password: faultPassword, VerifiedAt: time.Now(),
		})
		learners[i] = u.Email
	}
	t.Logf("%d accounts made after %s", len(learners), time.Since(start).Round(time.Millisecond))
	courses := r.courses()
	accounts := r.logIn(append(slices.Clone(learners), seed.DemoAccounts[2].Email, seed.DemoAccounts[1].Email))
	t.Logf("server started, %d accounts made and signed in, in %s", len(accounts), time.Since(start).Round(time.Millisecond))

	// The workload runs through the kills; its requests retry until the
	// server is back.
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	r.startWorkload(ctx, &wg, learners, accounts, courses)

	// The first kill lands once work is under way and jobs are running.
	r.killWhenBusy(15)
	r.restart()
	r.killWhenBusy(r.finished() + 15)
	// The rescuer takes only jobs that started JOB_RESCUE_AFTER ago; once
	// all have, its first pass after the restart takes every one of them
	// instead of a pass half a minute later.
	time.Sleep(faultRescueAfter)
	r.restart()
	restarted := time.Now()

	deadline, stop := context.WithTimeout(t.Context(), faultDrainWait)
	defer stop()
	go func() {
		<-deadline.Done()
		cancel() // the workload gives up at the deadline
	}()
	wg.Wait()
	if r.waitDrained(deadline) {
		t.Logf("workload done and queue drained %s after the last start", time.Since(restarted).Round(time.Millisecond))
	}
	r.srvs[len(r.srvs)-1].stop(t)

	for _, step := range r.gaveUp {
		t.Errorf("the workload gave up: %s", step)
	}
	jobs := r.jobs()
	r.checkJobs(jobs)
	r.checkEmails(jobs)
	r.checkExports(jobs)
	r.checkCounters()
	r.checkWrites()
	t.Logf("fault run took %s", time.Since(start).Round(time.Millisecond))
}

// courses returns the flagship course and another published one, each
// with the first faultLessons of its lessons.
func (r *faultRun) courses() []faultCourse {
	t := r.t
	ctx, cancel := context.WithTimeout(t.Context(), suiteWait)
	defer cancel()
	client := graphql.NewClient(r.base+"/v1/graphql", http.DefaultClient)
	slugs := []string{flagshipSlug}
	page, err := CataloguePage(ctx, client, 10, nil, nil, nil)
	if err != nil {
		t.Fatalf("courses: %v", err)
	}
	for _, e := range page.Courses.Edges {
		if e != nil && e.Node != nil && e.Node.Slug != flagshipSlug {
			slugs = append(slugs, e.Node.Slug)
			break
		}
	}
	var out []faultCourse
	for _, slug := range slugs {
		resp, err := CoursePage(ctx, client, slug)
		if err != nil || resp.Course == nil {
			t.Fatalf("course(%q): %+v, %v", slug, resp, err)
		}
		c := faultCourse{id: resp.Course.Id, slug: slug}
		for _, s := range resp.Course.Sections {
			for _, l := range s.Lessons {
				if len(c.lessons) < faultLessons {
					c.lessons = append(c.lessons, faultLesson{id: l.Id, slug: l.Slug})
				}
			}
		}
		if len(c.lessons) < faultLessons {
			t.Fatalf("course %s has %d lessons, want at least %d", slug, len(c.lessons), faultLessons)
		}
		out = append(out, c)
	}
	if len(out) < 2 {
		t.Fatalf("the demo catalogue has no published course besides %s", flagshipSlug)
	}
	return out
}

// logIn signs every account in for a session token, three at a time
// (each sign-in is a password hash), each from a new client address: one
// sign-in notice job each.
func (r *faultRun) logIn(emails []string) map[string]faultAccount {
	t := r.t
	passwords := map[string]string{}
	for _, a := range seed.DemoAccounts {
		passwords[a.Email] = a.Password
	}
	ctx, cancel := context.WithTimeout(t.Context(), suiteWait)
	defer cancel()
	out := map[string]faultAccount{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, 3)
	for _, email := range emails {
		pw, ok := passwords[email]
		if !ok {
			pw = faultPassword
		}
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			a, ok := r.send(ctx, r.request("", `mutation($input: LogInInput!) { logIn(input: $input) { token userErrors { code } } }`,
				map[string]any{"input": map[string]any{"email": email, "password": pw, "transport": "TOKEN"}}))
			p := a.payload("logIn")
			if !ok || len(a.Errors) > 0 || p.Token == nil {
				t.Errorf("logIn as %s: %s", email, a)
				return
			}
			mu.Lock()
			out[email] = faultAccount{email: email, token: *p.Token}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(out) != len(emails) {
		t.FailNow()
	}
	return out
}

// startWorkload starts, on wg, the requests that queue the jobs and the
// learners' writes: sign-ups of new addresses and password resets (an
// email job each), exports (an export job and, once it is written, an
// email job each) and enrolments and lesson completions.
func (r *faultRun) startWorkload(ctx context.Context, wg *sync.WaitGroup, learners []string, accounts map[string]faultAccount, courses []faultCourse) {
	suffix := randomHex(4)
	// Emails are asked for at a pace, so that some are queued at every
	// kill rather than all before the first.
	for g := range 2 {
		wg.Go(func() {
			for i := g; i < faultSignUps; i += 2 {
				email := fmt.Sprintf("fault-signup-%03d-%s@example.com", i, suffix)
				r.expectDone(ctx, "signUp "+email, r.request("", `mutation($input: SignUpInput!) { signUp(input: $input) { userErrors { code } } }`,
					map[string]any{"input": map[string]any{"email": email, "password": faultPassword, "displayName": "Fault " + strconv.Itoa(i)}}), "signUp")
				faultPause(ctx, 150*time.Millisecond)
			}
		})
	}
	wg.Go(func() {
		for round := range faultResets {
			for _, email := range learners {
				r.expectDone(ctx, fmt.Sprintf("reset %d of %s", round+1, email), r.request("",
					`mutation($email: String!) { requestPasswordReset(email: $email) { userErrors { code } } }`,
					map[string]any{"email": email}), "requestPasswordReset")
				faultPause(ctx, 150*time.Millisecond)
			}
		}
	})
	exporters := append(slices.Clone(learners), seed.DemoAccounts[2].Email)
	for _, email := range exporters {
		wg.Go(func() { r.export(ctx, accounts[email], map[string]any{"kind": "MY_DATA_JSON"}) })
	}
	instructor := accounts[seed.DemoAccounts[1].Email]
	wg.Go(func() {
		r.export(ctx, instructor, map[string]any{"kind": "COURSE_LEARNERS_CSV", "courseId": courses[0].id})
	})
	for _, email := range learners {
		wg.Go(func() { r.learn(ctx, accounts[email], courses) })
	}
}

// expectDone sends q until it is answered and checks that the answer has
// no errors and no user errors.
func (r *faultRun) expectDone(ctx context.Context, what string, q faultRequest, field string) {
	a, ok := r.send(ctx, q)
	switch {
	case !ok:
		r.giveUp(what)
	case len(a.Errors) > 0 || len(a.payload(field).UserErrors) > 0:
		r.t.Errorf("%s: %s", what, a)
	}
}

// export asks for faultExports exports as acc, waiting while three are
// active (RATE_LIMITED).
func (r *faultRun) export(ctx context.Context, acc faultAccount, input map[string]any) {
	for accepted := 0; accepted < faultExports; {
		// A RATE_LIMITED answer is stored under its key: the next try
		// needs a new one.
		a, ok := r.send(ctx, r.request(acc.token, `mutation($input: RequestExportInput!) { requestExport(input: $input) { export { id status } userErrors { code } } }`,
			map[string]any{"input": input}))
		if !ok {
			r.giveUp(fmt.Sprintf("%s had %d of %d %s exports accepted", acc.email, accepted, faultExports, input["kind"]))
			return
		}
		p := a.payload("requestExport")
		switch {
		case a.code() == "RATE_LIMITED":
			faultPause(ctx, 200*time.Millisecond)
		case len(a.Errors) == 0 && len(p.UserErrors) == 0 && p.Export != nil && p.Export.Status == "QUEUED":
			accepted++
		default:
			r.t.Errorf("requestExport %v as %s: %s", input, acc.email, a)
			return
		}
	}
}

// learn enrols acc in each course and completes its lessons, one keyed
// request at a time, noting each acknowledged write.
func (r *faultRun) learn(ctx context.Context, acc faultAccount, courses []faultCourse) {
	for _, c := range courses {
		a, ok := r.send(ctx, r.request(acc.token, `mutation($id: ID!) { enroll(courseId: $id) { enrollment { id status } userErrors { code } } }`,
			map[string]any{"id": c.id}))
		if !r.acknowledged(a, ok, "enroll", acc.email+" enrols in "+c.slug) {
			return
		}
		r.ack(faultWrite{email: acc.email, course: c.slug})
		for _, l := range c.lessons {
			a, ok := r.send(ctx, r.request(acc.token, `mutation($id: ID!) { completeLesson(lessonId: $id) { enrollment { id completedLessonCount } userErrors { code } } }`,
				map[string]any{"id": l.id}))
			if !r.acknowledged(a, ok, "completeLesson", acc.email+" completes "+c.slug+"/"+l.slug) {
				return
			}
			r.ack(faultWrite{email: acc.email, course: c.slug, lesson: l.slug})
		}
	}
}

// acknowledged reports whether a is an acknowledgement of a write: HTTP
// 200 with data, an enrolment, and no errors or user errors.
func (r *faultRun) acknowledged(a *faultAnswer, ok bool, field, what string) bool {
	if !ok {
		r.giveUp(what)
		return false
	}
	p := a.payload(field)
	if a.Status != http.StatusOK || len(a.Errors) > 0 || p.Enrollment == nil || len(p.UserErrors) > 0 {
		r.t.Errorf("%s: %s", what, a)
		return false
	}
	return true
}

func (r *faultRun) ack(w faultWrite) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acked = append(r.acked, w)
}

func (r *faultRun) giveUp(what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gaveUp = append(r.gaveUp, what)
}

// faultPause waits d, or less if ctx ends.
func faultPause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// A faultRequest is one GraphQL request with the client address and
// idempotency key every try of it sends.
type faultRequest struct {
	token, clientAddr, key string
	body                   []byte
}

// request returns a request of doc with vars, as the bearer of token (none
// when empty), from a new client address and with a new Idempotency-Key.
func (r *faultRun) request(token, doc string, vars map[string]any) faultRequest {
	body, err := json.Marshal(map[string]any{"query": doc, "variables": vars})
	if err != nil {
		panic(err)
	}
	n := r.clients.Add(1)
	return faultRequest{
		token:      token,
		clientAddr: fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255),
		key:        fmt.Sprintf("fault-%d-%s", r.keys.Add(1), randomHex(4)),
		body:       body,
	}
}

// A faultAnswer is the server's answer to a faultRequest.
type faultAnswer struct {
	Status   int                        `json:"-"`
	Raw      []byte                     `json:"-"`
	replayed bool                       // the answer stored under the request's key
	Data     map[string]json.RawMessage `json:"data"`
	Errors   []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (a *faultAnswer) String() string {
	if a == nil {
		return "no answer"
	}
	return fmt.Sprintf("HTTP %d %s", a.Status, bytes.TrimSpace(a.Raw))
}

// code is the first error's extensions.code.
func (a *faultAnswer) code() string {
	if a == nil || len(a.Errors) == 0 {
		return ""
	}
	c, _ := a.Errors[0].Extensions["code"].(string)
	return c
}

// faultPayload holds the fields of the mutation payloads the workload
// reads.
type faultPayload struct {
	Token      *string `json:"token"`
	Enrollment *struct {
		ID string `json:"id"`
	} `json:"enrollment"`
	Export *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"export"`
	UserErrors []struct {
		Code string `json:"code"`
	} `json:"userErrors"`
}

func (a *faultAnswer) payload(field string) faultPayload {
	var p faultPayload
	if a != nil {
		_ = json.Unmarshal(a.Data[field], &p)
	}
	return p
}

// send posts q until the server answers it for good, and reports whether
// it did before ctx ended. A request the server never got, or whose
// answer was lost with the server, is sent again with the same key, as a
// client would: the key makes it run once. So is one the server refused
// for now: still running under its key (409), or a server failure, whose
// effects were rolled back.
func (r *faultRun) send(ctx context.Context, q faultRequest) (*faultAnswer, bool) {
	var last *faultAnswer
	for {
		a, err := r.post(ctx, q)
		if err == nil {
			last = a
			if c := a.code(); a.Status < 500 && a.Status != http.StatusConflict && c != "INTERNAL" && c != "UNAVAILABLE" {
				if a.replayed {
					r.replays.Add(1)
				}
				return a, true
			}
		}
		if ctx.Err() != nil {
			return last, false
		}
		faultPause(ctx, 100*time.Millisecond)
	}
}

func (r *faultRun) post(ctx context.Context, q faultRequest) (*faultAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/v1/graphql", bytes.NewReader(q.body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", q.clientAddr)
	req.Header.Set("Idempotency-Key", q.key)
	if q.token != "" {
		req.Header.Set("Authorization", "Bearer "+q.token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	a := &faultAnswer{Status: resp.StatusCode, Raw: raw, replayed: resp.Header.Get("Idempotent-Replayed") == "true"}
	_ = json.Unmarshal(raw, a) // an answer that is not JSON is judged by its status
	return a, nil
}

// jobCounts returns how many of River's jobs are in each state.
func (r *faultRun) jobCounts() (map[string]int, error) {
	rows, err := r.db.SQL.QueryContext(r.t.Context(), `SELECT state, COUNT(*) FROM river_job GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, err
		}
		out[state] = n
	}
	return out, rows.Err()
}

// finished returns how many jobs have completed so far.
func (r *faultRun) finished() int {
	counts, err := r.jobCounts()
	if err != nil {
		r.t.Fatalf("river_job: %v", err)
	}
	return counts["completed"]
}

// killWhenBusy waits until at least completed jobs have completed and
// some are running, then kills the server with SIGKILL and notes the jobs
// it left running.
func (r *faultRun) killWhenBusy(completed int) {
	t := r.t
	srv := r.srvs[len(r.srvs)-1]
	deadline := time.Now().Add(faultBusyWait)
	for {
		counts, err := r.jobCounts()
		if err != nil {
			t.Fatalf("river_job: %v", err)
		}
		if counts["completed"] >= completed && counts["running"] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no job running after %d completed within %s: %v", completed, faultBusyWait, counts)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill the server: %v", err)
	}
	<-srv.exited
	rows, err := r.db.SQL.QueryContext(t.Context(), `SELECT id, kind FROM river_job WHERE state = 'running' ORDER BY id`)
	if err != nil {
		t.Fatalf("river_job: %v", err)
	}
	defer rows.Close()
	var left, earlier []string
	r.mu.Lock()
	defer r.mu.Unlock()
	for rows.Next() {
		var id int64
		var kind string
		if err := rows.Scan(&id, &kind); err != nil {
			t.Fatalf("river_job: %v", err)
		}
		job := fmt.Sprintf("%d (%s)", id, kind)
		if _, ok := r.interrupted[id]; ok {
			earlier = append(earlier, job)
			continue
		}
		r.interrupted[id] = kind
		left = append(left, job)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("river_job: %v", err)
	}
	if len(earlier) > 0 {
		left = append(left, "and still from an earlier kill: "+strings.Join(earlier, ", "))
	}
	t.Logf("kill %d left running: %s", len(r.srvs), strings.Join(left, ", "))
}

// restart starts the server again on the same data and address, as
// startServerIn does, but keeps it in r.srvs before it is ready, so that a
// start that never gets ready shows its output.
func (r *faultRun) restart() {
	t := r.t
	cmd := exec.Command(lecternBinary(t))
	cmd.Dir = r.dir
	cmd.Env = lecternEnv(append([]string{config.VarDataDir + "=" + r.dir}, r.env...))
	s := &server{URL: r.base, cmd: cmd, output: &testenv.Buffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.output, s.output
	if err := cmd.Start(); err != nil {
		t.Fatalf("start lectern: %v", err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
	})
	r.srvs = append(r.srvs, s)
	started := time.Now()
	s.waitReady(t)
	t.Logf("start %d ready in %s", len(r.srvs), time.Since(started).Round(time.Millisecond))
}

// waitDrained waits until no job is waiting, running or due again and no
// export is QUEUED or RUNNING, and reports whether that happened before
// ctx ended; if not, it fails the test with what is left.
func (r *faultRun) waitDrained(ctx context.Context) bool {
	t := r.t
	unfinished := []string{"available", "running", "retryable", "scheduled", "pending"}
	for {
		var jobs, exports int
		err := r.db.SQL.QueryRowContext(t.Context(),
			`SELECT COUNT(*) FROM river_job WHERE state IN ('`+strings.Join(unfinished, "', '")+`')`).Scan(&jobs)
		if err == nil {
			err = r.db.SQL.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM exports WHERE status IN ('QUEUED', 'RUNNING')`).Scan(&exports)
		}
		if err != nil {
			t.Fatalf("poll the queue: %v", err)
		}
		if jobs == 0 && exports == 0 {
			return true
		}
		if ctx.Err() != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	var left []string
	for _, j := range r.jobs() {
		if slices.Contains(unfinished, j.state) {
			left = append(left, j.String())
		}
	}
	t.Errorf("%d jobs unfinished %s after the last start (JOB_RESCUE_AFTER=%s; River's rescuer takes a running job "+
		"only once JOB_RESCUE_AFTER and the job's own Timeout have both passed):\n%s",
		len(left), faultDrainWait, faultRescueAfter, strings.Join(left, "\n"))
	return false
}

// A faultJob is a row of river_job.
type faultJob struct {
	id          int64
	kind, state string
	attempt     int
	args        struct {
		Template string `json:"template"`
		UserID   string `json:"user_id"`
		Address  string `json:"address"`
		ExportID string `json:"export_id"`
	}
	rescued     bool // River's rescuer took it for abandoned at least once
	interrupted bool // a kill left it running
}

func (j faultJob) String() string {
	s := fmt.Sprintf("job %d %s %s, state %s after %d attempts", j.id, j.kind, j.args.Template, j.state, j.attempt)
	if j.interrupted {
		s += ", interrupted by a kill"
	}
	if j.rescued {
		s += ", rescued"
	}
	return s
}

// jobs reads every row of river_job.
func (r *faultRun) jobs() []faultJob {
	t := r.t
	// River keeps args and errors as JSONB on SQLite, jsonb and jsonb[] on
	// PostgreSQL; both read here as text.
	query := `SELECT id, kind, state, attempt, args::text, COALESCE(array_to_string(errors, ','), '') FROM river_job ORDER BY id`
	if r.db.Dialect == database.SQLite {
		query = `SELECT id, kind, state, attempt, json(args), COALESCE(json(errors), '') FROM river_job ORDER BY id`
	}
	rows, err := r.db.SQL.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatalf("river_job: %v", err)
	}
	defer rows.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []faultJob
	for rows.Next() {
		var j faultJob
		var args, errs string
		if err := rows.Scan(&j.id, &j.kind, &j.state, &j.attempt, &args, &errs); err != nil {
			t.Fatalf("river_job: %v", err)
		}
		if err := json.Unmarshal([]byte(args), &j.args); err != nil {
			t.Fatalf("river_job %d args %s: %v", j.id, args, err)
		}
		j.rescued = strings.Contains(errs, "Stuck job rescued")
		_, j.interrupted = r.interrupted[j.id]
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("river_job: %v", err)
	}
	return out
}

// checkJobs checks that every job completed, none is left running, the
// workload queued enough of them, and the kills interrupted some.
func (r *faultRun) checkJobs(jobs []faultJob) {
	t := r.t
	kinds := map[string]int{}
	var interrupted, rescued, workload int
	for _, j := range jobs {
		kinds[strings.TrimSpace(j.kind+" "+j.args.Template)]++
		if j.kind == "email" || j.kind == "export" {
			workload++
		}
		if j.interrupted {
			interrupted++
		}
		if j.rescued {
			rescued++
		}
		switch {
		case j.state == "running":
			t.Errorf("%s: still running", j)
		case j.state != "completed":
			t.Errorf("%s, want completed", j)
		case j.interrupted || j.attempt > 1:
			t.Logf("%s", j)
		}
	}
	t.Logf("jobs by kind and template: %v; %d interrupted by the kills, %d rescued", kinds, interrupted, rescued)
	if workload < faultMinJobs {
		t.Errorf("the workload queued %d email and export jobs, want at least %d", workload, faultMinJobs)
	}
	if interrupted == 0 {
		t.Error("the kills interrupted no job: the run tested no rerun")
	}
}

// checkEmails checks that every email job has one delivery claim and, in
// the mail directory, one message to its recipient with its template's
// subject, and that no message belongs to no job. A job a kill
// interrupted between claiming its delivery and recording it sent may have
// lost its message (EmailWorker sends at most once); it may not have two.
func (r *faultRun) checkEmails(jobs []faultJob) {
	t := r.t
	emails := map[string]string{} // user ID -> address
	rows, err := r.db.SQL.QueryContext(t.Context(), `SELECT id, email FROM users`)
	if err != nil {
		t.Fatalf("users: %v", err)
	}
	for rows.Next() {
		var id, email string
		if err := rows.Scan(&id, &email); err != nil {
			t.Fatalf("users: %v", err)
		}
		emails[id] = email
	}
	rows.Close()

	claims := map[int64]int{}
	sent := map[int64]bool{}
	rows, err = r.db.SQL.QueryContext(t.Context(), `SELECT job_id, CASE WHEN sent_at IS NULL THEN 0 ELSE 1 END FROM mail_deliveries`)
	if err != nil {
		t.Fatalf("mail_deliveries: %v", err)
	}
	for rows.Next() {
		var id int64
		var s int
		if err := rows.Scan(&id, &s); err != nil {
			t.Fatalf("mail_deliveries: %v", err)
		}
		claims[id]++
		sent[id] = s == 1
	}
	rows.Close()

	messages := map[int64][]message{} // job ID -> messages
	files, err := filepath.Glob(filepath.Join(r.dir, "mail", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		m, err := readMessage(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		id, err := faultMessageJob(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		messages[id] = append(messages[id], m)
	}

	want := map[string]int{} // "recipient subject" -> messages
	got := map[string]int{}
	var lost []string
	emailJobs := 0
	for _, j := range jobs {
		if j.kind != "email" {
			if claims[j.id] > 0 {
				t.Errorf("%s has a delivery claim", j)
			}
			continue
		}
		emailJobs++
		to := j.args.Address
		if to == "" {
			to = emails[j.args.UserID]
		}
		subject, ok := faultSubjects[j.args.Template]
		if !ok || to == "" {
			t.Errorf("%s: unexpected template or no recipient (user %s)", j, j.args.UserID)
			continue
		}
		ms := messages[j.id]
		delete(messages, j.id)
		for _, m := range ms {
			got[m.to+" "+m.subject]++
			if m.to != to || m.subject != subject {
				t.Errorf("%s: message %s to %s, %q; want to %s, %q", j, m.file, m.to, m.subject, to, subject)
			}
		}
		switch {
		case claims[j.id] != 1:
			t.Errorf("%s: %d delivery claims, want 1", j, claims[j.id])
		case len(ms) > 1:
			t.Errorf("%s: %d messages, want 1 (a job rerun sent its email again)", j, len(ms))
		case sent[j.id] && len(ms) == 0:
			t.Errorf("%s: recorded as sent, but no message in the mail directory", j)
		case !sent[j.id] && !j.interrupted:
			t.Errorf("%s: delivery claimed but never recorded as sent, and no kill interrupted it", j)
		case !sent[j.id] && len(ms) == 0:
			lost = append(lost, j.String())
			continue
		}
		want[to+" "+subject]++
	}
	for id, ms := range messages {
		for _, m := range ms {
			t.Errorf("message %s to %s (%q) names job %d, which is no email job", m.file, m.to, m.subject, id)
		}
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%d messages %s, want %d", got[k], k, n)
		}
	}
	if len(lost) > 0 {
		t.Logf("emails lost to a kill between claim and send (at most once, by design): %s", strings.Join(lost, "; "))
	}
	t.Logf("%d email jobs, %d messages", emailJobs, len(files))
}

// faultMessageID finds the job ID in a Message-ID (jobs.messageID).
var faultMessageID = regexp.MustCompile(`^<job-(\d+)\.`)

// faultMessageJob returns the ID of the job that sent the message in file.
func faultMessageJob(file string) (int64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	msg, err := netmail.ReadMessage(f)
	if err != nil {
		return 0, err
	}
	m := faultMessageID.FindStringSubmatch(msg.Header.Get("Message-Id"))
	if m == nil {
		return 0, fmt.Errorf("the Message-ID %q names no job", msg.Header.Get("Message-Id"))
	}
	return strconv.ParseInt(m[1], 10, 64)
}

// checkExports checks that every export SUCCEEDED with one file under
// the store's directory and one email job, and that no file belongs to no
// export.
func (r *faultRun) checkExports(jobs []faultJob) {
	t := r.t
	notices := map[string]int{} // export ID -> export_ready jobs
	for _, j := range jobs {
		if j.kind == "email" && j.args.Template == "export_ready" {
			notices[j.args.ExportID]++
		}
	}
	store := filepath.Join(r.dir, "blobs")
	files := map[string]bool{} // object keys of the files under exports/
	var strays []string
	entries, err := os.ReadDir(filepath.Join(store, "exports"))
	if err != nil {
		t.Fatalf("the export files: %v", err)
	}
	for _, e := range entries {
		switch name := e.Name(); {
		case strings.HasSuffix(name, ".attrs"):
		case strings.HasSuffix(name, ".json"), strings.HasSuffix(name, ".csv"):
			files["exports/"+name] = true
		default:
			strays = append(strays, name)
		}
	}
	if len(strays) > 0 {
		// A kill during a write leaves the store's temporary file; the
		// expiry job deletes what no export holds once it is an hour old.
		t.Logf("files left by interrupted writes under %s/exports: %s", store, strings.Join(strays, ", "))
	}

	rows, err := r.db.SQL.QueryContext(t.Context(), `SELECT id, kind, status, COALESCE(object_key, '') FROM exports ORDER BY created_at`)
	if err != nil {
		t.Fatalf("exports: %v", err)
	}
	defer rows.Close()
	kinds := map[string]int{}
	for rows.Next() {
		var id, kind, status, key string
		if err := rows.Scan(&id, &kind, &status, &key); err != nil {
			t.Fatalf("exports: %v", err)
		}
		kinds[kind]++
		ext := ".json"
		if kind == "COURSE_LEARNERS_CSV" {
			ext = ".csv"
		}
		wantKey := "exports/" + id + ext
		switch {
		case status != "SUCCEEDED":
			t.Errorf("export %s (%s): %s, want SUCCEEDED", id, kind, status)
		case key != wantKey:
			t.Errorf("export %s (%s): object key %q, want %q", id, kind, key, wantKey)
		case !files[key]:
			t.Errorf("export %s (%s): no file %s under %s", id, kind, key, store)
		default:
			r.checkExportFile(filepath.Join(store, key), kind)
		}
		delete(files, wantKey)
		if status == "SUCCEEDED" && notices[id] != 1 {
			t.Errorf("export %s (%s): %d export_ready email jobs, want 1", id, kind, notices[id])
		}
		delete(notices, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("exports: %v", err)
	}
	for key := range files {
		t.Errorf("file %s under %s belongs to no export", key, store)
	}
	for id, n := range notices {
		t.Errorf("%d export_ready email jobs for export %s, which does not exist", n, id)
	}
	t.Logf("exports by kind: %v", kinds)
}

// checkExportFile checks that a file is whole: JSON that parses, or CSV
// with its header line.
func (r *faultRun) checkExportFile(path, kind string) {
	b, err := os.ReadFile(path)
	if err != nil {
		r.t.Errorf("%s: %v", path, err)
		return
	}
	if kind == "MY_DATA_JSON" && !json.Valid(b) {
		r.t.Errorf("%s: not valid JSON (%d bytes)", path, len(b))
	}
	if kind == "COURSE_LEARNERS_CSV" && !bytes.Contains(b, []byte("\n")) {
		r.t.Errorf("%s: no complete line (%d bytes)", path, len(b))
	}
}

// checkCounters recounts every course's enrolments and published lessons
// and every enrolment's completed lessons from their rows.
func (r *faultRun) checkCounters() {
	t := r.t
	const published = `(SELECT COUNT(*) FROM lessons l WHERE l.course_id = c.id AND l.status = 'PUBLISHED')`
	rows, err := r.db.SQL.QueryContext(t.Context(), `SELECT c.slug, c.enrollment_count,
  (SELECT COUNT(*) FROM enrollments e WHERE e.course_id = c.id AND e.status <> 'CANCELLED'),
  c.lesson_count, `+published+`
FROM courses c ORDER BY c.slug`)
	if err != nil {
		t.Fatalf("courses: %v", err)
	}
	courses := 0
	for rows.Next() {
		var slug string
		var enrolled, recounted, lessons, lessonsRecounted int
		if err := rows.Scan(&slug, &enrolled, &recounted, &lessons, &lessonsRecounted); err != nil {
			t.Fatalf("courses: %v", err)
		}
		courses++
		if enrolled != recounted {
			t.Errorf("course %s: enrollment_count %d, its enrolments recount to %d", slug, enrolled, recounted)
		}
		if lessons != lessonsRecounted {
			t.Errorf("course %s: lesson_count %d, its published lessons recount to %d", slug, lessons, lessonsRecounted)
		}
	}
	rows.Close()

	rows, err = r.db.SQL.QueryContext(t.Context(), `SELECT u.email, c.slug, e.status, e.completed_lesson_count,
  (SELECT COUNT(*) FROM lesson_progresses p JOIN lessons l ON l.id = p.lesson_id
    WHERE p.enrollment_id = e.id AND l.status = 'PUBLISHED'),
  `+published+`
FROM enrollments e JOIN users u ON u.id = e.user_id JOIN courses c ON c.id = e.course_id`)
	if err != nil {
		t.Fatalf("enrollments: %v", err)
	}
	defer rows.Close()
	enrolments := 0
	for rows.Next() {
		var email, slug, status string
		var done, recounted, lessons int
		if err := rows.Scan(&email, &slug, &status, &done, &recounted, &lessons); err != nil {
			t.Fatalf("enrollments: %v", err)
		}
		enrolments++
		if done != recounted {
			t.Errorf("%s in %s: completed_lesson_count %d, its progress recounts to %d", email, slug, done, recounted)
		}
		if all := lessons > 0 && recounted >= lessons; (status == "ACTIVE" && all) || (status == "COMPLETED" && !all) {
			t.Errorf("%s in %s: %s with %d of %d lessons done", email, slug, status, recounted, lessons)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("enrollments: %v", err)
	}
	t.Logf("counters of %d courses and %d enrolments recounted", courses, enrolments)
}

// checkWrites checks that every acknowledged enrolment is active and every
// acknowledged lesson completion is recorded.
func (r *faultRun) checkWrites() {
	t := r.t
	have := map[faultWrite]bool{}
	rows, err := r.db.SQL.QueryContext(t.Context(), `SELECT u.email, c.slug FROM enrollments e
  JOIN users u ON u.id = e.user_id JOIN courses c ON c.id = e.course_id WHERE e.status <> 'CANCELLED'`)
	if err != nil {
		t.Fatalf("enrollments: %v", err)
	}
	for rows.Next() {
		var w faultWrite
		if err := rows.Scan(&w.email, &w.course); err != nil {
			t.Fatalf("enrollments: %v", err)
		}
		have[w] = true
	}
	rows.Close()
	rows, err = r.db.SQL.QueryContext(t.Context(), `SELECT u.email, c.slug, l.slug FROM lesson_progresses p
  JOIN enrollments e ON e.id = p.enrollment_id JOIN users u ON u.id = e.user_id
  JOIN lessons l ON l.id = p.lesson_id JOIN courses c ON c.id = l.course_id`)
	if err != nil {
		t.Fatalf("lesson_progresses: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var w faultWrite
		if err := rows.Scan(&w.email, &w.course, &w.lesson); err != nil {
			t.Fatalf("lesson_progresses: %v", err)
		}
		have[w] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("lesson_progresses: %v", err)
	}
	for _, w := range r.acked {
		if !have[w] {
			if w.lesson == "" {
				t.Errorf("%s's acknowledged enrolment in %s is missing", w.email, w.course)
			} else {
				t.Errorf("%s's acknowledged completion of %s/%s is missing", w.email, w.course, w.lesson)
			}
		}
	}
	want := faultLearners * 2 * (1 + faultLessons)
	if len(r.acked) != want {
		t.Errorf("%d writes acknowledged, want all %d", len(r.acked), want)
	}
	t.Logf("%d acknowledged writes present; %d answers of the workload were replays of a stored answer", len(r.acked), r.replays.Load())
}

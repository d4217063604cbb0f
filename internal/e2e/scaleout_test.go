package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Khan/genqlient/graphql"
	_ "github.com/lib/pq" // database/sql driver "postgres", as the repository uses

	"lectern/internal/config"
	"lectern/internal/testenv"
)

// The subjects of the two messages the journey causes (internal/mail/templates).
const (
	subjectVerification = "Confirm your email address for Lectern"
	subjectSignInNotice = "New sign-in to your Lectern account"
)

const (
	// propagationLimit is the longest a public change made through one
	// instance may take to show on every instance.
	propagationLimit = time.Second
	// propagationGiveUp bounds the polling beyond the limit, only to report
	// how late (or whether ever) a change showed.
	propagationGiveUp = 5 * time.Second
	// jobWait bounds waiting for River to work the email jobs (PostgreSQL
	// workers poll every second).
	jobWait = 20 * time.Second
)

// TestScaleOut runs three lectern processes on one PostgreSQL database and
// one Redis, behind a round-robin reverse proxy, and checks that they
// behave as one service: a learner's journey from sign-up to review with
// every request on the next instance, a public change showing on every
// instance's cache within propagationLimit, and each email job run (and
// its message sent) exactly once.
func TestScaleOut(t *testing.T) {
	redisURL := testenv.Redis(t) // skipped without Redis, failed when CI is set
	dbURL := testenv.EmptyPostgres(t)
	start := time.Now()

	dbEnv := []string{config.VarDatabaseURL + "=" + dbURL}
	runLectern(t, dbEnv, "migrate")
	if out := runLectern(t, dbEnv, "seed"); !strings.Contains(out, "demo dataset loaded") {
		t.Fatalf("lectern seed did not load the demo dataset:\n%s", out)
	}
	env := append(dbEnv,
		config.VarRedisURL+"="+redisURL,
		config.VarCacheNamespace+"="+testenv.Namespace(t),
		// Long enough that only an invalidation can make a change show.
		config.VarCacheTTL+"=10m",
		// Seeded above, once; the instances must not seed concurrently.
		config.VarSeedDemoData+"=false",
	)
	srvs := make([]*server, 3)
	t.Cleanup(func() {
		if t.Failed() {
			for i, s := range srvs {
				if s == nil {
					continue
				}
				t.Logf("instance %d (%s) output:\n%s", i, s.URL, tail(s.output.String(), 60))
			}
		}
	})
	for i := range srvs {
		srvs[i] = startServer(t, env...)
	}
	for i, s := range srvs {
		waitForOutput(t, s, "cache invalidation channel subscribed", fmt.Sprintf("instance %d", i))
	}
	t.Logf("migrated, seeded and started 3 instances in %s", time.Since(start).Round(time.Millisecond))

	lb := newRoundRobin(t, srvs)
	ctx, cancel := context.WithTimeout(t.Context(), suiteWait)
	defer cancel()
	anon := graphql.NewClient(lb.URL+"/v1/graphql", http.DefaultClient)

	// Sign up, then find the verification link in whichever instance's
	// mail directory its job wrote it.
	suffix := randomHex(6)
	email := "scaleout-" + suffix + "@example.com"
	password := "scale-out-" + randomHex(12)
	name := "Scale-out learner " + suffix
	up, err := SignUp(ctx, anon, SignUpInput{Email: email, Password: password, DisplayName: name})
	if err != nil {
		t.Fatalf("signUp: %v", err)
	}
	if len(up.SignUp.UserErrors) > 0 {
		t.Fatalf("signUp: user errors %+v", up.SignUp.UserErrors)
	}
	verification := waitForMessage(t, srvs, email, subjectVerification)
	token := emailToken.FindString(verification.text)
	if token == "" {
		t.Fatalf("no lct_eml_ token in the verification email %s:\n%s", verification.file, verification.text)
	}
	t.Logf("verification email written by instance %d", verification.instance)

	verified, err := VerifyEmail(ctx, anon, token)
	if err != nil {
		t.Fatalf("verifyEmail: %v", err)
	}
	if len(verified.VerifyEmail.UserErrors) > 0 {
		t.Fatalf("verifyEmail: user errors %+v", verified.VerifyEmail.UserErrors)
	}

	// A bearer session, created on one instance and used on the others.
	in, err := LogInForToken(ctx, anon, email, password)
	if err != nil {
		t.Fatalf("logIn: %v", err)
	}
	if len(in.LogIn.UserErrors) > 0 || in.LogIn.Token == nil || in.LogIn.MfaRequired {
		t.Fatalf("logIn: %+v", in.LogIn)
	}
	authed := graphql.NewClient(lb.URL+"/v1/graphql", &http.Client{Transport: bearer{*in.LogIn.Token}})
	for range srvs { // one request on every instance
		me, err := Me(ctx, authed)
		if err != nil {
			t.Fatalf("viewer with the session token: %v", err)
		}
		u := me.Viewer
		if u == nil || u.User.Email == nil || *u.User.Email != email || u.User.EmailVerified == nil || !*u.User.EmailVerified ||
			u.User.Role == nil || *u.User.Role != UserRoleLearner {
			t.Fatalf("viewer with the session token: %+v, want the verified learner %s", u, email)
		}
	}

	page := flagship(ctx, t, anon)
	_, lesson := firstLesson(page, LessonAccessEnrolled)
	if lesson == nil {
		t.Fatal("the flagship course has no ENROLLED lesson")
	}

	// Enrol: the course's enrolment count is public.
	before := warmEverywhere(ctx, t, srvs)
	enrolled, err := Enroll(ctx, authed, page.Id)
	acked := time.Now()
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if e := enrolled.Enroll; len(e.UserErrors) > 0 || e.Enrollment == nil || e.Enrollment.Status != EnrollmentStatusActive {
		t.Fatalf("enroll: %+v", e)
	}
	awaitEverywhere(ctx, t, srvs, acked, "the new enrolment", func(c *CourseStatsCourse) bool {
		return c.EnrollmentCount == before.EnrollmentCount+1
	})

	// The enrolled-only lesson opens, on whichever instance answers.
	node, err := NodeByID(ctx, authed, lesson.Id)
	if err != nil {
		t.Fatalf("node(%s) as the enrolled learner: %v", lesson.Slug, err)
	}
	if l, ok := node.Node.(*NodeByIDNodeLesson); !ok || l.Body == nil || l.LockedReason != nil {
		t.Fatalf("node(%s) as the enrolled learner: %+v, want the body and no lockedReason", lesson.Slug, node.Node)
	}
	done, err := CompleteLesson(ctx, authed, lesson.Id)
	if err != nil {
		t.Fatalf("completeLesson: %v", err)
	}
	if e := done.CompleteLesson; len(e.UserErrors) > 0 || e.Enrollment == nil ||
		e.Enrollment.CompletedLessonCount != 1 || e.Enrollment.Progress <= 0 {
		t.Fatalf("completeLesson: %+v, want one lesson done", e)
	}

	// Review: the review, the rating count and the average are public.
	before = warmEverywhere(ctx, t, srvs)
	rating := 5
	if before.RatingAverage == 5 {
		rating = 1
	}
	body := "Reviewed across three instances (" + suffix + ")."
	reviewed, err := CreateReview(ctx, authed, CreateReviewInput{CourseId: page.Id, Rating: rating, Body: body})
	acked = time.Now()
	if err != nil {
		t.Fatalf("createReview: %v", err)
	}
	r := reviewed.CreateReview
	if len(r.UserErrors) > 0 || r.Review == nil || r.Review.Rating != rating || r.Review.Body != body || r.Review.Author.DisplayName != name {
		t.Fatalf("createReview: %+v", r)
	}
	sum := math.Round(before.RatingAverage * float64(before.RatingCount))
	wantAverage := (sum + float64(rating)) / float64(before.RatingCount+1)
	showsReview := func(c *CourseStatsCourse) bool {
		if c.RatingCount != before.RatingCount+1 || math.Abs(c.RatingAverage-wantAverage) > 1e-6 ||
			c.Reviews.TotalCount != before.Reviews.TotalCount+1 || len(c.Reviews.Edges) == 0 {
			return false
		}
		first := c.Reviews.Edges[0]
		return first != nil && first.Node != nil && first.Node.Id == r.Review.Id &&
			first.Node.Body == body && first.Node.Rating == rating && first.Node.Author.DisplayName == name
	}
	awaitEverywhere(ctx, t, srvs, acked, "the new review", showsReview)

	// And through the proxy, as any visitor sees the course page.
	final, err := CourseStats(ctx, anon, flagshipSlug)
	if err != nil || final.Course == nil {
		t.Fatalf("course(%q) through the proxy: %+v, %v", flagshipSlug, final, err)
	}
	if c := final.Course; !showsReview(c) || c.EnrollmentCount != before.EnrollmentCount {
		t.Errorf("course page through the proxy: enrollmentCount %d ratingCount %d ratingAverage %v reviews %d; "+
			"want %d, %d, %v and review %s first", c.EnrollmentCount, c.RatingCount, c.RatingAverage, c.Reviews.TotalCount,
			before.EnrollmentCount, before.RatingCount+1, wantAverage, r.Review.Id)
	}

	// Each job ran once, and its message went out once.
	checkJobsOnce(t, dbURL)
	checkMailOnce(t, srvs, email)

	lb.checkSpread(t, len(srvs))
	stopping := time.Now()
	for _, s := range srvs {
		s.stop(t) // SIGINT, exit status 0
	}
	t.Logf("stopped 3 instances in %s", time.Since(stopping).Round(time.Millisecond))
	t.Logf("scale-out run took %s", time.Since(start).Round(time.Millisecond))
}

// emailToken is a link token as emailed (internal/auth/secret).
var emailToken = regexp.MustCompile(`lct_eml_[a-z2-7]+`)

// readStats reads the course page's counters and reviews anonymously from
// base (an instance or the proxy), with the response's X-Cache.
func readStats(ctx context.Context, base string) (*CourseStatsCourse, string, error) {
	var xCache string
	doer := doerFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultClient.Do(r)
		if err == nil {
			xCache = resp.Header.Get("X-Cache")
		}
		return resp, err
	})
	resp, err := CourseStats(ctx, graphql.NewClient(base+"/v1/graphql", doer), flagshipSlug)
	if err != nil {
		return nil, xCache, err
	}
	if resp.Course == nil {
		return nil, xCache, fmt.Errorf("course(%q) is null", flagshipSlug)
	}
	return resp.Course, xCache, nil
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// warmEverywhere reads the course page twice on every instance directly,
// checking that the second read is a cache hit and that all instances
// agree, and returns what they show.
func warmEverywhere(ctx context.Context, t *testing.T, srvs []*server) *CourseStatsCourse {
	t.Helper()
	var seen *CourseStatsCourse
	for i, s := range srvs {
		_, first, err := readStats(ctx, s.URL)
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		c, second, err := readStats(ctx, s.URL)
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		if second != "hit" {
			t.Errorf("instance %d: X-Cache %q on the second anonymous read of the course page (first %q), want hit", i, second, first)
		}
		if seen == nil {
			seen = c
		} else if !sameStats(seen, c) {
			t.Errorf("instance %d shows %s; instance 0 showed %s", i, statsString(c), statsString(seen))
		}
	}
	return seen
}

// awaitEverywhere polls the course page on every instance directly, all at
// once, until fresh holds, and fails for any instance where it did not
// within propagationLimit of acked (when the write's answer arrived). Once
// fresh, each instance must stay so.
func awaitEverywhere(ctx context.Context, t *testing.T, srvs []*server, acked time.Time, what string, fresh func(*CourseStatsCourse) bool) {
	t.Helper()
	type result struct {
		took   time.Duration
		ok     bool
		stale  int    // stale reads before the fresh one
		xCache string // of the first fresh read
		last   string // what the instance showed last, when never fresh
		err    error
	}
	results := make([]result, len(srvs))
	var wg sync.WaitGroup
	for i, s := range srvs {
		wg.Go(func() {
			res := &results[i]
			for {
				c, xCache, err := readStats(ctx, s.URL)
				switch {
				case err != nil:
					res.err = err
				case fresh(c):
					res.took, res.ok, res.xCache = time.Since(acked), true, xCache
					return
				default:
					res.stale++
					res.last = statsString(c) + " (X-Cache " + xCache + ")"
				}
				if time.Since(acked) > propagationGiveUp || ctx.Err() != nil {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	for i, res := range results {
		switch {
		case !res.ok:
			t.Errorf("instance %d still does not show %s %s after the write was acknowledged (%d stale reads; last: %s; error: %v)",
				i, what, propagationGiveUp, res.stale, res.last, res.err)
		case res.took > propagationLimit:
			t.Errorf("instance %d showed %s only %s after the write was acknowledged (%d stale reads), want within %s",
				i, what, res.took.Round(time.Millisecond), res.stale, propagationLimit)
		default:
			t.Logf("instance %d showed %s after %s (%d stale reads; X-Cache %s)", i, what, res.took.Round(time.Millisecond), res.stale, res.xCache)
		}
	}
	for i, s := range srvs { // and nothing brings the old page back
		if !results[i].ok {
			continue
		}
		for range 3 {
			c, xCache, err := readStats(ctx, s.URL)
			if err != nil {
				t.Fatalf("instance %d: %v", i, err)
			}
			if !fresh(c) {
				t.Errorf("instance %d went back to a page without %s: %s (X-Cache %s)", i, what, statsString(c), xCache)
				break
			}
		}
	}
}

func sameStats(a, b *CourseStatsCourse) bool { return statsString(a) == statsString(b) }

func statsString(c *CourseStatsCourse) string {
	var reviews []string
	for _, e := range c.Reviews.Edges {
		if e != nil && e.Node != nil {
			reviews = append(reviews, e.Node.Id)
		}
	}
	return fmt.Sprintf("{enrollmentCount %d lessonCount %d ratingCount %d ratingAverage %v reviews %d %v}",
		c.EnrollmentCount, c.LessonCount, c.RatingCount, c.RatingAverage, c.Reviews.TotalCount, reviews)
}

// A roundRobin is a reverse proxy sending each request to the next
// backend in turn, as a load balancer would, and noting which served it.
type roundRobin struct {
	URL    string
	next   atomic.Uint64
	mu     sync.Mutex
	routes []route
}

type route struct {
	backend   int
	operation string
}

func newRoundRobin(t *testing.T, backends []*server) *roundRobin {
	t.Helper()
	proxies := make([]*httputil.ReverseProxy, len(backends))
	for i, b := range backends {
		target, err := url.Parse(b.URL)
		if err != nil {
			t.Fatal(err)
		}
		proxies[i] = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		}}
	}
	rr := &roundRobin{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int((rr.next.Add(1) - 1) % uint64(len(proxies)))
		op := r.Method + " " + r.URL.Path
		if body, err := io.ReadAll(r.Body); err == nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			var req struct {
				OperationName string `json:"operationName"`
			}
			if json.Unmarshal(body, &req) == nil && req.OperationName != "" {
				op = req.OperationName
			}
		}
		rr.mu.Lock()
		rr.routes = append(rr.routes, route{backend: i, operation: op})
		rr.mu.Unlock()
		proxies[i].ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rr.URL = srv.URL
	return rr
}

// checkSpread checks that every backend served some of the requests, and
// logs which served what.
func (rr *roundRobin) checkSpread(t *testing.T, backends int) {
	t.Helper()
	rr.mu.Lock()
	defer rr.mu.Unlock()
	served := make([]int, backends)
	var log []string
	for _, r := range rr.routes {
		served[r.backend]++
		log = append(log, fmt.Sprintf("%s→%d", r.operation, r.backend))
	}
	t.Logf("through the proxy: %s", strings.Join(log, " "))
	for i, n := range served {
		if n == 0 {
			t.Errorf("instance %d served none of the %d requests through the proxy", i, len(rr.routes))
		}
	}
}

// A message is an email an instance wrote under its DATA_DIR/mail.
type message struct {
	file     string
	instance int
	to       string
	subject  string
	text     string // the decoded text of every part
}

// mailbox reads every message the instances have written so far.
func mailbox(t *testing.T, srvs []*server) []message {
	t.Helper()
	var all []message
	for i, s := range srvs {
		files, err := filepath.Glob(filepath.Join(s.cmd.Dir, "mail", "*.eml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			m, err := readMessage(f)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			m.instance = i
			all = append(all, m)
		}
	}
	return all
}

// waitForMessage waits until one of the instances has written a message
// to with subject, and returns it.
func waitForMessage(t *testing.T, srvs []*server, to, subject string) message {
	t.Helper()
	deadline := time.Now().Add(jobWait)
	for {
		for _, m := range mailbox(t, srvs) {
			if m.to == to && m.subject == subject {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q email to %s in any instance's mail directory within %s", subject, to, jobWait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readMessage parses an .eml file as the file sender writes it:
// quoted-printable text, alone or in multipart/alternative.
func readMessage(path string) (message, error) {
	f, err := os.Open(path)
	if err != nil {
		return message{}, err
	}
	defer f.Close()
	msg, err := netmail.ReadMessage(f)
	if err != nil {
		return message{}, err
	}
	m := message{file: path}
	if to, err := netmail.ParseAddress(msg.Header.Get("To")); err == nil {
		m.to = to.Address
	} else {
		m.to = msg.Header.Get("To")
	}
	if m.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return message{}, fmt.Errorf("subject: %w", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return message{}, fmt.Errorf("content type: %w", err)
	}
	var text strings.Builder
	if strings.HasPrefix(mediaType, "multipart/") {
		parts := multipart.NewReader(msg.Body, params["boundary"])
		for {
			p, err := parts.NextPart() // decodes quoted-printable
			if err == io.EOF {
				break
			}
			if err != nil {
				return message{}, err
			}
			b, err := io.ReadAll(p)
			if err != nil {
				return message{}, err
			}
			text.Write(b)
			text.WriteString("\n")
		}
	} else {
		var body io.Reader = msg.Body
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return message{}, err
		}
		text.Write(b)
	}
	m.text = text.String()
	return m, nil
}

// checkJobsOnce waits until River has finished every email job, then
// checks that the journey queued exactly one per message, each completed
// at its first attempt, and that each job claimed one delivery and sent
// it. No other job but the periodic ones (cleanup, media_sweep,
// export_expiry and reconcile_counters, each unique per period) may exist.
func checkJobsOnce(t *testing.T, dbURL string) {
	t.Helper()
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(t.Context(), jobWait+5*time.Second)
	defer cancel()

	type job struct {
		id       int64
		kind     string
		state    string
		attempt  int
		template string
	}
	var jobs []job
	deadline := time.Now().Add(jobWait)
	for {
		jobs = jobs[:0]
		rows, err := db.QueryContext(ctx, `SELECT id, kind, state, attempt, coalesce(args->>'template', '') FROM river_job ORDER BY id`)
		if err != nil {
			t.Fatalf("river_job: %v", err)
		}
		pending := false
		for rows.Next() {
			var j job
			if err := rows.Scan(&j.id, &j.kind, &j.state, &j.attempt, &j.template); err != nil {
				t.Fatalf("river_job: %v", err)
			}
			jobs = append(jobs, j)
			pending = pending || (j.kind == "email" && j.state != "completed" && j.state != "cancelled" && j.state != "discarded")
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("river_job: %v", err)
		}
		rows.Close()
		if !pending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("email jobs still not finished after %s: %+v", jobWait, jobs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("river_job: %+v", jobs)

	emails := map[string]int{}
	periodic := map[string]int{"cleanup": 0, "media_sweep": 0, "export_expiry": 0, "reconcile_counters": 0} // kind -> jobs
	var emailIDs []int64
	for _, j := range jobs {
		switch j.kind {
		case "email":
			emails[j.template]++
			emailIDs = append(emailIDs, j.id)
			if j.state != "completed" || j.attempt != 1 {
				t.Errorf("email job %d (%s): state %s after %d attempts, want completed at the first", j.id, j.template, j.state, j.attempt)
			}
		case "cleanup", "media_sweep", "export_expiry", "reconcile_counters":
			periodic[j.kind]++
		default:
			t.Errorf("unexpected job %d of kind %q (state %s)", j.id, j.kind, j.state)
		}
	}
	want := map[string]int{"verification": 1, "sign_in_notice": 1}
	if len(emails) != len(want) || emails["verification"] != 1 || emails["sign_in_notice"] != 1 {
		t.Errorf("email jobs by template: %v, want %v", emails, want)
	}
	for kind, n := range periodic {
		if n > 1 {
			t.Errorf("%d %s jobs; it is unique per period, want at most 1", n, kind)
		}
	}

	claims := map[int64]int{}
	rows, err := db.QueryContext(ctx, `SELECT job_id, sent_at IS NOT NULL FROM mail_deliveries`)
	if err != nil {
		t.Fatalf("mail_deliveries: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var sent bool
		if err := rows.Scan(&id, &sent); err != nil {
			t.Fatalf("mail_deliveries: %v", err)
		}
		claims[id]++
		if !sent {
			t.Errorf("the delivery of job %d was claimed but never recorded as sent", id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("mail_deliveries: %v", err)
	}
	for _, id := range emailIDs {
		if claims[id] != 1 {
			t.Errorf("email job %d has %d delivery claims, want 1", id, claims[id])
		}
		delete(claims, id)
	}
	if len(claims) > 0 {
		t.Errorf("delivery claims for jobs that are not email jobs: %v", claims)
	}
}

// checkMailOnce checks that the instances, together, wrote exactly the
// journey's messages: one verification email and one sign-in notice to
// the new account, and nothing else.
func checkMailOnce(t *testing.T, srvs []*server, to string) {
	t.Helper()
	count := map[string]int{}
	var where []string
	for _, m := range mailbox(t, srvs) {
		if m.to != to {
			t.Errorf("unexpected email to %s (%q) from instance %d", m.to, m.subject, m.instance)
			continue
		}
		count[m.subject]++
		where = append(where, fmt.Sprintf("%q by instance %d", m.subject, m.instance))
	}
	t.Logf("emails: %s", strings.Join(where, ", "))
	for _, subject := range []string{subjectVerification, subjectSignInNotice} {
		if count[subject] != 1 {
			t.Errorf("%d %q emails to %s across the three instances, want exactly 1", count[subject], subject, to)
		}
		delete(count, subject)
	}
	for subject, n := range count {
		t.Errorf("%d unexpected %q emails to %s", n, subject, to)
	}
}

// waitForOutput waits until s has printed want, failing with its output
// if it does not within a few seconds.
func waitForOutput(t *testing.T, s *server, want, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.output.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not log %q within 10s; its output:\n%s", name, want, s.output)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

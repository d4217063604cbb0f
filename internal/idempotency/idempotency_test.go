package idempotency_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/idempotencykey"
	"lectern/internal/app"
	"lectern/internal/database"
	"lectern/internal/idempotency"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

const (
	testPassword = "a long test passphrase nobody uses"
	// Amara is an instructor of the demo catalogue.
	amaraEmail = "amara.osei@example.com"
)

const createCourse = `mutation($slug: String!) {
	createCourse(input: {title: "Retried", slug: $slug}) { course { id slug } userErrors { code field message } }
}`

type env struct {
	db *database.DB
	c  *testenv.Client
}

func setup(t *testing.T, dialect string) *env {
	t.Helper()
	db := testenv.Fresh(t, dialect, testenv.Demo)
	return &env{db: db, c: testenv.NewClient(t, db)}
}

func sys() context.Context { return viewer.SystemContext(context.Background()) }

// instructor signs in to Amara's account with a bearer token and sends key
// with every request.
func (e *env) instructor(t *testing.T, key string) *testenv.Caller {
	t.Helper()
	testenv.SetPassword(t, e.db, amaraEmail, testPassword)
	c := e.c.NewCaller()
	c.SignIn(t, amaraEmail, testPassword, testenv.TokenTransport)
	c.Key = key
	return c
}

// courses counts the courses with slug.
func (e *env) courses(t *testing.T, slug string) int {
	t.Helper()
	n, err := e.db.Ent.Course.Query().Where(course.Slug(slug)).Count(sys())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// stored returns the stored answers under key.
func (e *env) stored(t *testing.T, key string) []*ent.IdempotencyKey {
	t.Helper()
	recs, err := e.db.System().IdempotencyKey.Query().Where(idempotencykey.Key(key)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func code(r testenv.Reply) string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Extensions.Code
}

// TestRetryReplaysTheStoredAnswer: a retry with the same key and request
// gets the first answer byte for byte, marked replayed, and creates no
// second course; the stored answer is sealed.
func TestRetryReplaysTheStoredAnswer(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		c := e.instructor(t, "create-once")
		first := c.Query(t, createCourse, map[string]any{"slug": "retried-once"})
		if first.Status != http.StatusOK || len(first.Errors) > 0 || first.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: %d %s", first.Status, first.Raw)
		}
		for range 3 {
			again := c.Query(t, createCourse, map[string]any{"slug": "retried-once"})
			if again.Status != first.Status || !bytes.Equal(again.Raw, first.Raw) {
				t.Fatalf("retry answered %d %s\nwant %d %s", again.Status, again.Raw, first.Status, first.Raw)
			}
			if again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Content-Type") != first.Header.Get("Content-Type") {
				t.Fatalf("retry headers %v", again.Header)
			}
		}
		if n := e.courses(t, "retried-once"); n != 1 {
			t.Fatalf("%d courses, want 1", n)
		}
		recs := e.stored(t, "create-once")
		if len(recs) != 1 || recs[0].UserID == nil || *recs[0].UserID != c.ID {
			t.Fatalf("stored %+v", recs)
		}
		if bytes.Contains(recs[0].ResponseBody, []byte("retried-once")) {
			t.Fatal("the stored answer is readable in the database")
		}
	})
}

// TestKeyReusedForAnotherRequest: the same key with other variables, or
// another document, is refused with 422 and runs nothing.
func TestKeyReusedForAnotherRequest(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		c := e.instructor(t, "reused")
		if r := c.Query(t, createCourse, map[string]any{"slug": "first-slug"}); len(r.Errors) > 0 {
			t.Fatalf("first: %s", r.Raw)
		}
		for _, try := range []struct {
			doc  string
			vars map[string]any
		}{
			{createCourse, map[string]any{"slug": "second-slug"}},
			{strings.Replace(createCourse, "Retried", "Other title", 1), map[string]any{"slug": "first-slug"}},
		} {
			r := c.Query(t, try.doc, try.vars)
			if r.Status != http.StatusUnprocessableEntity || code(r) != "IDEMPOTENCY_KEY_REUSED" || r.Errors[0].Extensions.RequestID == "" {
				t.Fatalf("reuse answered %d %s", r.Status, r.Raw)
			}
		}
		if n := e.courses(t, "second-slug"); n != 0 {
			t.Fatalf("the refused request ran: %d courses", n)
		}
		// Variables are compared as values: the order of members is not
		// part of the request.
		c2 := e.instructor(t, "order")
		body := func(vars string) []byte {
			return []byte(`{"query":` + fmt.Sprintf("%q", "mutation($title: String!, $slug: String!) { createCourse(input: {title: $title, slug: $slug}) { course { slug } } }") + `,"variables":` + vars + `}`)
		}
		a := c2.Post(t, body(`{"title":"Ordered","slug":"ordered"}`))
		b := c2.Post(t, body(`{"slug":"ordered","title":"Ordered"}`))
		if a.Status != http.StatusOK || b.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(a.Raw, b.Raw) {
			t.Fatalf("reordered variables: %d %s / %d %s", a.Status, a.Raw, b.Status, b.Raw)
		}
	})
}

// TestConcurrentRetries: 50 requests with one key at once make exactly
// one course, and every answer is the stored one or IN_PROGRESS (409 with
// Retry-After).
func TestConcurrentRetries(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		c := e.instructor(t, "fifty")
		reqs := make([]*http.Request, 50)
		for i := range reqs {
			reqs[i] = c.Request(t, createCourse, map[string]any{"slug": "fifty-at-once"})
		}
		replies := e.c.ServeAtOnce(t, reqs...)
		if n := e.courses(t, "fifty-at-once"); n != 1 {
			t.Fatalf("%d courses, want 1", n)
		}
		final := c.Query(t, createCourse, map[string]any{"slug": "fifty-at-once"})
		if final.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("after the burst: %d %s", final.Status, final.Raw)
		}
		ranOnce(t, replies, final)
	})
}

// ranOnce checks that exactly one of replies ran, and that every other is
// the stored answer (final, a replay of it) or IN_PROGRESS with
// Retry-After.
func ranOnce(t *testing.T, replies []testenv.Reply, final testenv.Reply) {
	t.Helper()
	ran := 0
	for _, r := range replies {
		switch {
		case r.Status == http.StatusConflict && code(r) == "IDEMPOTENCY_IN_PROGRESS" && r.Header.Get("Retry-After") != "":
		case r.Status == http.StatusOK && bytes.Equal(r.Raw, final.Raw):
			if r.Header.Get("Idempotent-Replayed") == "" {
				ran++
			}
		default:
			t.Fatalf("answer %d %s", r.Status, r.Raw)
		}
	}
	if ran != 1 {
		t.Fatalf("%d requests ran, want 1", ran)
	}
}

// TestMalformedKeys are refused with 400 before anything runs.
func TestMalformedKeys(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		c := e.instructor(t, "")
		for name, keys := range map[string][]string{
			"empty":     {""},
			"too long":  {strings.Repeat("k", 256)},
			"non-ASCII": {"clé"},
			"control":   {"a\x01b"},
			"NUL":       {"a\x00b"},
			"invalid":   {"\xff\xfe"},
			"twice":     {"one", "two"},
			"same":      {"one", "one"},
		} {
			req := c.Request(t, createCourse, map[string]any{"slug": "never-made"})
			req.Header["Idempotency-Key"] = keys
			r := c.Do(t, req)
			if r.Status != http.StatusBadRequest || code(r) != "BAD_USER_INPUT" {
				t.Errorf("%s: %d %s", name, r.Status, r.Raw)
			}
		}
		if n := e.courses(t, "never-made"); n != 0 {
			t.Fatalf("a refused request ran: %d courses", n)
		}
		// The longest key is fine.
		long := strings.Repeat("~", 255)
		c.Key = long
		if r := c.Query(t, createCourse, map[string]any{"slug": "long-key"}); r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("255 characters: %d %s", r.Status, r.Raw)
		}
		if len(e.stored(t, long)) != 1 {
			t.Fatal("the longest key was not stored")
		}
	})
}

// TestRefusalsBeforeExecutionAreNotStored: a document that does not parse
// or validate, or a credential that is refused, leaves the key unused; a
// key on a query is ignored.
func TestRefusalsBeforeExecutionAreNotStored(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		c := e.instructor(t, "fix-and-retry")
		if r := c.Query(t, "mutation { createCourse(", nil); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("parse: %d %s", r.Status, r.Raw)
		}
		if r := c.Query(t, `mutation { createCourse(input: {title: "x"}) { course { id } } }`, nil); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("validation: %d %s", r.Status, r.Raw)
		}
		bad := c.Clone().WithBearer("not-a-token")
		if r := bad.Query(t, createCourse, map[string]any{"slug": "fixed"}); r.Status != http.StatusUnauthorized {
			t.Fatalf("bad token: %d %s", r.Status, r.Raw)
		}
		if r := c.Query(t, `{ viewer { user { id } } }`, nil); r.Status != http.StatusOK || r.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("query: %d %s", r.Status, r.Raw)
		}
		if got := e.stored(t, "fix-and-retry"); len(got) != 0 {
			t.Fatalf("refusals stored: %d", len(got))
		}
		r := c.Query(t, createCourse, map[string]any{"slug": "fixed"})
		if r.Status != http.StatusOK || len(r.Errors) > 0 || e.courses(t, "fixed") != 1 {
			t.Fatalf("the fixed request: %d %s", r.Status, r.Raw)
		}
		// The key now holds a mutation's answer; a query with it still runs.
		if q := c.Query(t, `{ viewer { user { id } } }`, nil); q.Status != http.StatusOK || len(q.Errors) > 0 || q.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("query after: %d %s", q.Status, q.Raw)
		}
	})
}

// TestUserErrorsAreStored: an answer with user errors is the request's
// answer too; its retry replays it.
func TestUserErrorsAreStored(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		c := e.instructor(t, "bad-slug")
		first := c.Query(t, createCourse, map[string]any{"slug": "Not A Slug"})
		if !bytes.Contains(first.Raw, []byte(`"userErrors":[{`)) {
			t.Fatalf("first: %s", first.Raw)
		}
		again := c.Query(t, createCourse, map[string]any{"slug": "Not A Slug"})
		if !bytes.Equal(again.Raw, first.Raw) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %s", again.Raw)
		}
	})
}

// TestKeysAreScopedToTheCaller: two users, or two anonymous clients, may
// use the same key for their own requests.
func TestKeysAreScopedToTheCaller(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		amara := e.instructor(t, "shared")
		if r := amara.Query(t, createCourse, map[string]any{"slug": "amaras"}); len(r.Errors) > 0 {
			t.Fatalf("amara: %s", r.Raw)
		}
		other := testenv.CreateAccount(t, e.db, testenv.Account{Role: "INSTRUCTOR", Password: testPassword, VerifiedAt: testenv.Now})
		c := e.c.NewCaller()
		c.SignIn(t, other.Email, testPassword, testenv.TokenTransport)
		c.Key = "shared"
		if r := c.Query(t, createCourse, map[string]any{"slug": "others"}); r.Status != http.StatusOK || len(r.Errors) > 0 || r.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("another user's key: %d %s", r.Status, r.Raw)
		}

		signUp := `mutation($email: String!) { signUp(input: {email: $email, password: "a long enough passphrase 42", displayName: "New"}) { userErrors { code } } }`
		anon := e.c.NewCaller()
		anon.Key = "anonymous"
		first := anon.Query(t, signUp, map[string]any{"email": "anon-one@example.com"})
		retry := anon.Query(t, signUp, map[string]any{"email": "anon-one@example.com"})
		if !bytes.Equal(first.Raw, retry.Raw) || retry.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("anonymous retry: %s / %s", first.Raw, retry.Raw)
		}
		elsewhere := e.c.NewCaller()
		elsewhere.Key = "anonymous"
		if r := elsewhere.Query(t, signUp, map[string]any{"email": "anon-two@example.com"}); r.Status != http.StatusOK || r.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("another address: %d %s", r.Status, r.Raw)
		}
		for _, email := range []string{"anon-one@example.com", "anon-two@example.com"} {
			testenv.AccountID(t, e.db, email) // fails the test when missing
		}
	})
}

// TestOneKeyCoversTheWholeDocument: two mutation fields under one key run
// once, together, and replay together.
func TestOneKeyCoversTheWholeDocument(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		c := e.instructor(t, "two-fields")
		doc := `mutation {
			a: createCourse(input: {title: "A", slug: "field-a"}) { course { id } }
			b: createCourse(input: {title: "B", slug: "field-b"}) { course { id } }
		}`
		first := c.Query(t, doc, nil)
		again := c.Query(t, doc, nil)
		if len(first.Errors) > 0 || !bytes.Equal(first.Raw, again.Raw) {
			t.Fatalf("%s / %s", first.Raw, again.Raw)
		}
		if e.courses(t, "field-a") != 1 || e.courses(t, "field-b") != 1 {
			t.Fatal("each field must run once")
		}
	})
}

// TestLostAnswerIsReplayed: when the answer never reaches the client (the
// connection died after the commit), the retry gets the committed answer.
func TestLostAnswerIsReplayed(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		c := e.instructor(t, "lost")
		req := c.Request(t, createCourse, map[string]any{"slug": "lost-answer"})
		e.c.Handler.ServeHTTP(deadConn{httptest.NewRecorder()}, req)
		if n := e.courses(t, "lost-answer"); n != 1 {
			t.Fatalf("%d courses after the lost answer", n)
		}
		r := c.Query(t, createCourse, map[string]any{"slug": "lost-answer"})
		id := e.db.Ent.Course.Query().Where(course.Slug("lost-answer")).OnlyX(sys()).GlobalID().String()
		if r.Header.Get("Idempotent-Replayed") != "true" || !bytes.Contains(r.Raw, []byte(id)) {
			t.Fatalf("retry: %s", r.Raw)
		}
	})
}

// deadConn is a connection whose writes fail.
type deadConn struct{ *httptest.ResponseRecorder }

func (deadConn) Write([]byte) (int, error) { return 0, fmt.Errorf("connection reset by peer") }

// TestCookieSessionReplayed: a keyed sign-in's retry sets the same
// session cookie and makes no second session.
func TestCookieSessionReplayed(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		testenv.SetPassword(t, e.db, amaraEmail, testPassword)
		c := e.c.NewCaller()
		c.Key = "sign-in"
		first := c.LogIn(t, amaraEmail, testPassword, testenv.CookieTransport)
		cookie, set := first.SessionCookie()
		c.Cookie = ""
		again := c.LogIn(t, amaraEmail, testPassword, testenv.CookieTransport)
		replayed, again2 := again.SessionCookie()
		if !set || !again2 || cookie != replayed || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("cookie %q (%v) then %q (%v)", cookie, set, replayed, again2)
		}
		if n := len(testenv.SessionsOf(t, e.db, amaraEmail)); n != 1 {
			t.Fatalf("%d sessions, want 1", n)
		}
		recs := e.stored(t, "sign-in")
		if len(recs) != 1 || bytes.Contains(recs[0].ResponseBody, []byte(cookie)) {
			t.Fatal("the session cookie is readable in the database")
		}
	})
}

// TestRateLimitedAnswersAreStored: a throttle's refusal is the request's
// answer, kept with what the throttle counted, so a key cannot be a way to
// make failed attempts uncounted.
func TestRateLimitedAnswersAreStored(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		testenv.SetPassword(t, e.db, amaraEmail, testPassword)
		c := e.c.NewCaller()
		var limited testenv.Reply
		for i := range 40 {
			c.Key = fmt.Sprintf("attempt-%d", i)
			limited = c.LogIn(t, amaraEmail, "wrong password, again and again", testenv.TokenTransport)
			if code(limited) == "RATE_LIMITED" {
				break
			}
		}
		if code(limited) != "RATE_LIMITED" {
			t.Fatalf("never limited: %s", limited.Raw)
		}
		again := c.LogIn(t, amaraEmail, "wrong password, again and again", testenv.TokenTransport)
		if !bytes.Equal(again.Raw, limited.Raw) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %s", again.Raw)
		}
		// With a new key, the right password is still refused: the
		// failures were counted.
		c.Key = "right-password"
		if r := c.LogIn(t, amaraEmail, testPassword, testenv.TokenTransport); code(r) != "RATE_LIMITED" {
			t.Fatalf("after the block: %s", r.Raw)
		}
	})
}

// TestFailuresAreRolledBack: an answer reporting INTERNAL or UNAVAILABLE
// (here: the request's deadline passed) keeps nothing and stores nothing,
// so the same key runs the request again.
func TestFailuresAreRolledBack(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		c := e.instructor(t, "too-late")
		req := c.Request(t, createCourse, map[string]any{"slug": "too-late"})
		ctx, cancel := context.WithCancel(req.Context())
		cancel()
		rec := httptest.NewRecorder()
		e.c.Handler.ServeHTTP(rec, req.WithContext(ctx))
		if e.courses(t, "too-late") != 0 || len(e.stored(t, "too-late")) != 0 {
			t.Fatalf("a cancelled request kept its effect: %s", rec.Body)
		}
		if r := c.Query(t, createCourse, map[string]any{"slug": "too-late"}); r.Status != http.StatusOK || len(r.Errors) > 0 || r.Header.Get("Idempotent-Replayed") != "" || e.courses(t, "too-late") != 1 {
			t.Fatalf("the retry: %d %s", r.Status, r.Raw)
		}
	})
}

// TestConcurrentRetriesAcrossInstances: retries spread over two servers
// on one database still make one course; on PostgreSQL the key is locked
// across instances.
func TestConcurrentRetriesAcrossInstances(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		second := testenv.NewClient(t, e.db)
		c := e.instructor(t, "two-servers")
		const n = 20
		recs := make([]*httptest.ResponseRecorder, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			req := c.Request(t, createCourse, map[string]any{"slug": "two-servers"})
			h := e.c.Handler
			if i%2 == 1 {
				h = second.Handler
			}
			recs[i] = httptest.NewRecorder()
			wg.Go(func() {
				<-start
				h.ServeHTTP(recs[i], req)
			})
		}
		close(start)
		wg.Wait()
		if got := e.courses(t, "two-servers"); got != 1 {
			t.Fatalf("%d courses, want 1", got)
		}
		replies := make([]testenv.Reply, n)
		for i, rec := range recs {
			replies[i] = testenv.Recorded(t, rec)
		}
		ranOnce(t, replies, c.Query(t, createCourse, map[string]any{"slug": "two-servers"}))
	})
}

// TestExpiredKeysArePurgedAndReusable: after 24 hours the cleanup deletes
// the answer, and the key may be used again.
func TestExpiredKeysArePurgedAndReusable(t *testing.T) {
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		db := testenv.Fresh(t, dialect, testenv.Demo)
		clock := testenv.NewWallClock()
		e := &env{db: db, c: testenv.NewClient(t, db, app.WithClock(clock.Now))}
		c := e.instructor(t, "day-old")
		if r := c.Query(t, createCourse, map[string]any{"slug": "day-one"}); len(r.Errors) > 0 {
			t.Fatalf("first: %s", r.Raw)
		}
		svc := idempotency.New(db, nil, slog.New(slog.DiscardHandler), clock.Now)
		if got, err := svc.Cleanup(sys()); err != nil || got["idempotency_keys"] != 0 {
			t.Fatalf("cleanup of a live key: %v, %v", got, err)
		}
		clock.Advance(idempotency.TTL + time.Second)
		// Expired but not yet purged: the key runs a new request (in a new
		// session: the first has gone idle meanwhile).
		c = e.instructor(t, "day-old")
		if r := c.Query(t, createCourse, map[string]any{"slug": "day-two"}); r.Status != http.StatusOK || r.Header.Get("Idempotent-Replayed") != "" || e.courses(t, "day-two") != 1 {
			t.Fatalf("expired key: %d %s", r.Status, r.Raw)
		}
		clock.Advance(idempotency.TTL + time.Second)
		if got, err := svc.Cleanup(sys()); err != nil || got["idempotency_keys"] != 1 {
			t.Fatalf("cleanup: %v, %v", got, err)
		}
		if len(e.stored(t, "day-old")) != 0 {
			t.Fatal("the expired answer is still stored")
		}
	})
}

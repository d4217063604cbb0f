package httpserver_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"lectern/internal/admission"
	"lectern/internal/apperr"
	"lectern/internal/httpserver"
)

// gatedGraphQL stands in for the GraphQL handler: each request reports
// its X-Seq header on entered, then waits for a value on release; a body
// mentioning "boom" panics instead.
type gatedGraphQL struct {
	entered chan string
	release chan struct{}
	mu      sync.Mutex
	running int
	most    int // the most requests ever running at once
}

func newGatedGraphQL() *gatedGraphQL {
	return &gatedGraphQL{entered: make(chan string, 16), release: make(chan struct{})}
}

func (g *gatedGraphQL) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if strings.Contains(string(body), "boom") {
		panic("boom")
	}
	g.mu.Lock()
	g.running++
	g.most = max(g.most, g.running)
	g.mu.Unlock()
	g.entered <- r.Header.Get("X-Seq")
	<-g.release
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"data":{}}`)
}

// next is the next request to start; a deadlock (one that never does)
// fails the test rather than hanging it.
func (g *gatedGraphQL) next(t *testing.T) string {
	t.Helper()
	select {
	case seq := <-g.entered:
		return seq
	case <-time.After(10 * time.Second):
		t.Fatal("no request started within 10s")
		return ""
	}
}

// runOne sends a request tagged seq through h, which must start it next
// and answer it with 200 once released: a turn is free.
func (g *gatedGraphQL) runOne(t *testing.T, h http.Handler, seq string) {
	t.Helper()
	answer := sendAsync(h, seq, viewerQuery, context.Background())
	if got := g.next(t); got != seq {
		t.Fatalf("%s started, want %s", got, seq)
	}
	g.release <- struct{}{}
	if r := recv(t, answer); r.status != http.StatusOK {
		t.Errorf("%s: status %d, body %s", seq, r.status, r.body)
	}
}

// admissionServer is the HTTP surface over g under adm, with cache in
// front of it when given.
func admissionServer(t *testing.T, g http.Handler, adm *admission.Bound, timeout time.Duration, cache func(http.Handler) http.Handler) http.Handler {
	t.Helper()
	h, err := httpserver.New(httpserver.Deps{
		Logger:         slog.New(slog.DiscardHandler),
		Ready:          func(context.Context) error { return nil },
		GraphQL:        g,
		MaxBodyBytes:   2048,
		RequestTimeout: timeout,
		Admission:      adm,
		Cache:          cache,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h
}

// sendAsync sends a GraphQL request tagged seq and delivers its answer on
// the channel returned.
func sendAsync(h http.Handler, seq, body string, ctx context.Context) <-chan response {
	out := make(chan response, 1)
	r := request(http.MethodPost, "/v1/graphql", "application/json", body, "X-Seq", seq).WithContext(ctx)
	go func() { out <- serve(h, r) }()
	return out
}

// waitFor polls cond until it holds, failing the test after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// recv is the answer on ch; a request that never ends fails the test.
func recv(t *testing.T, ch <-chan response) response {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no answer within 10s")
		return response{}
	}
}

func waiting(a *admission.Bound) int64 { return a.Stats()["graphql_requests_waiting"] }

// TestAdmissionBoundsConcurrentRequests: no more requests run at once than
// the bound; the rest wait and start in the order they arrived.
func TestAdmissionBoundsConcurrentRequests(t *testing.T) {
	t.Parallel()
	g := newGatedGraphQL()
	adm := admission.New(2, time.Minute)
	h := admissionServer(t, g, adm, time.Minute, nil)
	var answers []<-chan response
	for i, seq := range []string{"a", "b", "c", "d", "e"} {
		answers = append(answers, sendAsync(h, seq, viewerQuery, context.Background()))
		if i < 2 {
			if got := g.next(t); got != seq {
				t.Fatalf("request %s entered, want %s", got, seq)
			}
			continue
		}
		waitFor(t, seq+" to queue", func() bool { return waiting(adm) == int64(i-1) })
	}
	var order []string
	for range 3 {
		g.release <- struct{}{}
		order = append(order, g.next(t))
	}
	if got := strings.Join(order, ""); got != "cde" {
		t.Errorf("waiting requests started in the order %q, want cde", got)
	}
	for range 2 {
		g.release <- struct{}{}
	}
	for i, a := range answers {
		if r := recv(t, a); r.status != http.StatusOK {
			t.Errorf("request %d: status %d, body %s", i, r.status, r.body)
		}
	}
	if g.most != 2 {
		t.Errorf("at most %d requests ran at once, want 2", g.most)
	}
	if s := adm.Stats(); s["graphql_requests_queued"] != 3 || s["graphql_requests_shed"] != 0 || s["graphql_requests_waiting"] != 0 {
		t.Errorf("stats = %v, want 3 queued, none shed or waiting", s)
	}
}

// TestAdmissionRefusesAfterQueueTimeout: a request that gets no turn
// within the queue timeout is refused with 503 UNAVAILABLE and
// Retry-After, without running; its turn is not lost for later ones.
func TestAdmissionRefusesAfterQueueTimeout(t *testing.T) {
	t.Parallel()
	g := newGatedGraphQL()
	adm := admission.New(1, 20*time.Millisecond)
	h := admissionServer(t, g, adm, time.Minute, nil)
	first := sendAsync(h, "first", viewerQuery, context.Background())
	g.next(t)

	r := postGraphQL(h, viewerQuery)
	r.expectError(t, http.StatusServiceUnavailable, string(apperr.Unavailable))
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	var e struct {
		Errors []struct {
			Extensions struct {
				RetryAfterSeconds int `json:"retryAfterSeconds"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Errors[0].Extensions.RetryAfterSeconds != 1 {
		t.Errorf("extensions.retryAfterSeconds: %s", r.body)
	}
	if s := adm.Stats(); s["graphql_requests_shed"] != 1 {
		t.Errorf("stats = %v, want 1 shed", s)
	}

	g.release <- struct{}{}
	if r := recv(t, first); r.status != http.StatusOK {
		t.Fatalf("first request: %d %s", r.status, r.body)
	}
	g.runOne(t, h, "after the refusal")
}

// TestAdmissionWaitEndsWithTheRequest: a waiting request stops waiting
// when its own deadline (REQUEST_TIMEOUT) passes or its client goes away,
// however long the queue timeout; neither runs nor keeps a turn.
func TestAdmissionWaitEndsWithTheRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		timeout time.Duration // REQUEST_TIMEOUT
		cancel  bool          // the client goes away while waiting
	}{
		{"deadline", 50 * time.Millisecond, false},
		{"client gone", time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newGatedGraphQL()
			adm := admission.New(1, time.Hour)
			h := admissionServer(t, g, adm, tc.timeout, nil)
			// The one running keeps its turn until released, past its
			// deadline, as a slow resolver would.
			first := sendAsync(h, "first", viewerQuery, context.Background())
			g.next(t)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			waiter := sendAsync(h, "waiter", viewerQuery, ctx)
			if tc.cancel {
				waitFor(t, "the request to queue", func() bool { return waiting(adm) == 1 })
				cancel()
			}
			r := recv(t, waiter)
			if !tc.cancel {
				r.expectError(t, http.StatusServiceUnavailable, string(apperr.Unavailable))
			}
			if n := waiting(adm); n != 0 {
				t.Errorf("%d requests still waiting", n)
			}

			g.release <- struct{}{}
			recv(t, first)
			g.runOne(t, h, "after the abandoned one")
		})
	}
}

// TestAdmissionTurnEndsBeforeTheAnswerIsSent: a client that reads its
// answer slowly does not hold the turn it was computed in.
func TestAdmissionTurnEndsBeforeTheAnswerIsSent(t *testing.T) {
	t.Parallel()
	g := newGatedGraphQL()
	adm := admission.New(1, time.Minute)
	h := admissionServer(t, g, adm, time.Minute, nil)
	slow := &stalledWriter{header: http.Header{}, unstall: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(slow, request(http.MethodPost, "/v1/graphql", "application/json", viewerQuery, "X-Seq", "slow"))
	}()
	g.next(t)
	g.release <- struct{}{}
	g.runOne(t, h, "while the slow client reads")
	close(slow.unstall)
	<-done
	if slow.status != http.StatusOK || slow.body.String() != `{"data":{}}` {
		t.Errorf("slow client got %d %q", slow.status, slow.body.String())
	}
}

// stalledWriter is a client connection whose reader has stopped: writes
// block until unstall is closed.
type stalledWriter struct {
	header  http.Header
	status  int
	body    strings.Builder
	unstall chan struct{}
}

func (s *stalledWriter) Header() http.Header { return s.header }
func (s *stalledWriter) WriteHeader(status int) {
	if s.status == 0 {
		s.status = status
	}
}
func (s *stalledWriter) Write(p []byte) (int, error) {
	<-s.unstall
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.body.Write(p)
}

// TestAdmissionReleasesTurnOnPanic: a request whose handler panics gives
// its turn back.
func TestAdmissionReleasesTurnOnPanic(t *testing.T) {
	t.Parallel()
	g := newGatedGraphQL()
	adm := admission.New(1, time.Minute)
	h := admissionServer(t, g, adm, time.Minute, nil)
	postGraphQL(h, `{"query":"{ boom }"}`).expectError(t, http.StatusInternalServerError, string(apperr.Internal))
	g.runOne(t, h, "after the panic")
}

// TestAdmissionAfterBodyAndCache: a client still sending its body holds
// no turn, and answers from the cache never wait for one.
func TestAdmissionAfterBodyAndCache(t *testing.T) {
	t.Parallel()
	g := newGatedGraphQL()
	adm := admission.New(1, time.Minute)
	cache := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Seq") == "cached" {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"data":{"cached":true}}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	h := admissionServer(t, g, adm, time.Minute, cache)

	body, send := io.Pipe()
	slow := httptest.NewRequest(http.MethodPost, "/v1/graphql", body)
	slow.Header.Set("Content-Type", "application/json")
	slow.Header.Set("X-Seq", "slow")
	slowDone := make(chan response, 1)
	go func() { slowDone <- serve(h, slow) }()
	if _, err := io.WriteString(send, `{"query":`); err != nil {
		t.Fatal(err)
	}

	fast := sendAsync(h, "fast", viewerQuery, context.Background())
	if got := g.next(t); got != "fast" {
		t.Fatalf("%s ran first, want fast: the slow sender held the turn", got)
	}
	if r := recv(t, sendAsync(h, "cached", viewerQuery, context.Background())); r.status != http.StatusOK || !strings.Contains(string(r.body), "cached") {
		t.Errorf("cached answer while the turn is taken: %d %s", r.status, r.body)
	}
	g.release <- struct{}{}
	recv(t, fast)

	_, _ = io.WriteString(send, `"{ viewer { id } }"}`)
	_ = send.Close()
	if got := g.next(t); got != "slow" {
		t.Fatalf("%s ran, want slow", got)
	}
	g.release <- struct{}{}
	if r := recv(t, slowDone); r.status != http.StatusOK {
		t.Errorf("slow sender: %d %s", r.status, r.body)
	}
}

// TestAdmissionOff: a bound of 0 is none.
func TestAdmissionOff(t *testing.T) {
	t.Parallel()
	if a := admission.New(0, time.Second); a != nil {
		t.Fatalf("New(0) = %v, want nil (no bound)", a)
	}
	var none *admission.Bound
	if none.Stats() != nil {
		t.Error("a nil Admission reports stats")
	}
}

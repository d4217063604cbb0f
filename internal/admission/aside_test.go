package admission_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"lectern/internal/admission"
)

// scripted is a handler under a bound whose requests, named by their
// X-Seq header, each run the script given for the name; started reports
// each name as its request starts.
type scripted struct {
	bound   *admission.Bound
	handler http.Handler
	started chan string
	mu      sync.Mutex
	scripts map[string]func(ctx context.Context)
}

func newScripted(t *testing.T, n int) *scripted {
	t.Helper()
	s := &scripted{bound: admission.New(n, time.Minute), started: make(chan string, 16), scripts: map[string]func(context.Context){}}
	s.handler = s.bound.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.Header.Get("X-Seq")
		s.started <- name
		s.mu.Lock()
		script := s.scripts[name]
		s.mu.Unlock()
		if script != nil {
			script(r.Context())
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	return s
}

// send starts the request name running script and returns a channel
// closed once it is answered.
func (s *scripted) send(name string, script func(ctx context.Context)) <-chan struct{} {
	s.mu.Lock()
	s.scripts[name] = script
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := httptest.NewRequest(http.MethodPost, "/v1/graphql", nil)
		r.Header.Set("X-Seq", name)
		s.handler.ServeHTTP(httptest.NewRecorder(), r)
	}()
	return done
}

// next is the name of the next request to start.
func (s *scripted) next(t *testing.T) string {
	t.Helper()
	select {
	case name := <-s.started:
		return name
	case <-time.After(10 * time.Second):
		t.Fatal("no request started within 10s")
		return ""
	}
}

// quiet fails the test if a request starts within a short while.
func (s *scripted) quiet(t *testing.T, why string) {
	t.Helper()
	select {
	case name := <-s.started:
		t.Fatalf("%s started %s", name, why)
	case <-time.After(50 * time.Millisecond):
	}
}

func await(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("gave up waiting for %s", what)
	}
}

// TestAsideGivesTheTurnToAWaitingRequest: while a request runs work
// aside, a waiting request takes its turn; back from it, the request
// goes on at once although the turn is taken, and the next waiting
// request is let in only once both have finished.
func TestAsideGivesTheTurnToAWaitingRequest(t *testing.T) {
	t.Parallel()
	s := newScripted(t, 1)
	inAside, leaveAside, back := make(chan struct{}), make(chan struct{}), make(chan struct{})
	finishA, finishB := make(chan struct{}), make(chan struct{})
	doneA := s.send("a", func(ctx context.Context) {
		admission.Aside(ctx, func() {
			close(inAside)
			<-leaveAside
		})
		close(back)
		<-finishA
	})
	if got := s.next(t); got != "a" {
		t.Fatalf("%s started, want a", got)
	}
	await(t, "a to go aside", inAside)

	doneB := s.send("b", func(context.Context) { <-finishB })
	if got := s.next(t); got != "b" {
		t.Fatalf("%s started, want b (a is aside)", got)
	}
	close(leaveAside)
	await(t, "a to come back while b holds the turn", back)

	doneC := s.send("c", nil)
	s.quiet(t, "while a and b both run on a bound of 1")
	close(finishB)
	await(t, "b", doneB)
	s.quiet(t, "while a runs over the bound")
	close(finishA)
	await(t, "a", doneA)
	if got := s.next(t); got != "c" {
		t.Fatalf("%s started, want c", got)
	}
	await(t, "c", doneC)
	if s := s.bound.Stats(); s["graphql_requests_waiting"] != 0 || s["graphql_requests_shed"] != 0 {
		t.Errorf("stats = %v, want none waiting or shed", s)
	}
}

// TestAsideConcurrentCallsShareOneTurn: a request's resolvers that go
// aside at once give its one turn away once, and take it back when the
// last returns.
func TestAsideConcurrentCallsShareOneTurn(t *testing.T) {
	t.Parallel()
	s := newScripted(t, 1)
	bothAside, leaveFirst, leaveSecond := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var asides sync.WaitGroup
	asides.Add(2)
	doneA := s.send("a", func(ctx context.Context) {
		var wg sync.WaitGroup
		for _, leave := range []chan struct{}{leaveFirst, leaveSecond} {
			wg.Go(func() {
				admission.Aside(ctx, func() {
					asides.Done()
					<-leave
				})
			})
		}
		wg.Wait()
	})
	s.next(t)
	go func() { asides.Wait(); close(bothAside) }()
	await(t, "both of a's calls to go aside", bothAside)

	finishB := make(chan struct{})
	doneB := s.send("b", func(context.Context) { <-finishB })
	if got := s.next(t); got != "b" {
		t.Fatalf("%s started, want b", got)
	}
	doneC := s.send("c", nil)
	s.quiet(t, "on a turn given away twice")
	close(leaveFirst)
	s.quiet(t, "while a is still aside")
	close(finishB)
	await(t, "b", doneB)
	if got := s.next(t); got != "c" {
		t.Fatalf("%s started, want c on b's turn", got)
	}
	await(t, "c", doneC)
	close(leaveSecond)
	await(t, "a", doneA)
	// One turn, free again.
	await(t, "d", s.send("d", nil))
	if got := s.next(t); got != "d" {
		t.Fatalf("%s started, want d", got)
	}
}

// TestAsideWithoutATurn: outside an admitted request (no bound, a job)
// Aside just runs fn.
func TestAsideWithoutATurn(t *testing.T) {
	t.Parallel()
	ran := false
	admission.Aside(context.Background(), func() { ran = true })
	if !ran {
		t.Error("fn did not run")
	}
}

// TestAsideOutlivingItsRequest: work aside that outlives its request (a
// goroutine the request started) neither gives the turn away twice nor
// takes back a turn its request no longer has; Aside called once the
// request has ended just runs fn.
func TestAsideOutlivingItsRequest(t *testing.T) {
	t.Parallel()
	s := newScripted(t, 1)
	inAside, leaveAside, outlived := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var requestCtx context.Context
	doneA := s.send("a", func(ctx context.Context) {
		requestCtx = ctx
		go func() {
			defer close(outlived)
			admission.Aside(ctx, func() {
				close(inAside)
				<-leaveAside
			})
		}()
		<-inAside
	})
	s.next(t)
	await(t, "a", doneA)

	finishB := make(chan struct{})
	doneB := s.send("b", func(context.Context) { <-finishB })
	if got := s.next(t); got != "b" {
		t.Fatalf("%s started, want b", got)
	}
	doneC := s.send("c", nil)
	s.quiet(t, "on a turn given away twice")
	close(leaveAside)
	await(t, "the work a left aside", outlived)
	ran := false
	admission.Aside(requestCtx, func() { ran = true })
	if !ran {
		t.Error("Aside after its request did not run fn")
	}
	s.quiet(t, "while b holds the only turn")
	close(finishB)
	await(t, "b", doneB)
	if got := s.next(t); got != "c" {
		t.Fatalf("%s started, want c", got)
	}
	await(t, "c", doneC)
}

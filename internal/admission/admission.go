// Package admission bounds how many GraphQL requests execute at once, and
// lets work bounded on its own (password hashing) give its request's turn
// to another while it waits and runs.
package admission

import (
	"bytes"
	"container/list"
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"lectern/internal/apperr"
	"lectern/internal/bufpool"
	"lectern/internal/obs"
)

// Bound bounds how many GraphQL requests execute at once. Under more
// concurrent requests than the CPUs can serve, every request in flight
// shares them and all finish late; with a bound, the ones admitted run at
// full speed and the rest wait their turn in arrival order. On the load
// benchmark (2 CPUs, 20 connections) the bound cut the p99 latency of the
// heavier pages by a quarter to a third at the same throughput.
//
// A request that cannot start within the queue timeout (or before its own
// deadline) is refused with 503 UNAVAILABLE and Retry-After before any
// resolver runs: a fast refusal rather than an answer long after the user
// gave up. A turn covers executing the request only: it is taken once the
// body has been read in full and given back before the answer is sent,
// so a client sending or reading slowly never holds one. Work with a
// bound of its own (password hashing) runs aside from its request's turn
// (Aside); a request coming back from it may run over the bound until it
// ends.
type Bound struct {
	wait time.Duration

	mu sync.Mutex
	// free is the turns not taken; below 0 when requests came back from
	// Aside while every turn was taken (see Aside).
	free    int
	waiting list.List    // of chan struct{}, closed when its turn comes
	queued  atomic.Int64 // requests that had to wait for a turn
	shed    atomic.Int64 // requests refused because none came in time
}

// New returns a bound of n requests at once, each waiting at most wait
// for its turn; nil (no bound) when n is 0.
func New(n int, wait time.Duration) *Bound {
	if n <= 0 {
		return nil
	}
	return &Bound{free: n, wait: wait}
}

// retryAfter is what a refused client is told to wait: a second, the
// smallest Retry-After can say, is long against a request's run time.
const retryAfter = time.Second

// Handler runs next for requests admitted under the bound, with the turn
// in the request's context for Aside. A nil Bound admits every request at
// once.
func (a *Bound) Handler(next http.Handler) http.Handler {
	if a == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.acquire(r.Context()) {
			a.shed.Add(1)
			obs.WriteRetryLater(w, r, http.StatusServiceUnavailable, apperr.Unavailable,
				"the server is at capacity; retry shortly", retryAfter)
			return
		}
		out := heldResponse{ResponseWriter: w, body: bufpool.Get()}
		t := &turn{bound: a}
		func() {
			defer a.finish(t)
			next.ServeHTTP(&out, r.WithContext(context.WithValue(r.Context(), turnKey{}, t)))
		}()
		out.send()
	})
}

// acquire takes a turn, waiting for one in arrival order at most a.wait
// and never past ctx's end; it reports whether it got one.
func (a *Bound) acquire(ctx context.Context) bool {
	a.mu.Lock()
	if a.free > 0 && a.waiting.Len() == 0 {
		a.free--
		a.mu.Unlock()
		return true
	}
	turn := make(chan struct{})
	e := a.waiting.PushBack(turn)
	a.mu.Unlock()
	a.queued.Add(1)

	timer := time.NewTimer(a.wait)
	defer timer.Stop()
	select {
	case <-turn:
		return true
	case <-timer.C:
	case <-ctx.Done():
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-turn: // given a turn while giving up: pass it on
		a.handOn()
	default:
		a.waiting.Remove(e)
	}
	return false
}

// finish gives t back as its request ends. A turn still aside, for work
// that outlived its request, was given away already, and that work will
// not take it back.
func (a *Bound) finish(t *turn) {
	a.mu.Lock()
	t.done = true
	if t.aside == 0 {
		a.handOn()
	}
	a.mu.Unlock()
}

// handOn gives a turn back, to the longest waiting request if any and
// the bound allows; a.mu is held.
func (a *Bound) handOn() {
	if a.free >= 0 {
		if front := a.waiting.Front(); front != nil {
			close(a.waiting.Remove(front).(chan struct{}))
			return
		}
	}
	a.free++
}

// turnKey is the context key of a request's turn.
type turnKey struct{}

// turn is an admitted request's turn. aside counts the calls of Aside in
// progress for the request (its resolvers may run concurrently): the
// turn is given back when the first starts and taken back when the last
// returns. done is set when the request has ended and the turn is no
// longer its to give. The bound's mu guards both.
type turn struct {
	bound *Bound
	aside int
	done  bool
}

// Aside runs fn without the turn of the request ctx belongs to, so that
// another request runs meanwhile; with no turn in ctx (no bound, or work
// outside a request) it just runs fn. It is for work that has a bound of
// its own and would otherwise hold a turn idle while it waits, or fill
// every turn in a burst: password hashing, which admits a CPU's worth of
// computations at once, takes tens of milliseconds each, and is what an
// attacker sending sign-ins from many addresses makes a server do.
//
// When fn returns the request takes its turn back at once, ahead of any
// waiting, even if every turn is taken: it was admitted already, and
// making it wait again could refuse it with its work half done. The
// bound is then exceeded by the requests back from Aside until they
// finish; no request waiting is let in until it is not.
func Aside(ctx context.Context, fn func()) {
	t, _ := ctx.Value(turnKey{}).(*turn)
	if t == nil {
		fn()
		return
	}
	a := t.bound
	a.mu.Lock()
	if t.done {
		a.mu.Unlock()
		fn()
		return
	}
	if t.aside++; t.aside == 1 {
		a.handOn()
	}
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		if t.aside--; t.aside == 0 && !t.done {
			a.free--
		}
		a.mu.Unlock()
	}()
	fn()
}

// Stats are figures for the diagnostics listener: the running totals of
// requests that waited for a turn and of requests refused for want of
// one, and how many are waiting now.
func (a *Bound) Stats() map[string]int64 {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	waiting := int64(a.waiting.Len())
	a.mu.Unlock()
	return map[string]int64{
		"graphql_requests_queued":  a.queued.Load(),
		"graphql_requests_shed":    a.shed.Load(),
		"graphql_requests_waiting": waiting,
	}
}

// heldResponse holds an answer's status and body while the request has
// its turn; send writes them once the turn is given back. Headers go
// straight to the underlying writer, which sends nothing before send.
type heldResponse struct {
	http.ResponseWriter
	status int
	body   *bytes.Buffer
}

func (h *heldResponse) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldResponse) Write(p []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(p)
}

// send writes the held answer and recycles its buffer.
func (h *heldResponse) send() {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	h.ResponseWriter.WriteHeader(h.status)
	_, _ = h.ResponseWriter.Write(h.body.Bytes())
	bufpool.Put(h.body)
}

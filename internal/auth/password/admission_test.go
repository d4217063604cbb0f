package password

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"lectern/internal/admission"
	"lectern/internal/apperr"
)

// TestComputationGivesTheRequestsTurnAway: a request hashing a password
// does not hold its GraphQL turn meanwhile. With a bound of one request
// and a wait of a millisecond, another request sent while a sign-in's
// hash is being computed runs, where it would be refused if the turn
// were held.
func TestComputationGivesTheRequestsTurnAway(t *testing.T) {
	t.Parallel()
	bound := admission.New(1, time.Millisecond)
	var handler http.Handler
	status := make(chan int, 1)
	h, err := NewHasher(DefaultParams(), WithDeriveHook(func(Params) {
		r := httptest.NewRequest(http.MethodPost, "/v1/graphql", nil)
		r.Header.Set("X-Seq", "read")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		status <- w.Code
	}))
	if err != nil {
		t.Fatal(err)
	}
	handler = bound.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Seq") == "sign-in" {
			if _, err := h.Hash(r.Context(), "correct horse battery staple"); err != nil {
				t.Errorf("Hash: %v", err)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	r := httptest.NewRequest(http.MethodPost, "/v1/graphql", nil)
	r.Header.Set("X-Seq", "sign-in")
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	if w.Code != http.StatusNoContent {
		t.Fatalf("sign-in: status %d", w.Code)
	}
	if got := <-status; got != http.StatusNoContent {
		t.Errorf("a request sent during the sign-in's hash: status %d, want 204 (it ran)", got)
	}
	if s := bound.Stats(); s["graphql_requests_shed"] != 0 {
		t.Errorf("stats = %v, want none shed", s)
	}
}

// TestComputationWaitEndsWithTheRequest: a computation waiting for a
// slot gives up when its request ends (deadline passed or client gone),
// so nothing is computed for nobody; Hash and Verify say why.
func TestComputationWaitEndsWithTheRequest(t *testing.T) {
	t.Parallel()
	entered, leave := make(chan struct{}, 1), make(chan struct{})
	h, err := NewHasher(DefaultParams(), WithConcurrency(1), WithDeriveHook(func(Params) {
		entered <- struct{}{}
		<-leave
	}))
	if err != nil {
		t.Fatal(err)
	}
	busy := make(chan struct{})
	go func() {
		defer close(busy)
		_, _ = h.Hash(context.Background(), "holds the only slot")
	}()
	<-entered

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "a password"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash after the client went: %v, want context.Canceled", err)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer dcancel()
	if ok, _, err := h.Verify(dctx, "a password", h.dummy); ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Verify past the deadline: ok %v, %v, want context.DeadlineExceeded", ok, err)
	}
	if err := h.VerifyDummy(ctx, "a guess"); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyDummy after the client went: %v, want context.Canceled", err)
	}

	close(leave)
	<-busy
	// With a slot free, a request already over still computes nothing.
	if _, err := h.Hash(ctx, "a password"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash after the client went, slot free: %v, want context.Canceled", err)
	}
}

// TestComputationWaitIsBounded: with a queue timeout, a computation that
// gets no slot within it is refused with ErrBusy, UNAVAILABLE with a
// retry after a second, and the slot's holder is not disturbed.
func TestComputationWaitIsBounded(t *testing.T) {
	t.Parallel()
	entered, leave := make(chan struct{}, 1), make(chan struct{})
	h, err := NewHasher(DefaultParams(), WithConcurrency(1), WithQueueTimeout(10*time.Millisecond), WithDeriveHook(func(Params) {
		entered <- struct{}{}
		<-leave
	}))
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "holds the only slot")
		held <- err
	}()
	<-entered
	_, err = h.Hash(context.Background(), "a password")
	if !errors.Is(err, ErrBusy) || apperr.CodeOf(err) != apperr.Unavailable || apperr.RetryAfterOf(err) != time.Second {
		t.Errorf("Hash with no slot within the queue timeout: %v, want ErrBusy (UNAVAILABLE, retry after 1s)", err)
	}
	if err := h.VerifyDummy(context.Background(), "a guess"); !errors.Is(err, ErrBusy) {
		t.Errorf("VerifyDummy with no slot: %v, want ErrBusy", err)
	}
	close(leave)
	if err := <-held; err != nil {
		t.Errorf("the computation holding the slot: %v", err)
	}
}

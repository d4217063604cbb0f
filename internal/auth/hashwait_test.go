package auth_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"lectern/internal/apperr"
	"lectern/internal/auth"
	"lectern/internal/auth/password"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// TestSignInWhenHashingCannotRun: when the password computation cannot
// run, because the server is hashing all it can (password.ErrBusy) or the
// request ended first, sign-in answers the same for an account and for an
// address without one, so the answer tells no account apart; and the
// attempt does not count against the account or the address, since
// nothing was checked.
func TestSignInWhenHashingCannotRun(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		var (
			once             sync.Once
			busy, leave      = make(chan struct{}), make(chan struct{})
			holdTheOnlySlot  = func(password.Params) { once.Do(func() { close(busy); <-leave }) }
			queueTimeout     = 20 * time.Millisecond
			learner, unknown = "learner@example.com", "nobody@example.com"
		)
		w := newWorkBench(t, testenv.Fresh(t, dialect), password.WithConcurrency(1),
			password.WithQueueTimeout(queueTimeout), password.WithDeriveHook(holdTheOnlySlot))
		const pw = "the learner's own passphrase"
		w.account(t, learner, pw)
		ctx := viewer.WithClient(context.Background(), viewer.Client{Addr: "192.0.2.7", UserAgent: "lectern-test"})
		logIn := func(ctx context.Context, email, pw string) error {
			_, err := w.svc.LogIn(ctx, auth.LogInInput{Email: email, Password: pw, Transport: auth.TransportToken})
			return err
		}

		// Someone else's sign-in holds the only slot.
		held := make(chan error, 1)
		go func() {
			held <- logIn(viewer.WithClient(context.Background(), viewer.Client{Addr: "192.0.2.8"}), learner, "a guess")
		}()
		<-busy

		// More attempts than any sign-in limit allows, all refused as busy.
		for i := range 12 {
			for _, email := range []string{learner, unknown} {
				err := logIn(ctx, email, "a guess")
				if !errors.Is(err, password.ErrBusy) || apperr.CodeOf(err) != apperr.Unavailable || apperr.RetryAfterOf(err) != time.Second {
					t.Fatalf("attempt %d for %s while busy: %v, want UNAVAILABLE (busy) with a retry after 1s", i, email, err)
				}
			}
		}
		// A request already over gets its own ending, account or not.
		ended, cancel := context.WithCancel(ctx)
		cancel()
		for _, email := range []string{learner, unknown} {
			if err := logIn(ended, email, "a guess"); !errors.Is(err, context.Canceled) {
				t.Errorf("sign-in for %s after the client went: %v, want context.Canceled", email, err)
			}
		}

		close(leave)
		<-held
		// None of the attempts counted: the right password still signs in
		// from the same address.
		if err := logIn(ctx, learner, pw); err != nil {
			t.Errorf("sign-in with the right password after the refused attempts: %v", err)
		}
	})
}

package jobs_test

import (
	"context"
	"testing"
	"time"
)

// ctxDone bounds a wait so a broken queue fails the test instead of
// hanging it; it is never a timing assertion.
func ctxDone(t *testing.T) <-chan struct{} {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx.Done()
}

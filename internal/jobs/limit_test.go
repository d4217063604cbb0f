package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"lectern/internal/jobs"
)

type slowArgs struct{}

func (slowArgs) Kind() string { return "slow" }

type slowWorker struct {
	river.WorkerDefaults[slowArgs]
	timeout time.Duration
}

func (w slowWorker) Timeout(*river.Job[slowArgs]) time.Duration     { return w.timeout }
func (slowWorker) Work(context.Context, *river.Job[slowArgs]) error { return nil }

// TestLimit: a worker's own timeout is cut to half the rescue delay, so a
// job a crash interrupted is rescued after that delay, not after its
// timeout; shorter timeouts, the client default (0) and no rescue delay
// leave it as it is.
func TestLimit(t *testing.T) {
	for _, tt := range []struct {
		own, rescue, want time.Duration
	}{
		{30 * time.Minute, 6 * time.Second, 3 * time.Second},
		{30 * time.Minute, time.Hour, 30 * time.Minute},
		{time.Second, 6 * time.Second, time.Second},
		{0, 6 * time.Second, 0},
		{-1, 6 * time.Second, 3 * time.Second},
		{30 * time.Minute, 0, 30 * time.Minute},
	} {
		got := jobs.Limit[slowArgs](slowWorker{timeout: tt.own}, tt.rescue).Timeout(&river.Job[slowArgs]{})
		if got != tt.want {
			t.Errorf("Limit(timeout %v, rescue %v) = %v, want %v", tt.own, tt.rescue, got, tt.want)
		}
	}
}

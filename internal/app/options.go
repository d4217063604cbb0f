package app

import (
	"time"

	"lectern/internal/jobs"
	"lectern/internal/storage"
)

// Option adjusts Build.
type Option func(*options)

type options struct {
	loaderWait time.Duration
	now        func() time.Time
	queue      *jobs.Queue
	workers    bool
	store      *storage.Store
}

// WithLoaderWait sets the dataloaders' batching window. Tests widen it so
// batching, and with it the statement counts they assert, does not depend on
// goroutine scheduling.
func WithLoaderWait(d time.Duration) Option {
	return func(o *options) { o.loaderWait = d }
}

// WithClock sets the clock of every service that reads the time (tests of
// expiry); without it they use time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithQueue makes the app enqueue jobs through q, which the caller built
// and starts and stops itself (tests that run their own workers). It takes
// precedence over WithWorkers.
func WithQueue(q *jobs.Queue) Option {
	return func(o *options) { o.queue = q }
}

// WithStore makes the app keep files in s, which the caller opened and
// closes (tests over an S3 peer); without it the app opens the store its
// configuration names.
func WithStore(s *storage.Store) Option {
	return func(o *options) { o.store = s }
}

// WithWorkers gives the app's queue its workers: email delivery and the
// periodic cleanup, worked once the caller starts App.Queue. Without it the
// queue only inserts, for processes that enqueue while another works the
// jobs (a one-off command, tests).
func WithWorkers() Option {
	return func(o *options) { o.workers = true }
}

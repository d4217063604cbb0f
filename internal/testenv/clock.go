package testenv

import (
	"sync"
	"time"
)

// Clock is a time source that stands still unless the test moves it, so
// expiry and throttle windows are decided by the test, not by how fast the
// machine is. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// NewWallClock returns a Clock starting at the current time (for what is
// computed from the wall clock too, such as a session cookie's Max-Age),
// cut to microseconds so times survive a round trip through PostgreSQL.
func NewWallClock() *Clock { return NewClock(time.Now().UTC().Truncate(time.Microsecond)) }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

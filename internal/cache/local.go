package cache

import (
	"sync"
	"time"

	"github.com/maypok86/otter/v2"
)

// local is one instance's memory: the entries, bounded by bytes, and the
// generations that decide whether an entry is still current (see the
// package documentation).
type local struct {
	entries *otter.Cache[string, *entry]
	ttl     time.Duration
	now     func() time.Time

	mu        sync.RWMutex
	gen       uint64
	dropped   map[string]drop
	lastPrune time.Time
}

// entry is a stored response: its body, the generation noted before it
// was computed, and its tags.
type entry struct {
	body []byte
	gen  uint64
	tags []string
}

// drop is when a tag was last invalidated, as a generation and a time.
type drop struct {
	gen uint64
	at  time.Time
}

func newLocal(maxBytes int64, ttl time.Duration, now func() time.Time) *local {
	return &local{
		entries: otter.Must(&otter.Options[string, *entry]{
			MaximumWeight: uint64(maxBytes),
			Weigher: func(key string, e *entry) uint32 {
				return uint32(len(key) + len(e.body) + 64 + 48*len(e.tags))
			},
			ExpiryCalculator: otter.ExpiryWriting[string, *entry](ttl),
		}),
		ttl:     ttl,
		now:     now,
		dropped: map[string]drop{},
	}
}

// snapshot returns the current generation; a fill notes it before it
// reads anything.
func (l *local) snapshot() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.gen
}

// current reports whether nothing e depends on was invalidated after the
// generation gen its content was read at.
func (l *local) current(gen uint64, tags []string) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.dropped[everything].gen > gen {
		return false
	}
	for _, t := range tags {
		if l.dropped[t].gen > gen {
			return false
		}
	}
	return true
}

func (l *local) get(key string) ([]byte, bool) {
	e, ok := l.entries.GetIfPresent(key)
	if !ok {
		return nil, false
	}
	if !l.current(e.gen, e.tags) {
		l.entries.Invalidate(key)
		return nil, false
	}
	return e.body, true
}

// put stores body read at generation gen, unless a tag was invalidated
// since; it reports whether it stored.
func (l *local) put(key string, body []byte, gen uint64, tags []string) bool {
	if !l.current(gen, tags) {
		return false
	}
	l.entries.Set(key, &entry{body: body, gen: gen, tags: tags})
	return true
}

// invalidate drops every entry tagged with one of tags (all of them for
// "*"): their tags now carry a newer generation than any entry read
// before.
func (l *local) invalidate(tags []string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gen++
	for _, t := range tags {
		l.dropped[t] = drop{gen: l.gen, at: now}
	}
	// A tag dropped longer than the TTL ago can be forgotten: every entry
	// read before that drop has expired.
	if now.Sub(l.lastPrune) > l.ttl {
		for t, d := range l.dropped {
			if now.Sub(d.at) > l.ttl+time.Second {
				delete(l.dropped, t)
			}
		}
		l.lastPrune = now
	}
}

func (l *local) size() int { return l.entries.EstimatedSize() }

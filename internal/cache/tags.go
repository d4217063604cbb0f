package cache

import (
	"context"
	"sync"

	"github.com/google/uuid"
)

// Tags name what a cached response depends on and what a write changes.
const (
	// Catalogue is the set of public rows as a whole: which courses exist
	// and are published, and in which order lists show them. Every write
	// to a public table publishes it.
	Catalogue = "catalogue"
	// everything drops every entry; every entry depends on it.
	everything = "*"
)

// Course tags a course and everything that belongs to it.
func Course(id uuid.UUID) string { return "course:" + id.String() }

// User tags a user's public profile.
func User(id uuid.UUID) string { return "user:" + id.String() }

// Tag tags a tag (its name, its slug).
func Tag(id uuid.UUID) string { return "tag:" + id.String() }

// Tables are the tables whose rows anonymous callers can read; writes to
// them invalidate (see database.DB.Watch).
var Tables = []string{"courses", "sections", "lessons", "faq_entries", "reviews", "course_tags", "tags", "course_members", "users", "assets"}

// recorder collects what one response depends on while it is computed.
type recorder struct {
	mu        sync.Mutex
	tags      map[string]struct{}
	cacheable bool
	refused   bool
}

func (r *recorder) add(tags ...string) {
	r.mu.Lock()
	for _, t := range tags {
		r.tags[t] = struct{}{}
	}
	r.mu.Unlock()
}

// result returns the tags, or false when the response must not be stored.
func (r *recorder) result() ([]string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.cacheable || r.refused {
		return nil, false
	}
	tags := make([]string, 0, len(r.tags))
	for t := range r.tags {
		tags = append(tags, t)
	}
	return tags, true
}

type recorderKey struct{}

func recorderFrom(ctx context.Context) *recorder {
	r, _ := ctx.Value(recorderKey{}).(*recorder)
	return r
}

// Record adds tags to the response being computed in ctx, if it may be
// cached.
func Record(ctx context.Context, tags ...string) {
	if r := recorderFrom(ctx); r != nil {
		r.add(tags...)
	}
}

// Cacheable says that the response computed in ctx answers a query
// without errors; nothing else is stored.
func Cacheable(ctx context.Context) {
	if r := recorderFrom(ctx); r != nil {
		r.mu.Lock()
		r.cacheable = true
		r.mu.Unlock()
	}
}

// Refuse keeps the response computed in ctx out of the cache: it read
// something that is not public or that no tag tracks.
func Refuse(ctx context.Context) {
	if r := recorderFrom(ctx); r != nil {
		r.mu.Lock()
		r.refused = true
		r.mu.Unlock()
	}
}

type keyedKey struct{}

// Keyed marks the reads made with ctx as decided by keys their caller
// tracks: a lookup by ID or slug that records Catalogue itself when it
// finds nothing, or the children of rows already read (a child joining or
// leaving publishes its parent's tag). Other reads are tagged Catalogue.
func Keyed(ctx context.Context) context.Context {
	if recorderFrom(ctx) == nil {
		return ctx
	}
	return context.WithValue(ctx, keyedKey{}, true)
}

func keyed(ctx context.Context) bool {
	k, _ := ctx.Value(keyedKey{}).(bool)
	return k
}

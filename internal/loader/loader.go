// Package loader holds the per-request lookups that are not plain ent
// edges: nodes by global ID (a dataloader v7 batch loader), a course's
// staff and the caller's own relation to each course (memos that fetch
// for every course the request has read at the first lookup). A list of
// 20 courses asking for their instructors costs one query, not 20.
package loader

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"lectern/ent"
	"lectern/ent/coursemember"
)

// DefaultWait is how long a loader collects keys before it queries. Sibling
// resolvers call Load within microseconds of each other; the window only has
// to cover goroutine scheduling.
const DefaultWait = 2 * time.Millisecond

// Loaders are the lookups of one request. They cache for the request's
// lifetime only, so no caller ever sees another's data.
type Loaders struct {
	// Node batches nodes by global ID (node, nodes) within its window.
	Node        *dataloader.Loader[NodeKey, ent.Noder]
	staff       *memo[uuid.UUID, []*ent.CourseMember]
	enrollments *memo[uuid.UUID, *ent.Enrollment]
	roles       *memo[uuid.UUID, coursemember.Role]
	published   *memo[uuid.UUID, bool]
	lessons     *memo[uuid.UUID, *ent.Lesson]
	client      *ent.Client
}

// New returns fresh loaders reading through client; wait is the Node
// loader's batching window (DefaultWait when zero).
func New(client *ent.Client, wait time.Duration) *Loaders {
	if wait <= 0 {
		wait = DefaultWait
	}
	return &Loaders{
		Node:        dataloader.NewBatchedLoader(nodes(client), dataloader.WithWait[NodeKey, ent.Noder](wait)),
		staff:       newMemo(staff(client)),
		enrollments: newMemo(enrollments(client)),
		roles:       newMemo(roles(client)),
		published:   newMemo(published(client)),
		lessons:     newMemo(lessons(client)),
		client:      client,
	}
}

// Staff returns the teaching staff of a course (with their users'
// profiles), oldest membership first: its owner, and its instructors when
// the operation shows instructors. The first call fetches the staff of every
// course the request has read (see Intercept) in one query.
func (l *Loaders) Staff(ctx context.Context, courseID uuid.UUID) ([]*ent.CourseMember, error) {
	return l.staff.get(ctx, courseID)
}

// Enrollment returns the caller's enrolment in a course, in any status
// (cancelled ones included), or nil. The first call fetches the caller's
// enrolments in every course the request has read, in one query.
func (l *Loaders) Enrollment(ctx context.Context, courseID uuid.UUID) (*ent.Enrollment, error) {
	return l.enrollments.get(ctx, courseID)
}

// CourseRole returns the caller's role in a course ("OWNER",
// "INSTRUCTOR", "ASSISTANT"), or "" when the caller is not its staff. The
// first call fetches the caller's roles in every course the request has
// read, in one query.
func (l *Loaders) CourseRole(ctx context.Context, courseID uuid.UUID) (coursemember.Role, error) {
	return l.roles.get(ctx, courseID)
}

// CoursePublished reports whether a course is published, which decides
// whether its cover is public. The first call fetches the answer for every
// course the request has read, in one query.
func (l *Loaders) CoursePublished(ctx context.Context, courseID uuid.UUID) (bool, error) {
	return l.published.get(ctx, courseID)
}

// Lesson returns the lesson with id as the caller sees it (ID, course and
// access only), or nil when they cannot; each lesson costs one query per
// request, however many of its attachments ask.
func (l *Loaders) Lesson(ctx context.Context, id uuid.UUID) (*ent.Lesson, error) {
	return l.lessons.get(ctx, id)
}

// sawCourses announces courses the request has read.
func (l *Loaders) sawCourses(ids []uuid.UUID) {
	l.staff.expect(ids)
	l.enrollments.expect(ids)
	l.roles.expect(ids)
	l.published.expect(ids)
}

type ctxKey struct{}

// NewContext returns ctx carrying l.
func NewContext(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the request's loaders. Outside a request (jobs, CLI)
// it returns nil; callers must then query directly.
func FromContext(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	return l
}

// results builds the answer of a batch function from a lookup.
func results[K comparable, V any](keys []K, found map[K]V, err error) []*dataloader.Result[V] {
	out := make([]*dataloader.Result[V], len(keys))
	for i, k := range keys {
		if err != nil {
			out[i] = &dataloader.Result[V]{Error: err}
			continue
		}
		out[i] = &dataloader.Result[V]{Data: found[k]}
	}
	return out
}

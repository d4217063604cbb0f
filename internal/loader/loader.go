// Package loader holds the per-request batch loaders (dataloader v7) for
// lookups that are not plain ent edges: nodes by global ID, a course's staff,
// and the caller's own relation to each course. A list of 20 courses asking
// for their instructors costs one query, not 20.
package loader

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"lectern/ent"
)

// DefaultWait is how long a loader collects keys before it queries. Sibling
// resolvers call Load within microseconds of each other; the window only has
// to cover goroutine scheduling.
const DefaultWait = 2 * time.Millisecond

// Loaders are the batch loaders of one request. They cache for the request's
// lifetime only, so no caller ever sees another's data.
type Loaders struct {
	client *ent.Client
	Node   *dataloader.Loader[NodeKey, ent.Noder]
	Staff  *dataloader.Loader[uuid.UUID, []*ent.CourseMember]
	Viewer *dataloader.Loader[uuid.UUID, CourseRelation]
}

// New returns fresh loaders reading through client; wait is the batching
// window (DefaultWait when zero).
func New(client *ent.Client, wait time.Duration) *Loaders {
	if wait <= 0 {
		wait = DefaultWait
	}
	return &Loaders{
		client: client,
		Node:   dataloader.NewBatchedLoader(nodes(client), dataloader.WithWait[NodeKey, ent.Noder](wait)),
		Staff:  dataloader.NewBatchedLoader(staff(client), dataloader.WithWait[uuid.UUID, []*ent.CourseMember](wait)),
		Viewer: dataloader.NewBatchedLoader(relations(client), dataloader.WithWait[uuid.UUID, CourseRelation](wait)),
	}
}

// PrimeStaff loads the staff of courses in one query and primes the Staff
// loader with it. A resolver that returns a list of courses calls it, so the
// list costs one staff query however its field resolvers are scheduled,
// rather than relying on all of them calling Load within the batch window.
func (l *Loaders) PrimeStaff(ctx context.Context, courseIDs []uuid.UUID) error {
	if len(courseIDs) == 0 {
		return nil
	}
	res := staff(l.client)(ctx, courseIDs)
	for i, id := range courseIDs {
		if res[i].Error != nil {
			return res[i].Error
		}
		l.Staff.Prime(ctx, id, res[i].Data)
	}
	return nil
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

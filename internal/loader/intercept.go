package loader

import (
	"context"

	"github.com/google/uuid"

	"lectern/ent"
)

// Intercept announces every course a request reads (as a page, an edge or
// a node) to the request's loaders, so that the first lookup of a course's
// staff or of the caller's relation to it fetches them for all those
// courses at once. internal/database installs it on every client; outside
// a request (no loaders in the context) it does nothing.
func Intercept() ent.Interceptor {
	return ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			v, err := next.Query(ctx, q)
			if l := FromContext(ctx); l != nil && err == nil {
				if courses, ok := v.([]*ent.Course); ok && len(courses) > 0 {
					ids := make([]uuid.UUID, len(courses))
					for i, c := range courses {
						ids[i] = c.ID
					}
					l.sawCourses(ids)
				}
			}
			return v, err
		})
	})
}

package schema

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"lectern/ent/intercept"
)

// inPositionOrder makes every row-returning query of a positioned type
// (sections, lessons, FAQ entries) come back in position order, so course
// pages read in order however they were loaded (eager loading selects only
// the columns a client asked for, so sorting in Go could not rely on the
// position being there). These types are listed, never paginated; a
// paginated query would bring its own order.
func inPositionOrder() ent.Interceptor {
	return inOrder("position", "id")
}

// inOrder makes every row-returning query of a type come back sorted by
// columns, ascending.
func inOrder(columns ...string) ent.Interceptor {
	return intercept.Func(func(ctx context.Context, q intercept.Query) error {
		switch qc := ent.QueryFromContext(ctx); {
		case qc == nil:
		case qc.Op == ent.OpQueryAll, qc.Op == ent.OpQueryFirst, qc.Op == ent.OpQueryOnly:
			q.Order(func(s *sql.Selector) {
				for _, c := range columns {
					s.OrderBy(s.C(c))
				}
			})
		}
		return nil
	})
}

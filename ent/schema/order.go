package schema

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"lectern/ent/intercept"
)

// inPositionOrder makes every row-returning query of a positioned type
// (sections, lessons, FAQ entries) come back in position order within its
// parent, so course pages read in order however they were loaded (eager
// loading selects only the columns a client asked for, so sorting in Go
// could not rely on the position being there). parent is the column of
// the parent the positions count in: ordering by it first follows the
// (parent, position) index that finds the rows of a page's parents, so
// the database reads them in order instead of sorting them (positions of
// different parents have no order between them). These types are
// listed, never paginated; a paginated query would bring its own order.
func inPositionOrder(parent string) ent.Interceptor {
	return inOrder(parent, "position", "id")
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

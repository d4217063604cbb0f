package loader

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/enrollment"
	"lectern/internal/viewer"
)

// enrollmentFields are the fields whose resolvers look up the caller's
// enrolment in their course (Enrollment): the course's viewerEnrollment,
// and a lesson's body, lock reason and attachments, which are open to the
// course's learners.
var enrollmentFields = map[string]bool{"viewerEnrollment": true, "body": true, "lockedReason": true, "attachments": true}

// viewerEnrollment prefixes the enrolment columns a course query selects
// beside the course's own (JoinViewerEnrollment).
const viewerEnrollment = "viewer_e_"

// JoinViewerEnrollment makes q, a query of courses, read the caller's
// enrolment in each course with it, when the field being resolved will
// look it up (it selects one of enrollmentFields, at any depth) and the
// caller is signed in: a LEFT JOIN on the enrolments' (user_id, course_id)
// unique key, holding the caller's own rows only, which their row rule
// shows every signed-in caller. Call the function it returns with the
// courses q found: it hands each one's enrolment, or its lack of one, to
// the request's loaders, so that looking it up costs no statement of its
// own. A learner's course page is one statement shorter. It returns nil,
// and leaves q alone, when there is nothing to join.
//
// On PostgreSQL only: there a statement is a round trip to the server. On
// SQLite it is a call into the library, costing about what the join
// would; and the SQLite driver reports no type for a NULL in a column an
// entity does not own, which ent's scanning of such columns needs.
func (l *Loaders) JoinViewerEnrollment(ctx context.Context, q *ent.CourseQuery) func(...*ent.Course) error {
	v, ok := viewer.FromContext(ctx)
	if l == nil || !ok || v.IsSystem() || !graphql.HasOperationContext(ctx) {
		return nil
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !selects(graphql.GetOperationContext(ctx), fc.Field.Selections, enrollmentFields, 0) {
		return nil
	}
	q.Modify(func(s *sql.Selector) {
		if s.Dialect() != dialect.Postgres {
			return
		}
		e := sql.Table(enrollment.Table).As("viewer_e")
		s.LeftJoin(e).OnP(sql.And(
			sql.ColumnsEQ(s.C(course.FieldID), e.C(enrollment.FieldCourseID)),
			sql.EQ(e.C(enrollment.FieldUserID), v.UserID),
		))
		for _, c := range enrollment.Columns {
			s.AppendSelectAs(e.C(c), viewerEnrollment+c)
		}
	})
	return func(courses ...*ent.Course) error {
		for _, c := range courses {
			if _, err := c.Value(viewerEnrollment + enrollment.FieldID); err != nil {
				return nil // not joined: the lookup fetches as usual
			}
			e, err := l.client.Enrollment.FromValues(viewerEnrollment, c)
			if err != nil {
				return fmt.Errorf("caller's enrolment: %w", err)
			}
			l.enrollments.put(c.ID, e)
		}
		return nil
	}
}

// selects reports whether sel (fragments expanded) selects one of names at
// any depth.
func selects(oc *graphql.OperationContext, sel ast.SelectionSet, names map[string]bool, depth int) bool {
	if depth > maxWalkDepth {
		return false
	}
	for _, f := range graphql.CollectFields(oc, sel, nil) {
		if names[f.Name] || selects(oc, f.Selections, names, depth+1) {
			return true
		}
	}
	return false
}

package schema

import (
	"context"
	"fmt"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"lectern/ent/intercept"
	"lectern/internal/viewer"
)

// Row visibility is enforced here, in the data model, rather than in
// resolvers: every query ent runs for a type (top-level, node lookups,
// eager-loaded edges, counts) passes through its interceptor, so a draft
// cannot leak through a path nobody thought of. Operation-level decisions
// (who may call what) live in internal/access; this only decides which rows
// exist for the caller.

// rule returns the predicate limiting rows of one table for the viewer v;
// nil means every row is visible. anonymous is true when nobody is signed in.
type rule func(v viewer.Viewer, anonymous bool) func(*sql.Selector)

// visibleTo turns a rule into an interceptor. The system viewer sees all.
func visibleTo(r rule) ent.Interceptor {
	return ent.TraverseFunc(func(ctx context.Context, q ent.Query) error {
		v, ok := viewer.FromContext(ctx)
		if ok && v.IsSystem() {
			return nil
		}
		p := r(v, !ok)
		if p == nil {
			return nil
		}
		w, err := intercept.NewQuery(q)
		if err != nil {
			return fmt.Errorf("visibility: %w", err)
		}
		w.WhereP(p)
		return nil
	})
}

// visibleCourses selects the IDs of the courses v may see: published ones,
// plus, for a signed-in user, the courses they are staff of; admins see all.
func visibleCourses(v viewer.Viewer, anonymous bool) *sql.Selector {
	c := sql.Table("courses").As("vis_c")
	s := sql.Select(c.C("id")).From(c)
	published := sql.EQ(c.C("status"), "PUBLISHED")
	switch {
	case anonymous:
		return s.Where(published)
	case v.IsAdmin():
		return s
	}
	return s.Where(sql.Or(published, sql.In(c.C("id"), staffCourses(v))))
}

// staffCourses selects the IDs of the courses where v holds a course role.
func staffCourses(v viewer.Viewer) *sql.Selector {
	m := sql.Table("course_members").As("vis_m")
	return sql.Select(m.C("course_id")).From(m).Where(sql.EQ(m.C("user_id"), v.UserID))
}

// courseRule: drafts and archived courses are visible to their staff and
// admins only. The predicate is on the row's own status (not an IN over
// visibleCourses) so the (status, sort key) indexes serve the catalogue's
// ordered pages; measured on PostgreSQL with 5,000 courses, the subquery
// form sorted the whole table (17 ms) where this reads 21 index entries.
func courseRule(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	if !anonymous && v.IsAdmin() {
		return nil
	}
	return func(s *sql.Selector) {
		published := sql.EQ(s.C("status"), "PUBLISHED")
		if anonymous {
			s.Where(published)
			return
		}
		s.Where(sql.Or(published, sql.In(s.C("id"), staffCourses(v))))
	}
}

// inVisibleCourse hides rows that belong to a course the viewer cannot see.
func inVisibleCourse(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	if !anonymous && v.IsAdmin() {
		return nil
	}
	return func(s *sql.Selector) {
		s.Where(sql.In(s.C("course_id"), visibleCourses(v, anonymous)))
	}
}

// lessonRule: draft lessons are visible to course staff and admins only.
func lessonRule(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	if !anonymous && v.IsAdmin() {
		return nil
	}
	return func(s *sql.Selector) {
		s.Where(sql.In(s.C("course_id"), visibleCourses(v, anonymous)))
		published := sql.EQ(s.C("status"), "PUBLISHED")
		if anonymous {
			s.Where(published)
			return
		}
		s.Where(sql.Or(published, sql.In(s.C("course_id"), staffCourses(v))))
	}
}

// ownRule: enrolments are private to their learner (and admins).
func ownRule(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	if !anonymous && v.IsAdmin() {
		return nil
	}
	return func(s *sql.Selector) {
		if anonymous {
			s.Where(sql.False())
			return
		}
		s.Where(sql.EQ(s.C("user_id"), v.UserID))
	}
}

// ownProgressRule: progress rows follow their enrolment.
func ownProgressRule(v viewer.Viewer, anonymous bool) func(*sql.Selector) {
	if !anonymous && v.IsAdmin() {
		return nil
	}
	return func(s *sql.Selector) {
		if anonymous {
			s.Where(sql.False())
			return
		}
		e := sql.Table("enrollments").As("vis_e")
		own := sql.Select(e.C("id")).From(e).Where(sql.EQ(e.C("user_id"), v.UserID))
		s.Where(sql.In(s.C("enrollment_id"), own))
	}
}

package catalog

import (
	"context"
	"slices"
	"strings"

	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/lesson"
)

// ent reads only the columns a GraphQL selection asks for, but only while
// every selected field is one it knows: a field resolved by hand (a
// course's owner, say) makes it read every column, a catalogue page of
// titles then carrying each course's description and lists. selectCourse
// restores the pruning for the course fields Lectern resolves by hand.

// courseByHand are Course's hand-resolved fields; each needs only the
// course's ID, which every query reads.
var courseByHand = map[string]bool{"owner": true, "instructors": true, "viewerEnrollment": true}

// courseEdges are Course's ent edges in the schema: ent loads them itself,
// and adds the one column of the course row an edge needs (cover_id).
var courseEdges = map[string]bool{"sections": true, "faq": true, "tags": true, "reviews": true, "cover": true}

// selectCourse makes q read only the columns that the selection at path
// (below the field being resolved) needs, when that selection holds a
// hand-resolved field. It leaves q alone when ent prunes by itself (no
// such field) and when the selection holds a field it does not know, so
// a field added to the schema is never left without its column.
func selectCourse(ctx context.Context, q *ent.CourseQuery, path ...string) {
	if cols := selectedColumns(ctx, path, []string{"Course", "Node"}, course.Columns, courseEdges, courseByHand); cols != nil {
		q.Select(cols...)
	}
}

// selectedColumns maps the fields selected at path to columns (a field is
// its column's name in camel case); nil when none of them is byHand or one
// of them is neither a column, an edge nor byHand.
func selectedColumns(ctx context.Context, path, satisfies, columns []string, edges, byHand map[string]bool) []string {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil
	}
	oc := graphql.GetOperationContext(ctx)
	sets := []ast.SelectionSet{fc.Field.Selections}
	for _, name := range path {
		sets = below(oc, sets, name)
	}
	byName := make(map[string]string, len(columns))
	for _, c := range columns {
		byName[camel(c)] = c
	}
	var (
		cols   []string
		seen   = map[string]bool{}
		manual bool
	)
	for _, set := range sets {
		for _, f := range graphql.CollectFields(oc, set, satisfies) {
			col, isColumn := byName[f.Name]
			switch {
			case isColumn:
				if !seen[col] {
					seen[col] = true
					cols = append(cols, col)
				}
			case byHand[f.Name]:
				manual = true
			case edges[f.Name], f.Name == "__typename":
			default:
				return nil
			}
		}
	}
	if !manual {
		return nil
	}
	if !seen[columns[0]] {
		cols = append([]string{columns[0]}, cols...)
	}
	return cols
}

// below returns the selection sets of every field named name in sets
// (aliases included: a client may ask for the same field twice).
func below(oc *graphql.OperationContext, sets []ast.SelectionSet, name string) []ast.SelectionSet {
	var out []ast.SelectionSet
	for _, set := range sets {
		for _, f := range graphql.CollectFields(oc, set, nil) {
			if f.Name == name {
				out = append(out, f.Selections)
			}
		}
	}
	return out
}

// camel turns a column name into its GraphQL field name: published_at is
// publishedAt.
func camel(column string) string {
	parts := strings.Split(column, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// A lesson's hand-resolved fields (body, lockedReason) switch the pruning
// off for every lesson below a course: a course page that only marks which
// lessons are locked would read every body. A catalogue read names instead
// the lesson columns its whole selection needs (withLessonColumns), and
// PruneLessons, which internal/database installs on every client, makes
// the lesson queries of that read that would read every column read those.

// lessonByHand maps Lesson's hand-resolved fields to the columns they need:
// internal/access decides on the lesson's access and course.
var lessonByHand = map[string][]string{
	"body":         {lesson.FieldBody, lesson.FieldAccess, lesson.FieldCourseID},
	"lockedReason": {lesson.FieldAccess, lesson.FieldCourseID},
}

// lessonEdges are Lesson's ent edges in the schema, loaded through the keys
// that every pruned lesson query reads.
var lessonEdges = map[string]bool{"course": true, "section": true, "attachments": true}

// lessonKeys are read by every pruned lesson query: its ID, and the keys
// that ent's edges, the response cache and the body's access rule use.
var lessonKeys = []string{lesson.FieldID, lesson.FieldCourseID, lesson.FieldSectionID}

type lessonColumnsKey struct{}

// withLessonColumns returns ctx naming the lesson columns that the
// selection below the field being resolved needs (lessonColumns), when it
// can name them.
func withLessonColumns(ctx context.Context) context.Context {
	if cols := lessonColumns(ctx); cols != nil {
		return context.WithValue(ctx, lessonColumnsKey{}, cols)
	}
	return ctx
}

// PruneLessons makes a lesson query that reads every column read only the
// ones its context names (withLessonColumns). Queries that name their
// columns, counts and queries outside a catalogue read are left alone.
// (It looks at the statement rather than at the query: an eager-loaded
// query's context describes the query at the root of the read.)
func PruneLessons() ent.Interceptor {
	return ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			cols, _ := ctx.Value(lessonColumnsKey{}).([]string)
			if lq, ok := q.(*ent.LessonQuery); ok && cols != nil {
				lq.Modify(func(s *sql.Selector) {
					if len(s.SelectedColumns()) == len(lesson.Columns) {
						s.Select(s.Columns(cols...)...)
					}
				})
			}
			return next.Query(ctx, q)
		})
	})
}

// lessonColumns returns the columns that every lesson selected below the
// field being resolved needs, through any path, fragment or alias: the
// union over those selections, with lessonKeys. It returns nil when no
// lesson is selected, and when a selection holds a field it cannot map to
// columns (one added to the schema, say), so that such a field is never
// left without its data.
func lessonColumns(ctx context.Context) []string {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil
	}
	byName := make(map[string]string, len(lesson.Columns))
	for _, c := range lesson.Columns {
		byName[camel(c)] = c
	}
	cols := slices.Clone(lessonKeys)
	add := func(more ...string) {
		for _, c := range more {
			if !slices.Contains(cols, c) {
				cols = append(cols, c)
			}
		}
	}
	selected := false
	known := eachField(fc.Field.Selections, func(f *ast.Field) bool {
		parent := f.ObjectDefinition
		switch {
		case parent == nil:
			return false
		case parent.Kind != ast.Object:
			// A field of an interface or union: Node's id, or __typename.
			return f.Name == "id" || f.Name == "__typename"
		case parent.Name != "Lesson":
			return true
		}
		selected = true
		if need, ok := lessonByHand[f.Name]; ok {
			add(need...)
			return true
		}
		if col, ok := byName[f.Name]; ok {
			add(col)
			return true
		}
		return lessonEdges[f.Name] || f.Name == "__typename"
	})
	if !known || !selected {
		return nil
	}
	return cols
}

// eachField calls visit with every field of set and of the selections
// below it, fragments included (whatever their type condition or
// directives: the union can only be wider than what runs), and reports
// whether every call returned true; it stops at the first false.
func eachField(set ast.SelectionSet, visit func(*ast.Field) bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if !visit(s) || !eachField(s.SelectionSet, visit) {
				return false
			}
		case *ast.InlineFragment:
			if !eachField(s.SelectionSet, visit) {
				return false
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || !eachField(s.Definition.SelectionSet, visit) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

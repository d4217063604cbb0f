package catalog

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"lectern/ent"
	"lectern/ent/course"
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

package catalog

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// columnsSchema has the shapes lessonColumns walks: Lesson's columns, its
// hand-resolved fields and edges, an interface and a field with no column.
const columnsSchema = `
interface Node { id: ID! }
interface Titled { title: String! }
type Query { course: Course, lesson: Lesson }
type Course implements Node { id: ID! title: String! sections: [Section!]! }
type Section implements Node { id: ID! title: String! lessons: [Lesson!]! }
type Lesson implements Node & Titled {
  id: ID! title: String! slug: String! position: Int! createdAt: String!
  body: String lockedReason: String course: Course! section: Section!
  wordCount: Int!
}`

// lessonColumnsOf returns lessonColumns for the root field of query.
func lessonColumnsOf(t *testing.T, query string) []string {
	t.Helper()
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "schema", Input: columnsSchema})
	if err != nil {
		t.Fatal(err)
	}
	doc, errs := gqlparser.LoadQuery(schema, query)
	if errs != nil {
		t.Fatalf("%s: %v", query, errs)
	}
	op := doc.Operations[0]
	root := op.SelectionSet[0].(*ast.Field)
	ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{RawQuery: query, Doc: doc, Operation: op})
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: root, Selections: root.SelectionSet}})
	return lessonColumns(ctx)
}

func TestLessonColumns(t *testing.T) {
	keys := "id course_id section_id"
	for _, tc := range []struct {
		name, query string
		want        []string // nil: every column is read
	}{
		{"Columns", `{ course { sections { lessons { title slug } } } }`, cols(keys, "title slug")},
		{"BodyNeedsItsRule", `{ course { sections { lessons { body } } } }`, cols(keys, "body access")},
		{"LockedReasonNeedsNoBody", `{ course { sections { lessons { lockedReason } } } }`, cols(keys, "access")},
		{"Edges", `{ course { sections { lessons { course { title } section { id } } } } }`, cols(keys, "")},
		{"RootLesson", `{ lesson { createdAt body } }`, cols(keys, "created_at body access")},
		{"AliasesAreJoined", `{ course { sections { a: lessons { position } b: lessons { title } } } }`, cols(keys, "position title")},
		{"FragmentsAreFollowed", `{ course { sections { lessons { ...N } } } } fragment N on Node { id __typename ... on Lesson { ...L } } fragment L on Lesson { body }`,
			cols(keys, "body access")},
		{"SkippedFieldsCount", `{ course { sections { lessons { title slug @skip(if: true) } } } }`, cols(keys, "title slug")},
		{"NoLesson", `{ course { title sections { title } } }`, nil},
		{"UnknownField", `{ course { sections { lessons { title wordCount } } } }`, nil},
		{"UnknownFieldBelowAnEdge", `{ course { sections { lessons { section { lessons { wordCount } } } } } }`, nil},
		{"InterfaceField", `{ course { sections { lessons { ... on Titled { title } } } } }`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := lessonColumnsOf(t, tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("%s\ngot  %q\nwant %q", tc.query, got, tc.want)
			}
		})
	}
}

// cols joins space-separated column lists.
func cols(lists ...string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, strings.Fields(l)...)
	}
	return out
}

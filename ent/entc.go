//go:build ignore

// entc.go generates the ent client, the GraphQL schema for ent types
// (graph/ent.graphqls) and the gqlgen glue. Run through `go generate ./...`.
package main

import (
	"fmt"
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../graph/ent.graphqls"),
		entgql.WithWhereInputs(false),
		entgql.WithRelaySpec(true),
		entgql.WithSchemaHook(newestReviewsFirst, nonNullLists, describeTypes),
	)
	if err != nil {
		log.Fatalf("entgql extension: %v", err)
	}
	cfg := &gen.Config{
		Features: []gen.Feature{
			gen.FeatureVersionedMigration,
			gen.FeatureIntercept,
			gen.FeatureModifier,
			gen.FeatureExecQuery,
		},
		Templates: []*gen.Template{
			gen.MustParse(gen.NewTemplate("globalid").Funcs(entgql.TemplateFuncs).ParseFiles("template/globalid.tmpl")),
			gen.MustParse(gen.NewTemplate("joined").ParseFiles("template/joined.tmpl")),
		},
	}
	if err := entc.Generate("./schema", cfg, entc.Extensions(ex)); err != nil {
		log.Fatalf("ent codegen: %v", err)
	}
}

// newestReviewsFirst gives Course.reviews a default order, so a client that
// asks for "the first 10 reviews" gets the newest ones rather than an
// arbitrary (UUID) order. Defaults in the schema are visible to clients and
// apply to eager loading as well as to the resolver.
func newestReviewsFirst(_ *gen.Graph, s *ast.Schema) error {
	course := s.Types["Course"]
	if course == nil {
		return fmt.Errorf("schema hook: no Course type")
	}
	reviews := course.Fields.ForName("reviews")
	if reviews == nil {
		return fmt.Errorf("schema hook: no Course.reviews field")
	}
	orderBy := reviews.Arguments.ForName("orderBy")
	if orderBy == nil {
		return fmt.Errorf("schema hook: no Course.reviews(orderBy:) argument")
	}
	orderBy.DefaultValue = &ast.Value{Kind: ast.ObjectValue, Children: ast.ChildValueList{
		{Name: "field", Value: &ast.Value{Kind: ast.EnumValue, Raw: "CREATED_AT"}},
		{Name: "direction", Value: &ast.Value{Kind: ast.EnumValue, Raw: "DESC"}},
	}}
	return nil
}

// nonNullLists makes edge lists non-null ([Section!]!): an object with no
// sections has an empty list, never null, and typed clients should not have
// to handle a null that cannot happen.
func nonNullLists(_ *gen.Graph, s *ast.Schema) error {
	for _, def := range s.Types {
		if def.Kind != ast.Object {
			continue
		}
		for _, f := range def.Fields {
			if f.Type.Elem != nil && !f.Type.NonNull {
				f.Type = ast.NonNullListType(f.Type.Elem, f.Type.Position)
			}
		}
	}
	return nil
}

// typeDocs describe the GraphQL types generated from ent/schema, for
// GraphiQL and typed clients (fields are described by their schema
// comments).
var typeDocs = map[string]string{
	"Course":           "A course: ordered sections of article-style lessons, an FAQ and tags. Anonymous callers see published courses only.",
	"Section":          "A titled group of lessons within a course, in position order.",
	"Lesson":           "An article-style lesson. Its body may be reserved for enrolled learners (see `access` and `lockedReason`).",
	"FAQEntry":         "A question and answer shown on a course page.",
	"Tag":              "A topic label; a course carries at most ten.",
	"User":             "A person's public profile.",
	"Review":           "A learner's rating (1 to 5) and comment on a course; one per learner and course.",
	"Enrollment":       "A learner's enrolment in a course. Visible only to that learner.",
	"LessonProgress":   "A lesson completed within an enrolment.",
	"CourseLevel":      "How much a learner should already know.",
	"CourseStatus":     "Where a course is in its life: DRAFT (being written, visible to its staff only), PUBLISHED (in the catalogue), ARCHIVED (withdrawn from the catalogue).",
	"LessonStatus":     "DRAFT lessons are visible to course staff only; PUBLISHED lessons to everyone who can see the course.",
	"LessonAccess":     "Who may read a lesson's body: PUBLIC (anyone) or ENROLLED (enrolled learners and course staff).",
	"AuditEvent":       "A security-relevant action: who did what to which object, from where, in which request. Administrators only.",
	"EnrollmentStatus": "ACTIVE while learning, COMPLETED when every published lesson is done, CANCELLED after unenrolling.",
	"Export":           "A file a user asked for (requestExport), written by a background job. Visible only to the user who asked for it.",
	"ExportKind":       "What an export holds: COURSE_LEARNERS_CSV (a course's enrolments, for its staff) or MY_DATA_JSON (everything Lectern holds about the caller).",
	"ExportStatus":     "QUEUED until a worker starts it, RUNNING while rows are written, then SUCCEEDED (the file can be fetched until expiresAt) or FAILED; EXPIRED once the file is deleted.",
}

func describeTypes(_ *gen.Graph, s *ast.Schema) error {
	for name, doc := range typeDocs {
		def := s.Types[name]
		if def == nil {
			return fmt.Errorf("schema hook: no type %s to describe", name)
		}
		def.Description = doc
	}
	return nil
}

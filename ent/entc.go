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
		entgql.WithSchemaHook(newestReviewsFirst, nonNullLists),
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

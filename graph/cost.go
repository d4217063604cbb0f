package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// RootFieldCost is what every root field adds to a document's cost: each
// one runs at least one statement of its own, so a document of aliased
// cheap lookups (`a1: node(id:) … a500: node(id:)`) is as costly as what
// it makes the database do.
const RootFieldCost = 100

// costed prices every field by one rule instead of a function per field:
//   - a root field (Query, Mutation) costs RootFieldCost, any other 1;
//   - a connection multiplies its selection by its page size, and nodes(ids:)
//     by the number of IDs;
//   - everything else adds its selection once.
type costed struct{ graphql.ExecutableSchema }

func (c costed) Complexity(_ context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	base := 1
	if (typeName == "Query" || typeName == "Mutation") && !isIntrospection(field) {
		base = RootFieldCost
	}
	return base + multiplier(c.Schema().Types[typeName].Fields.ForName(field), args)*child, true
}

// multiplier is how many times a field repeats its selection at most.
func multiplier(def *ast.FieldDefinition, args map[string]any) int {
	switch {
	case isConnection(def):
		n := DefaultPageSize
		for _, name := range []string{"first", "last"} {
			if v, ok := toInt(args[name]); ok {
				n = int(v)
			}
		}
		return n
	case def != nil && def.Name == "nodes":
		ids, _ := args["ids"].([]any)
		return len(ids)
	}
	return 1
}

package graph_test

import (
	"testing"

	"lectern/internal/database"
	"lectern/internal/testenv"
)

// introspection is the full introspection query that GraphiQL and client
// generators send; its type references nest far deeper than data queries.
const introspection = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}`

func TestIntrospection(t *testing.T) {
	t.Run("FullQueryPassesTheLimits", func(t *testing.T) {
		c := testenv.NewClient(t, testenv.Open(t, database.SQLite))
		var out struct {
			Schema struct {
				QueryType struct{ Name string }
				Types     []struct{ Name string }
			} `json:"__schema"`
		}
		c.Query(introspection, nil).Decode(t, &out)
		if out.Schema.QueryType.Name != "Query" || len(out.Schema.Types) < 20 {
			t.Fatalf("unexpected schema: %+v", out.Schema.QueryType)
		}
	})
}

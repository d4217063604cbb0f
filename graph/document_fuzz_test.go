package graph_test

import (
	"strings"
	"testing"

	"lectern/graph"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

// FuzzDocument posts arbitrary documents: whatever a client sends, the
// answer is JSON with data or documented request errors, never INTERNAL,
// never more than graph.MaxErrors errors, and a refusal before validation
// runs no SQL statement.
func FuzzDocument(f *testing.F) {
	for _, seed := range []string{
		"", "{", "{ __typename }", "{ courses { totalCount } }", catalogueDoc, courseDetailDoc,
		"{ a: __typename b: __typename }", "{ ...F } fragment F on Query { ...F }",
		"query($v: String) { course(slug: $v) { id } }", `{ course(slug: "\u0000") { id } }`,
		`{ course(slug: "\ud800") { id } }`, `{ node(id: """x""") { id } }`, "{ __typename @skip(if: true) @include(if: false) }",
		"{ " + strings.Repeat("__typename ", 300) + "}", "{ courses(first: 0) { " + strings.Repeat("totalCount ", 50) + "} }",
	} {
		f.Add(seed)
	}
	c := testenv.NewClient(f, testenv.Seeded(f, testenv.Open(f, database.SQLite)))
	f.Fuzz(func(t *testing.T, doc string) {
		r := c.For(t).Query(doc, nil)
		if len(r.Errors) > graph.MaxErrors {
			t.Fatalf("%d errors, more than %d", len(r.Errors), graph.MaxErrors)
		}
		for _, e := range r.Errors {
			switch e.Extensions.Code {
			case "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "QUERY_TOO_COMPLEX", "BAD_USER_INPUT":
			default:
				t.Fatalf("document %q: error %+v", doc, e)
			}
			if e.Extensions.Code == "QUERY_TOO_COMPLEX" && r.Extensions.Debug.SQLQueryCount != 0 {
				t.Fatalf("document %q: refused after %d statements", doc, r.Extensions.Debug.SQLQueryCount)
			}
		}
	})
}

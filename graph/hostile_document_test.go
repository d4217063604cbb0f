package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"lectern/graph"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

// hostileDoc is a document built to make the server work before any of
// its own limits run, and the code it must be refused with.
type hostileDoc struct {
	name  string
	query string
	vars  map[string]any
	code  string
}

// repeat joins n copies of s made by f(i).
func repeat(n int, f func(i int) string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(f(i))
		b.WriteByte(' ')
	}
	return b.String()
}

// fillBody repeats unit until the query reaches about size bytes.
func fillBody(unit string, size int) string {
	return "{ " + strings.Repeat(unit+" ", size/(len(unit)+1)) + "}"
}

// hostileDocs are refused before validation, whatever their size up to
// the body limit (1 MiB by default; the bodies below stay just under it).
func hostileDocs() []hostileDoc {
	const nearBodyLimit = 1<<20 - 4096
	fanOut := repeat(14, func(i int) string {
		return fmt.Sprintf("fragment F%d on Query { a { ...F%d } b { ...F%d } }", i, i+1, i+1)
	}) + "fragment F14 on Query { __typename }"
	return []hostileDoc{
		// Validation compares every pair of same-named fields.
		{"SameFieldThousandsOfTimes", "{ " + strings.Repeat("__typename ", 4000) + "}", nil, "QUERY_TOO_COMPLEX"},
		{"SameFieldUpToTheBodyLimit", fillBody("__typename", nearBodyLimit), nil, "QUERY_TOO_COMPLEX"},
		{"DistinctFieldsInOneSet", "{ " + repeat(201, func(i int) string { return fmt.Sprintf("f%d", i) }) + "}", nil, "QUERY_TOO_COMPLEX"},
		{"SameFieldThroughFragments", "{ ...A ...B } fragment A on Query { " + strings.Repeat("__typename ", 150) + "} fragment B on Query { " + strings.Repeat("__typename ", 150) + "}", nil, "QUERY_TOO_COMPLEX"},
		{"NestedRepeats", "{ " + strings.Repeat("courses { totalCount } ", 100) + "}", nil, "QUERY_TOO_COMPLEX"},
		{"FragmentFanOut", "{ ...F0 } " + fanOut, nil, "QUERY_TOO_COMPLEX"},
		// Every mistake would become an error in the response.
		{"RepeatedUnknownDirective", "{ __typename" + strings.Repeat(" @nope", 6) + " }", nil, "QUERY_TOO_COMPLEX"},
		{"UnknownDirectivesUpToTheBodyLimit", fillBody("__typename @nope", nearBodyLimit), nil, "QUERY_TOO_COMPLEX"},
		{"UnusedVariables", "query Q(" + repeat(51, func(i int) string { return fmt.Sprintf("$v%d: Int", i) }) + ") { __typename }", nil, "QUERY_TOO_COMPLEX"},
		{"UnusedVariablesUpToTheBodyLimit", "query Q(" + strings.Repeat("$v: Int ", nearBodyLimit/8) + ") { __typename }", nil, "QUERY_TOO_COMPLEX"},
		// Aliases multiply cheap root fields past every per-field cap.
		{"AliasedLookups", "{ " + repeat(31, func(i int) string { return fmt.Sprintf(`c%d: course(slug: "c%d") { id }`, i, i) }) + "}", nil, "QUERY_TOO_COMPLEX"},
		{"AliasedCounts", "{ " + repeat(31, func(i int) string { return fmt.Sprintf(`c%d: courses(first: 0) { totalCount }`, i) }) + "}", nil, "QUERY_TOO_COMPLEX"},
		// A long string would reach the database as a parameter.
		{"LongLiteralSlug", fmt.Sprintf(`{ course(slug: %q) { id } }`, strings.Repeat("a", 900_000)), nil, "BAD_USER_INPUT"},
		{"LongVariableSearch", `query Q($s: String) { courses(where: {search: $s}) { totalCount } }`, map[string]any{"s": strings.Repeat("é", 400_000)}, "BAD_USER_INPUT"},
		{"LongNodeID", `query Q($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": strings.Repeat("A", 900_000)}, "BAD_USER_INPUT"},
	}
}

func TestHostileDocuments(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		c := testenv.NewClient(t, testenv.Seeded(t, db))
		for _, d := range hostileDocs() {
			t.Run(d.name, func(t *testing.T) {
				t.Parallel()
				if len(d.query) > 1<<20 {
					t.Fatalf("document of %d bytes is over the body limit", len(d.query))
				}
				r := c.For(t).Query(d.query, d.vars)
				if r.Status != http.StatusOK {
					t.Fatalf("status %d, want 200", r.Status)
				}
				requireErrorCode(t, r, d.code)
				if len(r.Errors) != 1 {
					t.Errorf("%d errors, want 1", len(r.Errors))
				}
				if got := r.Extensions.Debug.SQLQueryCount; got != 0 {
					t.Errorf("ran %d SQL statements before refusing:%s", got, statementSummary(r))
				}
				if r.Size > 2048 {
					t.Errorf("answer of %d bytes, want a short refusal", r.Size)
				}
			})
		}
	})
}

// TestErrorsPerResponse: a document within the bounds that is wrong in many
// places answers with the first MaxErrors errors and the count of the rest.
func TestErrorsPerResponse(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		c := testenv.NewClient(t, db)
		doc := "{ " + repeat(200, func(i int) string { return fmt.Sprintf("f%d @nope", i) }) + "}"
		r := c.Query(doc, nil)
		requireErrorCode(t, r, "GRAPHQL_VALIDATION_FAILED")
		if len(r.Errors) != graph.MaxErrors {
			t.Fatalf("%d errors, want %d", len(r.Errors), graph.MaxErrors)
		}
		if r.Size > 16<<10 {
			t.Errorf("answer of %d bytes for a document of %d", r.Size, len(doc))
		}
		if got := r.Extensions.ErrorsOmitted; got != 400-graph.MaxErrors {
			t.Errorf("errorsOmitted = %d, want %d (200 unknown fields and 200 unknown directives)", got, 400-graph.MaxErrors)
		}
	})
}

// TestRepeatedLookupsShareOneStatement: aliases of one lookup with the same
// arguments and selections run once.
func TestRepeatedLookupsShareOneStatement(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		testenv.Seeded(t, db)
		c := testenv.NewClient(t, db)
		id := courseGlobalID(t, db, graphqlCourse)
		for _, tc := range []struct {
			name, field string
		}{
			{"Node", fmt.Sprintf(`node(id: %q) { id ... on Course { title } }`, id)},
			{"CourseBySlug", fmt.Sprintf(`course(slug: %q) { title }`, graphqlCourse)},
			{"CountOnly", `courses(first: 0) { totalCount }`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				once := c.For(t).Query("{ a0: "+tc.field+" }", nil)
				requireNoErrors(t, once)
				many := c.For(t).Query("{ "+repeat(30, func(i int) string { return fmt.Sprintf("a%d: %s", i, tc.field) })+"}", nil)
				requireNoErrors(t, many)
				if got, want := many.Extensions.Debug.SQLQueryCount, once.Extensions.Debug.SQLQueryCount; got != want {
					t.Errorf("30 identical lookups ran %d statements, one runs %d:%s", got, want, statementSummary(many))
				}
				var answers map[string]json.RawMessage
				if err := json.Unmarshal(many.Data, &answers); err != nil {
					t.Fatal(err)
				}
				var first map[string]json.RawMessage
				_ = json.Unmarshal(once.Data, &first)
				for name, a := range answers {
					if !bytes.Equal(a, first["a0"]) {
						t.Errorf("%s = %s, want %s", name, a, first["a0"])
					}
				}
			})
		}
	})
}

// TestRootFieldsCost: each root field adds RootFieldCost, so the cost
// limit bounds what aliases make the database do.
func TestRootFieldsCost(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		c := testenv.NewClient(t, db)
		// 30 aliased pages of 60 courses: each alias is
		// under the limit, together they are not.
		doc := "{ " + repeat(30, func(i int) string {
			return fmt.Sprintf("a%d: courses(first: 3, where: {search: \"q%d\"}) { edges { node { title } } }", i, i)
		}) + "}"
		r := c.Query(doc, nil)
		requireNoErrors(t, r)
		heavy := "{ " + repeat(30, func(i int) string {
			return fmt.Sprintf("a%d: courses(first: 60, where: {search: \"q%d\"}) { edges { node { title summary } } }", i, i)
		}) + "}"
		r = c.Query(heavy, nil)
		requireErrorCode(t, r, "QUERY_TOO_COMPLEX")
		if got := r.Extensions.Debug.SQLQueryCount; got != 0 {
			t.Errorf("ran %d statements before refusing", got)
		}
	})
}

// worstAcceptedDocs sit just inside every bound checked before validation,
// so validation, the limits pass and cost run in full; each is wrong in a
// way that makes validation do as much as it can.
func worstAcceptedDocs() []hostileDoc {
	fanOut := repeat(12, func(i int) string {
		return fmt.Sprintf("fragment F%d on Query { a { ...F%d } b { ...F%d } }", i, i+1, i+1)
	}) + "fragment F12 on Query { __typename }"
	return []hostileDoc{
		{"MergeWorkAtTheBound", "{ " + strings.Repeat("courses { totalCount } ", 11) + "}", nil, ""},
		{"FieldsAtTheBoundEachWrong", "{ " + repeat(graph.MaxSelections, func(i int) string { return fmt.Sprintf("f%d @nope", i) }) + "}", nil, ""},
		{"FragmentsExpandingToTheBound", "{ ...F0 } " + fanOut, nil, ""},
		{"TokensAtTheBound", "{ " + repeat(150, func(i int) string {
			return fmt.Sprintf("f%d(a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7)", i)
		}) + "}", nil, ""},
	}
}

// BenchmarkHostileDocuments measures what the worst documents cost, the
// refused ones and the worst ones accepted for validation, next to the
// catalogue page (BenchmarkCatalogueQuery) they must not out-cost:
//
//	go test ./graph -run '^$' -bench 'HostileDocuments|CatalogueQuery/sqlite' -benchmem
func BenchmarkHostileDocuments(b *testing.B) {
	db := testenv.Open(b, database.SQLite)
	h := benchHandler(b, db)
	for _, d := range append(hostileDocs(), worstAcceptedDocs()...) {
		b.Run(d.name, func(b *testing.B) {
			body, err := json.Marshal(map[string]any{"query": d.query, "variables": d.vars})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK && rec.Code != http.StatusUnprocessableEntity {
					b.Fatalf("%s: got %d: %.300s", d.name, rec.Code, rec.Body.Bytes())
				}
			}
		})
	}
}

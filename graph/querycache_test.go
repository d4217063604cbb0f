package graph

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

func printed(doc *ast.QueryDocument) string {
	var b strings.Builder
	formatter.NewFormatter(&b).FormatQueryDocument(doc)
	return b.String()
}

// TestLimitsNeverWriteTheCachedDocument: the limits pass gives the request
// a copy with its defaults and normal forms, through fragments and nested
// input values, and leaves the document the cache shares as it was parsed.
func TestLimitsNeverWriteTheCachedDocument(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	// "Cafe" + U+0301 is "Café" once in NFC.
	const query = `query Q($n: Int) {
  a: courses(where: {search: "Cafe\u0301"}) { ...Cards }
  b: courses(first: $n) { totalCount }
}
fragment Cards on CourseConnection { edges { node { id reviews { totalCount } } } }`
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validator.Validate(schema, doc); len(errs) > 0 {
		t.Fatal(errs)
	}
	before := printed(doc)

	oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations.ForName("Q"), Variables: map[string]any{"n": nil}}
	if err := (limits{schema: schema}).MutateOperationContext(context.Background(), oc); err != nil {
		t.Fatal(err)
	}
	if got := printed(doc); got != before {
		t.Fatalf("the shared document changed:\n%s\nwas:\n%s", got, before)
	}
	if oc.Doc == doc || oc.Operation == doc.Operations[0] {
		t.Fatal("the request runs the shared document, not a copy")
	}
	got := printed(oc.Doc)
	for _, want := range []string{
		"a: courses(where: {search:\"Caf\u00e9\"}, first: 20)",
		`b: courses(first: 20)`,
		`reviews(first: 20)`, // inside the fragment
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the request's document lacks %s:\n%s", want, got)
		}
	}
	// Spreads point at the copy's fragments, which executors may follow.
	spread := oc.Operation.SelectionSet[0].(*ast.Field).SelectionSet[0].(*ast.FragmentSpread)
	if spread.Definition != oc.Doc.Fragments.ForName("Cards") {
		t.Error("a spread of the copy points outside it")
	}

	// Nothing to change: the shared document runs as it is.
	plain, err := parser.ParseQuery(&ast.Source{Input: `{ courses(first: 5) { totalCount } }`})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validator.Validate(schema, plain); len(errs) > 0 {
		t.Fatal(errs)
	}
	oc = &graphql.OperationContext{Doc: plain, Operation: plain.Operations[0], Variables: map[string]any{}}
	if err := (limits{schema: schema}).MutateOperationContext(context.Background(), oc); err != nil {
		t.Fatal(err)
	}
	if oc.Doc != plain {
		t.Error("a document needing no change was copied")
	}
}

// TestQueryCacheBounds: however many distinct documents clients send, the
// cache keeps at most QueryCacheBytes of their text; a document too large
// to keep is parsed each time, and one added twice counts once.
func TestQueryCacheBounds(t *testing.T) {
	ctx := context.Background()
	c := newQueryCache()
	doc := &ast.QueryDocument{}
	held := func() int {
		n := 0
		for _, k := range c.docs.Keys() {
			n += len(k)
		}
		return n
	}
	for i := range 3_000 {
		q := fmt.Sprintf("{ a%d: courses { totalCount } }%s", i, strings.Repeat(" ", 700))
		c.Add(ctx, q, doc)
		c.Add(ctx, q, doc)
		if !c.seen(q) {
			t.Fatalf("document %d not kept", i)
		}
	}
	if got := held(); got > QueryCacheBytes || int64(got) != c.bytes.Load() {
		t.Errorf("holds %d bytes of text, counted %d; bound %d", got, c.bytes.Load(), QueryCacheBytes)
	}
	if c.docs.Len() < QueryCacheBytes/800 {
		t.Errorf("holds %d documents; the bound allows about %d", c.docs.Len(), QueryCacheBytes/750)
	}
	big := "{ courses { totalCount } }" + strings.Repeat(" ", maxCachedDocument)
	c.Add(ctx, big, doc)
	if c.seen(big) {
		t.Error("a document over maxCachedDocument was kept")
	}
}

package graph_test

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"lectern/internal/database"
	"lectern/internal/testenv"
)

// TestPooledResponsesStayIntact: responses are made in pooled buffers
// (graph/buffers.go, internal/bufpool) that the next request reuses. Every
// answer served while others are being made, in turn and at once, must be
// byte for byte the answer the same request gets alone: a buffer given
// back before its response was written, or shared by two requests, shows
// as another request's bytes in an answer. Refusals before execution (an
// unknown field, a page over the bound), an error from a resolver beside
// data, and answers of very different sizes are mixed in.
// Each request's text is new (a numbered comment), so that none is
// answered from the public-read cache.
func TestPooledResponsesStayIntact(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		seedSynthetic(t, db, 40)
		c := testenv.NewClient(t, db)
		caller := c.NewCaller()
		docs := []struct {
			doc  string
			vars map[string]any
		}{
			{`{ courses(first: 1) { edges { node { title } } } }`, nil},
			{`{ courses(first: 40) { edges { node { title description sections { title lessons { title slug } } } } } }`, nil},
			{`query($first: Int) { courses(first: $first) { edges { node { slug } } } }`, map[string]any{"first": 7}},
			{`{ courses(first: 1) { edges { node { titel } } } }`, nil},    // refused: no such field
			{`{ course(slug: "no-such-course") { title } }`, nil},          // null, no error
			{`{ courses(first: 5000) { edges { node { title } } } }`, nil}, // refused: over the page bound
			{`{ tags(first: 3) { edges { node { name } } } }`, nil},
			{`{ a: node(id: "not-an-id") { id } b: courses(first: 2) { totalCount } }`, nil}, // a resolver's error beside data
		}
		n := 0
		text := func(doc string) string {
			n++
			return fmt.Sprintf("%s\n# %d", doc, n)
		}
		answer := func(raw []byte) []byte { return requestIDs.ReplaceAll(raw, []byte(`"requestId":""`)) }
		want := make([][]byte, len(docs))
		for i, d := range docs {
			want[i] = answer(caller.Query(t, text(d.doc), d.vars).Raw)
			if len(want[i]) == 0 {
				t.Fatalf("document %d got an empty answer", i)
			}
		}
		for round := range 3 {
			var reqs []*http.Request
			for range 4 {
				for _, d := range docs {
					reqs = append(reqs, caller.Request(t, text(d.doc), d.vars))
				}
			}
			for i, r := range c.ServeAtOnce(t, reqs...) {
				if w := want[i%len(docs)]; !bytes.Equal(answer(r.Raw), w) {
					t.Errorf("round %d, request %d (document %d): answer differs from the one it gets alone\n got: %s\nwant: %s",
						round, i, i%len(docs), excerpt(r.Raw), excerpt(w))
				}
			}
			for i, d := range docs {
				if got := answer(caller.Query(t, text(d.doc), d.vars).Raw); !bytes.Equal(got, want[i]) {
					t.Errorf("round %d, document %d in turn: answer differs\n got: %s\nwant: %s", round, i, excerpt(got), excerpt(want[i]))
				}
			}
		}
	})
}

// requestIDs matches the request ID of an error, which differs between
// requests that are otherwise answered alike.
var requestIDs = regexp.MustCompile(`"requestId":"[^"]*"`)

func excerpt(b []byte) string {
	if len(b) > 400 {
		return fmt.Sprintf("%s… (%d bytes)", b[:400], len(b))
	}
	return string(b)
}

package graph_test

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

// typedID is an ID the API handed out, with the type it was handed out for.
type typedID struct{ typename, id string }

// publicIDs collects the id of one object of every public node type from a
// course page, as a client would.
func publicIDs(t *testing.T, c *testenv.Client) []typedID {
	t.Helper()
	var out struct {
		Course struct {
			ID       string
			Sections []struct {
				ID      string
				Lessons []struct{ ID string }
			}
			Faq     []struct{ ID string }
			Tags    []struct{ ID string }
			Owner   struct{ ID string }
			Reviews struct {
				Edges []struct {
					Node struct {
						ID     string
						Author struct{ ID string }
					}
				}
			}
		}
	}
	c.Query(`{ course(slug: "postgresql-indexing-in-practice") {
	  id sections { id lessons { id } } faq { id } tags { id } owner { id }
	  reviews(first: 1) { edges { node { id author { id } } } } } }`, nil).Decode(t, &out)
	co := out.Course
	if len(co.Sections) == 0 || len(co.Sections[0].Lessons) == 0 || len(co.Faq) == 0 || len(co.Tags) == 0 || len(co.Reviews.Edges) == 0 {
		t.Fatalf("course page lacks objects of some type: %+v", co)
	}
	return []typedID{
		{"Course", co.ID},
		{"Section", co.Sections[0].ID},
		{"Lesson", co.Sections[0].Lessons[0].ID},
		{"FAQEntry", co.Faq[0].ID},
		{"Tag", co.Tags[0].ID},
		{"User", co.Owner.ID},
		{"Review", co.Reviews.Edges[0].Node.ID},
		{"User", co.Reviews.Edges[0].Node.Author.ID},
	}
}

func TestNode(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		testenv.Seeded(t, db)

		t.Run("RoundTripsEveryType", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			for _, want := range publicIDs(t, c) {
				var out struct {
					Node *struct {
						ID       string `json:"id"`
						Typename string `json:"__typename"`
					}
				}
				c.Query(`query($id: ID!) { node(id: $id) { id __typename } }`, map[string]any{"id": want.id}).Decode(t, &out)
				switch {
				case out.Node == nil:
					t.Errorf("node(id:) of a %s from the API is null", want.typename)
				case out.Node.ID != want.id || out.Node.Typename != want.typename:
					t.Errorf("node(id: %s) = %s %s, want %s with the same id", want.id, out.Node.Typename, out.Node.ID, want.typename)
				}
			}
		})

		t.Run("ReturnsTheSameObject", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			page := coursePageFor(t, c, graphqlCourse)
			var course struct{ Node struct{ Slug, Title string } }
			c.Query(`query($id: ID!) { node(id: $id) { ... on Course { slug title } } }`, map[string]any{"id": page.ID}).Decode(t, &course)
			if course.Node.Slug != page.Slug || course.Node.Title != page.Title {
				t.Errorf("node(course id) = %+v, want %s / %s", course.Node, page.Slug, page.Title)
			}
			var tag struct{ Node struct{ Slug, Name string } }
			c.Query(`query($id: ID!) { node(id: $id) { ... on Tag { slug name } } }`, map[string]any{"id": page.Tags[0].ID}).Decode(t, &tag)
			if tag.Node.Slug != page.Tags[0].Slug || tag.Node.Name != page.Tags[0].Name {
				t.Errorf("node(tag id) = %+v, want %+v", tag.Node, page.Tags[0])
			}
			var user struct{ Node struct{ DisplayName string } }
			c.Query(`query($id: ID!) { node(id: $id) { ... on User { displayName } } }`, map[string]any{"id": page.Owner.ID}).Decode(t, &user)
			if user.Node.DisplayName != page.Owner.DisplayName || user.Node.DisplayName == "" {
				t.Errorf("node(user id) = %+v, want %s", user.Node, page.Owner.DisplayName)
			}
		})

		// Several node fields in one document are batched into one lookup
		// per type; each must still get the fields it selected.
		t.Run("AliasedNodesKeepTheirOwnSelections", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			gql := coursePageFor(t, c, graphqlCourse)
			pg := coursePageFor(t, c, pgCourse)
			var out struct {
				A struct{ Title string }
				B struct{ Summary string }
				T struct{ Slug, Name string }
				U struct{ DisplayName string }
			}
			c.Query(`query($a: ID!, $b: ID!, $t: ID!, $u: ID!) {
			  a: node(id: $a) { ... on Course { title } }
			  b: node(id: $b) { ... on Course { summary } }
			  t: node(id: $t) { ... on Tag { slug name } }
			  u: node(id: $u) { ... on User { displayName } } }`,
				map[string]any{"a": gql.ID, "b": pg.ID, "t": gql.Tags[0].ID, "u": gql.Owner.ID}).Decode(t, &out)
			if out.A.Title != gql.Title {
				t.Errorf("a: title = %q, want %q", out.A.Title, gql.Title)
			}
			if out.B.Summary != pg.Summary {
				t.Errorf("b: summary = %q, want %q", out.B.Summary, pg.Summary)
			}
			if out.T.Slug != gql.Tags[0].Slug || out.T.Name != gql.Tags[0].Name {
				t.Errorf("t: tag = %+v, want %+v", out.T, gql.Tags[0])
			}
			if out.U.DisplayName != gql.Owner.DisplayName {
				t.Errorf("u: displayName = %q, want %q", out.U.DisplayName, gql.Owner.DisplayName)
			}
		})

		t.Run("RejectsMalformedIDs", func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct{ name, id string }{
				{"RandomString", "not an id"},
				{"Empty", ""},
				{"Base64OfGarbage", base64.RawURLEncoding.EncodeToString([]byte("hello, world"))},
				{"UUID", "3f2504e0-4f89-41d3-9a0c-0305e82c3301"},
				{"Integer", "42"},
				{"StandardBase64Padding", base64.StdEncoding.EncodeToString([]byte("Course:0123456789abcdef"))},
				{"TypeOnly", base64.RawURLEncoding.EncodeToString([]byte("Course:"))},
				{"ShortKey", base64.RawURLEncoding.EncodeToString([]byte("Course:0123"))},
				{"LowerCaseType", gid.New("course", uuid.New()).String()},
				{"UnknownType", gid.New("Spaceship", uuid.New()).String()},
				{"PrivateType", gid.New("CourseMember", uuid.New()).String()},
				{"VeryLong", strings.Repeat("A", 10_000)},
				{"EmbeddedNewline", newlineInside(gid.New("Course", uuid.New()).String())},
			} {
				t.Run(tc.name, func(t *testing.T) {
					c := testenv.NewClient(t, db)
					r := c.Query(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": tc.id})
					requireErrorCode(t, r, "BAD_USER_INPUT")
					if got := r.Header.Get("X-Request-ID"); len(r.Errors) > 0 && r.Errors[0].Extensions.RequestID != got {
						t.Errorf("error requestId %q, header %q", r.Errors[0].Extensions.RequestID, got)
					}
					inline := c.Query(fmt.Sprintf(`{ node(id: %q) { id } }`, tc.id), nil)
					requireErrorCode(t, inline, "BAD_USER_INPUT")
					many := c.Query(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{courseGlobalID(t, db, pgCourse), tc.id}})
					requireErrorCode(t, many, "BAD_USER_INPUT")
				})
			}
		})

		t.Run("MissingRowIsNull", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			course := courseGlobalID(t, db, pgCourse)
			parsed, err := gid.Parse(course)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{
				gid.New("Course", uuid.New()).String(),
				gid.New("Lesson", uuid.New()).String(),
				gid.New("User", uuid.UUID{}).String(),
				// A real key under another type's name is not that object.
				gid.New("Tag", parsed.UUID).String(),
				gid.New("Lesson", parsed.UUID).String(),
			} {
				r := c.Query(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
				requireNoErrors(t, r)
				if string(r.Data) != `{"node":null}` {
					t.Errorf("node(%s) = %s, want null", id, r.Data)
				}
			}
		})

		t.Run("IDsAreOpaque", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			var out struct {
				Courses struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
			c.Query(`{ courses(first: 100) { edges { node { id } } } }`, nil).Decode(t, &out)
			if len(out.Courses.Edges) < 2 {
				t.Fatal("want at least two courses")
			}
			seen, prefixes := map[string]bool{}, map[string]bool{}
			for _, e := range out.Courses.Edges {
				id := e.Node.ID
				if seen[id] {
					t.Errorf("two courses share id %s", id)
				}
				seen[id] = true
				if _, err := strconv.ParseInt(id, 10, 64); err == nil {
					t.Errorf("id %s is an integer", id)
				}
				g, err := gid.Parse(id)
				if err != nil {
					t.Fatalf("id %s does not parse: %v", id, err)
				}
				if g.UUID.Version() != 4 {
					t.Errorf("id %s wraps a version-%d UUID; want random (v4) keys that reveal no order", id, g.UUID.Version())
				}
				prefix := string(g.UUID[:6])
				if prefixes[prefix] {
					t.Errorf("two courses' keys share their first 6 bytes: keys look sequential")
				}
				prefixes[prefix] = true
			}
		})
	})
}

func TestNodes(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		testenv.Seeded(t, db)

		t.Run("KeepsOrderWithNullForMissing", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			known := publicIDs(t, c)
			missing := gid.New("Course", uuid.New()).String()
			draft := courseGlobalID(t, db, draftCourse)
			var ids []string
			var want []string // "" for null
			for i, k := range known {
				ids = append(ids, k.id)
				want = append(want, k.id)
				if i == 2 {
					ids = append(ids, missing, draft)
					want = append(want, "", "")
				}
			}
			ids = append(ids, known[0].id) // the same ID twice
			want = append(want, known[0].id)

			var out struct {
				Nodes []*struct {
					ID string `json:"id"`
				}
			}
			c.Query(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids}).Decode(t, &out)
			if len(out.Nodes) != len(want) {
				t.Fatalf("nodes returned %d entries for %d IDs", len(out.Nodes), len(want))
			}
			for i, n := range out.Nodes {
				got := ""
				if n != nil {
					got = n.ID
				}
				if got != want[i] {
					t.Errorf("nodes[%d] = %q, want %q", i, got, want[i])
				}
			}
		})

		t.Run("EmptyList", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			r := c.Query(`{ nodes(ids: []) { id } }`, nil)
			requireNoErrors(t, r)
			if string(r.Data) != `{"nodes":[]}` {
				t.Errorf("nodes(ids: []) = %s", r.Data)
			}
		})

		t.Run("BoundedAt100IDs", func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				n  int
				ok bool
			}{{100, true}, {101, false}, {1000, false}} {
				c := testenv.NewClient(t, db)
				ids := make([]string, tc.n)
				for i := range ids {
					ids[i] = gid.New("Course", uuid.New()).String()
				}
				r := c.Query(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
				if tc.ok {
					requireNoErrors(t, r)
					continue
				}
				requireErrorCode(t, r, "BAD_USER_INPUT")
				if len(r.Extensions.Debug.SQLQueries) != 0 {
					t.Errorf("%d IDs: refused but ran SQL:%s", tc.n, statementSummary(r))
				}
			}
		})
	})
}

// coursePage is a course as its page shows it, with the IDs of its parts.
type coursePage struct {
	ID, Slug, Title, Summary string
	Tags                     []struct{ ID, Slug, Name string }
	Owner                    struct{ ID, DisplayName string }
}

func coursePageFor(t *testing.T, c *testenv.Client, slug string) coursePage {
	t.Helper()
	var out struct{ Course *coursePage }
	c.Query(`query($s: String!) { course(slug: $s) { id slug title summary tags { id slug name } owner { id displayName } } }`,
		map[string]any{"s": slug}).Decode(t, &out)
	if out.Course == nil || len(out.Course.Tags) == 0 || out.Course.Summary == "" {
		t.Fatalf("course %s: %+v", slug, out.Course)
	}
	return *out.Course
}

// newlineInside returns id with a line break in the middle: another spelling
// of the same bytes for a lenient base64 decoder.
func newlineInside(id string) string { return id[:8] + "\n" + id[8:] }

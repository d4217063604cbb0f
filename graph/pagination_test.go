package graph_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"lectern/ent/course"
	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// syntheticCourses is the size of the dataset the pagination tests walk:
// more than one default page, so the default page size shows.
const syntheticCourses = 30

const coursePageDoc = `query Page($first: Int, $after: Cursor, $last: Int, $before: Cursor, $orderBy: [CourseOrder!]) {
  courses(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title publishedAt ratingAverage enrollmentCount } }
  }
}`

type courseCard struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	PublishedAt     time.Time `json:"publishedAt"`
	RatingAverage   float64   `json:"ratingAverage"`
	EnrollmentCount int       `json:"enrollmentCount"`
}

type courseConn struct {
	TotalCount int           `json:"totalCount"`
	PageInfo   relayPageInfo `json:"pageInfo"`
	Edges      []struct {
		Cursor string     `json:"cursor"`
		Node   courseCard `json:"node"`
	} `json:"edges"`
}

func (c courseConn) ids() []string {
	out := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node.ID
	}
	return out
}

func queryCourses(t *testing.T, c *testenv.Client, vars map[string]any) courseConn {
	t.Helper()
	var out struct{ Courses courseConn }
	c.Query(coursePageDoc, vars).Decode(t, &out)
	return out.Courses
}

// publishedCourses counts the PUBLISHED courses straight from the database,
// as the system, so the API's totals are checked against the rows.
func publishedCourses(t *testing.T, db *database.DB) int {
	t.Helper()
	n, err := db.Ent.Course.Query().Where(course.StatusEQ(course.StatusPUBLISHED)).
		Count(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// order is one orderBy choice with the comparison the API must sort by
// (before the ID tie-break).
type orderCase struct {
	name    string
	orderBy []map[string]string
	cmp     func(a, b courseCard) int
}

var courseOrders = []orderCase{
	{
		name:    "TitleAsc",
		orderBy: []map[string]string{{"field": "TITLE", "direction": "ASC"}},
		cmp:     func(a, b courseCard) int { return strings.Compare(a.Title, b.Title) },
	},
	{
		name:    "PublishedAtDesc",
		orderBy: []map[string]string{{"field": "PUBLISHED_AT", "direction": "DESC"}},
		cmp:     func(a, b courseCard) int { return b.PublishedAt.Compare(a.PublishedAt) },
	},
	{
		name:    "RatingAverageDesc",
		orderBy: []map[string]string{{"field": "RATING_AVERAGE", "direction": "DESC"}},
		cmp:     func(a, b courseCard) int { return cmp.Compare(b.RatingAverage, a.RatingAverage) },
	},
	{
		name:    "EnrollmentCountDesc",
		orderBy: []map[string]string{{"field": "ENROLLMENT_COUNT", "direction": "DESC"}},
		cmp:     func(a, b courseCard) int { return cmp.Compare(b.EnrollmentCount, a.EnrollmentCount) },
	},
	{
		name: "EnrollmentCountDescThenTitleAsc",
		orderBy: []map[string]string{
			{"field": "ENROLLMENT_COUNT", "direction": "DESC"},
			{"field": "TITLE", "direction": "ASC"},
		},
		cmp: func(a, b courseCard) int {
			return cmp.Or(cmp.Compare(b.EnrollmentCount, a.EnrollmentCount), strings.Compare(a.Title, b.Title))
		},
	},
	{
		name: "RatingAverageAscThenPublishedAtDesc",
		orderBy: []map[string]string{
			{"field": "RATING_AVERAGE", "direction": "ASC"},
			{"field": "PUBLISHED_AT", "direction": "DESC"},
		},
		cmp: func(a, b courseCard) int {
			return cmp.Or(cmp.Compare(a.RatingAverage, b.RatingAverage), b.PublishedAt.Compare(a.PublishedAt))
		},
	},
}

// uuidOf decodes the row key of a global ID, failing the test when the API
// returned an ID it cannot parse back.
func uuidOf(t *testing.T, id string) []byte {
	t.Helper()
	g, err := gid.Parse(id)
	if err != nil {
		t.Fatalf("id %q from the API does not parse: %v", id, err)
	}
	return g.UUID[:]
}

func TestCoursesPagination(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		seedSynthetic(t, db, syntheticCourses)
		visible := publishedCourses(t, db)
		if visible <= 20 || visible >= syntheticCourses {
			t.Fatalf("dataset has %d published courses of %d; the tests need more than one default page and some hidden ones", visible, syntheticCourses)
		}

		t.Run("DefaultsToTwentyWithoutFirstOrLast", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			r := c.Query(`{ courses { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id } } } }`, nil)
			var out struct{ Courses courseConn }
			r.Decode(t, &out)
			if got := len(out.Courses.Edges); got != 20 {
				t.Errorf("edges = %d, want the default page of 20", got)
			}
			if out.Courses.TotalCount != visible {
				t.Errorf("totalCount = %d, want %d published courses", out.Courses.TotalCount, visible)
			}
			if !out.Courses.PageInfo.HasNextPage || out.Courses.PageInfo.HasPreviousPage {
				t.Errorf("pageInfo = %+v, want a next page and no previous one", out.Courses.PageInfo)
			}
		})

		// The parsed document is cached and shared: the default one request
		// gets must not become the page size of the next request sending
		// the same text, in turn or at once.
		t.Run("DefaultIsPerRequestForOneDocument", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			for _, first := range []any{nil, 3, nil, 5} {
				want := 20
				if first != nil {
					want = first.(int)
				}
				if got := len(queryCourses(t, c, map[string]any{"first": first}).Edges); got != want {
					t.Errorf("first %v: %d edges, want %d", first, got, want)
				}
			}
			caller := c.NewCaller()
			var reqs []*http.Request
			for i := range 12 {
				vars := map[string]any{"first": nil}
				if i%2 == 1 {
					vars["first"] = i
				}
				reqs = append(reqs, caller.Request(t, coursePageDoc, vars))
			}
			for i, r := range c.ServeAtOnce(t, reqs...) {
				want := 20
				if i%2 == 1 {
					want = i
				}
				var out struct{ Courses courseConn }
				r.Decode(t, &out)
				if got := len(out.Courses.Edges); got != want {
					t.Errorf("at once, request %d: %d edges, want %d", i, got, want)
				}
			}
		})

		t.Run("DefaultOrderIsNewestPublishedFirst", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			var out struct{ Courses courseConn }
			c.Query(`{ courses(first: 100) { edges { node { id publishedAt } } } }`, nil).Decode(t, &out)
			if len(out.Courses.Edges) != visible {
				t.Fatalf("edges = %d, want %d", len(out.Courses.Edges), visible)
			}
			for i := 1; i < len(out.Courses.Edges); i++ {
				prev, cur := out.Courses.Edges[i-1].Node, out.Courses.Edges[i].Node
				if cur.PublishedAt.After(prev.PublishedAt) {
					t.Fatalf("edge %d published %v after edge %d (%v): not newest first", i, cur.PublishedAt, i-1, prev.PublishedAt)
				}
			}
		})

		for _, o := range courseOrders {
			t.Run("CursorsAreStable/"+o.name, func(t *testing.T) {
				t.Parallel()
				c := testenv.NewClient(t, db)
				all := queryCourses(t, c, map[string]any{"first": 100, "orderBy": o.orderBy})
				if len(all.Edges) != visible || all.TotalCount != visible {
					t.Fatalf("first: 100 gave %d edges, totalCount %d; want %d", len(all.Edges), all.TotalCount, visible)
				}
				if all.PageInfo.HasNextPage || all.PageInfo.HasPreviousPage {
					t.Errorf("a page holding everything: pageInfo = %+v, want no next or previous page", all.PageInfo)
				}
				requireSorted(t, all, o.cmp)
				want := all.ids()

				for _, size := range []int{1, 7, 10} {
					forward := walkForward(t, c, o.orderBy, size)
					if !slices.Equal(forward, want) {
						t.Errorf("page size %d forward: walked\n%v\nwant\n%v", size, forward, want)
					}
					backward := walkBackward(t, c, o.orderBy, size)
					if !slices.Equal(backward, want) {
						t.Errorf("page size %d backward: walked\n%v\nwant\n%v", size, backward, want)
					}
				}
			})
		}

		t.Run("FirstZeroCountsWithoutEdges", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			got := queryCourses(t, c, map[string]any{"first": 0})
			if len(got.Edges) != 0 {
				t.Errorf("first: 0 returned %d edges", len(got.Edges))
			}
			if got.TotalCount != visible {
				t.Errorf("first: 0 totalCount = %d, want %d", got.TotalCount, visible)
			}
		})

		t.Run("AcceptsFirstAndLastOf100", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			for _, vars := range []map[string]any{{"first": 100}, {"last": 100}} {
				if got := queryCourses(t, c, vars); len(got.Edges) != visible {
					t.Errorf("%v: %d edges, want %d", vars, len(got.Edges), visible)
				}
			}
		})

		t.Run("RejectsOutOfBoundsPages", func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				name string
				doc  string
				vars map[string]any
			}{
				{"FirstOver100", `{ courses(first: 101) { totalCount } }`, nil},
				{"FirstNegative", `{ courses(first: -1) { totalCount } }`, nil},
				{"LastOver100", `{ courses(last: 101) { totalCount } }`, nil},
				{"LastNegative", `{ courses(last: -1) { totalCount } }`, nil},
				{"FirstOver100InVariable", `query($n: Int) { courses(first: $n) { totalCount } }`, map[string]any{"n": 101}},
				{"FirstNegativeInVariable", `query($n: Int) { courses(first: $n) { totalCount } }`, map[string]any{"n": -1}},
				{"LastOver100InVariable", `query($n: Int) { courses(last: $n) { totalCount } }`, map[string]any{"n": 1000}},
				{"FirstAndLastTogether", `{ courses(first: 5, last: 5) { totalCount } }`, nil},
				{"FirstAndLastTogetherInVariables", `query($f: Int, $l: Int) { courses(first: $f, last: $l) { totalCount } }`, map[string]any{"f": 1, "l": 1}},
				{"FirstOver100OnTags", `{ tags(first: 101) { totalCount } }`, nil},
				{"LastNegativeOnTags", `{ tags(last: -1) { totalCount } }`, nil},
				{"FirstAndLastOnTags", `{ tags(first: 1, last: 1) { totalCount } }`, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					c := testenv.NewClient(t, db)
					r := c.Query(tc.doc, tc.vars)
					requireErrorCode(t, r, "BAD_USER_INPUT")
					if len(r.Extensions.Debug.SQLQueries) != 0 {
						t.Errorf("a refused page still ran SQL:%s", statementSummary(r))
					}
				})
			}
		})

		t.Run("RejectsMalformedCursors", func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct{ name, cursor string }{
				{"NotBase64", "not a cursor!"},
				{"Base64OfGarbage", base64.RawStdEncoding.EncodeToString([]byte("garbage that is not msgpack"))},
				{"Empty", ""},
				{"GlobalIDInstead", gid.New("Course", [16]byte{1}).String()},
			} {
				for _, arg := range []string{"after", "before"} {
					t.Run(tc.name+"/"+arg, func(t *testing.T) {
						c := testenv.NewClient(t, db)
						doc := fmt.Sprintf(`query($c: Cursor) { courses(%s: $c) { totalCount edges { node { id } } } }`, arg)
						requireErrorCode(t, c.Query(doc, map[string]any{"c": tc.cursor}), "BAD_USER_INPUT")
						inline := fmt.Sprintf(`{ tags(%s: %q) { totalCount edges { node { id } } } }`, arg, tc.cursor)
						requireErrorCode(t, c.Query(inline, nil), "BAD_USER_INPUT")
					})
				}
			}
		})
	})
}

// requireSorted checks that a connection is in the order cmp describes,
// with ties broken by ascending ID and no ID twice.
func requireSorted(t *testing.T, conn courseConn, by func(a, b courseCard) int) {
	t.Helper()
	seen := map[string]bool{}
	for i, e := range conn.Edges {
		if seen[e.Node.ID] {
			t.Errorf("edge %d repeats %s", i, e.Node.ID)
		}
		seen[e.Node.ID] = true
		if i == 0 {
			continue
		}
		prev := conn.Edges[i-1].Node
		switch c := by(prev, e.Node); {
		case c > 0:
			t.Errorf("edge %d (%+v) sorts before edge %d (%+v)", i, e.Node, i-1, prev)
		case c == 0 && bytes.Compare(uuidOf(t, prev.ID), uuidOf(t, e.Node.ID)) > 0:
			t.Errorf("edges %d and %d tie but are not in ID order", i-1, i)
		}
	}
}

// walkForward pages through courses with first/after and returns the IDs
// in the order seen, checking pageInfo and cursors on every page.
func walkForward(t *testing.T, c *testenv.Client, orderBy any, size int) []string {
	t.Helper()
	var ids []string
	var after any
	for page := 0; ; page++ {
		if page > 200 {
			t.Fatal("forward walk does not end")
		}
		got := queryCourses(t, c, map[string]any{"first": size, "after": after, "orderBy": orderBy})
		if n := len(got.Edges); n == 0 || n > size {
			t.Fatalf("forward page %d has %d edges (size %d)", page, n, size)
		}
		if got.PageInfo.HasPreviousPage != (page > 0) {
			t.Errorf("forward page %d: hasPreviousPage = %v", page, got.PageInfo.HasPreviousPage)
		}
		checkEdgeCursors(t, got)
		for _, id := range got.ids() {
			if slices.Contains(ids, id) {
				t.Fatalf("forward page %d (size %d) repeats %s from an earlier page: the cursor did not move on", page, size, id)
			}
		}
		ids = append(ids, got.ids()...)
		if !got.PageInfo.HasNextPage {
			if len(got.Edges) > size {
				t.Errorf("last forward page is larger than the page size")
			}
			return ids
		}
		if len(got.Edges) != size {
			t.Errorf("forward page %d has %d edges and a next page; want a full page of %d", page, len(got.Edges), size)
		}
		after = *got.PageInfo.EndCursor
	}
}

// walkBackward pages through courses with last/before from the end and
// returns the IDs in forward order.
func walkBackward(t *testing.T, c *testenv.Client, orderBy any, size int) []string {
	t.Helper()
	var pages [][]string
	var before any
	for page := 0; ; page++ {
		if page > 200 {
			t.Fatal("backward walk does not end")
		}
		got := queryCourses(t, c, map[string]any{"last": size, "before": before, "orderBy": orderBy})
		if n := len(got.Edges); n == 0 || n > size {
			t.Fatalf("backward page %d has %d edges (size %d)", page, n, size)
		}
		if got.PageInfo.HasNextPage != (page > 0) {
			t.Errorf("backward page %d: hasNextPage = %v", page, got.PageInfo.HasNextPage)
		}
		checkEdgeCursors(t, got)
		for _, seen := range pages {
			for _, id := range got.ids() {
				if slices.Contains(seen, id) {
					t.Fatalf("backward page %d (size %d) repeats %s from an earlier page: the cursor did not move on", page, size, id)
				}
			}
		}
		pages = append(pages, got.ids())
		if !got.PageInfo.HasPreviousPage {
			break
		}
		if len(got.Edges) != size {
			t.Errorf("backward page %d has %d edges and a previous page; want a full page of %d", page, len(got.Edges), size)
		}
		before = *got.PageInfo.StartCursor
	}
	var ids []string
	for i := len(pages) - 1; i >= 0; i-- {
		ids = append(ids, pages[i]...)
	}
	return ids
}

// checkEdgeCursors checks that startCursor and endCursor are the cursors of
// the first and last edge.
func checkEdgeCursors(t *testing.T, conn courseConn) {
	t.Helper()
	pi := conn.PageInfo
	if pi.StartCursor == nil || pi.EndCursor == nil {
		t.Fatalf("page with %d edges lacks start or end cursor: %+v", len(conn.Edges), pi)
	}
	if first := conn.Edges[0].Cursor; *pi.StartCursor != first {
		t.Errorf("startCursor %q is not the first edge's cursor %q", *pi.StartCursor, first)
	}
	if last := conn.Edges[len(conn.Edges)-1].Cursor; *pi.EndCursor != last {
		t.Errorf("endCursor %q is not the last edge's cursor %q", *pi.EndCursor, last)
	}
}

const tagPageDoc = `query Tags($first: Int, $after: Cursor, $last: Int, $before: Cursor) {
  tags(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name slug } }
  }
}`

type tagConn struct {
	TotalCount int           `json:"totalCount"`
	PageInfo   relayPageInfo `json:"pageInfo"`
	Edges      []struct {
		Cursor string `json:"cursor"`
		Node   struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Slug string `json:"slug"`
		} `json:"node"`
	} `json:"edges"`
}

func queryTags(t *testing.T, c *testenv.Client, vars map[string]any) tagConn {
	t.Helper()
	var out struct{ Tags tagConn }
	c.Query(tagPageDoc, vars).Decode(t, &out)
	return out.Tags
}

func TestTagsPagination(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		seedSynthetic(t, db, syntheticCourses)
		total, err := db.Ent.Tag.Query().Count(viewer.SystemContext(context.Background()))
		if err != nil {
			t.Fatal(err)
		}
		if total <= 20 {
			t.Fatalf("dataset has %d tags; the test needs more than one default page", total)
		}
		c := testenv.NewClient(t, db)

		def := queryTags(t, c, nil)
		if len(def.Edges) != 20 || def.TotalCount != total {
			t.Errorf("without first or last: %d edges, totalCount %d; want 20 of %d", len(def.Edges), def.TotalCount, total)
		}
		if !def.PageInfo.HasNextPage || def.PageInfo.HasPreviousPage {
			t.Errorf("default page: pageInfo = %+v", def.PageInfo)
		}

		all := queryTags(t, c, map[string]any{"first": 100})
		if len(all.Edges) != total {
			t.Fatalf("first: 100 gave %d tags, want %d", len(all.Edges), total)
		}
		var want []string
		for i, e := range all.Edges {
			want = append(want, e.Node.ID)
			if i > 0 && all.Edges[i-1].Node.Name > e.Node.Name {
				t.Errorf("tags not by name: %q before %q", all.Edges[i-1].Node.Name, e.Node.Name)
			}
		}

		for _, size := range []int{1, 6, 20} {
			var forward []string
			var after any
			for page := 0; ; page++ {
				got := queryTags(t, c, map[string]any{"first": size, "after": after})
				if got.PageInfo.HasPreviousPage != (page > 0) {
					t.Errorf("size %d forward page %d: hasPreviousPage = %v", size, page, got.PageInfo.HasPreviousPage)
				}
				for _, e := range got.Edges {
					forward = append(forward, e.Node.ID)
				}
				if !got.PageInfo.HasNextPage || page > 100 {
					break
				}
				after = *got.PageInfo.EndCursor
			}
			if !slices.Equal(forward, want) {
				t.Errorf("size %d forward walk:\n%v\nwant\n%v", size, forward, want)
			}

			var pages [][]string
			var before any
			for page := 0; ; page++ {
				got := queryTags(t, c, map[string]any{"last": size, "before": before})
				if got.PageInfo.HasNextPage != (page > 0) {
					t.Errorf("size %d backward page %d: hasNextPage = %v", size, page, got.PageInfo.HasNextPage)
				}
				var ids []string
				for _, e := range got.Edges {
					ids = append(ids, e.Node.ID)
				}
				pages = append(pages, ids)
				if !got.PageInfo.HasPreviousPage || page > 100 {
					break
				}
				before = *got.PageInfo.StartCursor
			}
			var backward []string
			for i := len(pages) - 1; i >= 0; i-- {
				backward = append(backward, pages[i]...)
			}
			if !slices.Equal(backward, want) {
				t.Errorf("size %d backward walk:\n%v\nwant\n%v", size, backward, want)
			}
		}

		zero := queryTags(t, c, map[string]any{"first": 0})
		if len(zero.Edges) != 0 || zero.TotalCount != total {
			t.Errorf("first: 0 gave %d edges, totalCount %d; want none of %d", len(zero.Edges), zero.TotalCount, total)
		}
	})
}

// extraReviews is how many reviews TestCourseReviewsConnection adds to one
// demo course, so it has more than a default page of them.
const extraReviews = 24

func TestCourseReviewsConnection(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		testenv.Seeded(t, db)
		ctx := viewer.SystemContext(context.Background())
		target, err := db.Ent.Course.Query().Where(course.Slug("graphql-api-design")).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		before, err := target.QueryReviews().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		newest := testenv.Now.Add(-time.Hour)
		for i := range extraReviews {
			u, err := db.Ent.User.Create().SetEmail(fmt.Sprintf("reviewer-%d@example.com", i)).
				SetDisplayName(fmt.Sprintf("Reviewer %d", i)).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Ent.Review.Create().SetCourseID(target.ID).SetUserID(u.ID).SetRating(1 + i%5).
				SetBody(fmt.Sprintf("Review %d", i)).SetCreatedAt(newest.Add(-time.Duration(i) * time.Hour)).Exec(ctx)
			if err != nil {
				t.Fatal(err)
			}
		}
		total := before + extraReviews

		type reviewConn struct {
			TotalCount int           `json:"totalCount"`
			PageInfo   relayPageInfo `json:"pageInfo"`
			Edges      []struct {
				Node struct {
					ID        string    `json:"id"`
					CreatedAt time.Time `json:"createdAt"`
				} `json:"node"`
			} `json:"edges"`
		}
		reviews := func(t *testing.T, args string) reviewConn {
			t.Helper()
			c := testenv.NewClient(t, db)
			doc := `{ course(slug: "graphql-api-design") { reviews` + args + ` {
			  totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id createdAt } } } } }`
			var out struct{ Course struct{ Reviews reviewConn } }
			c.Query(doc, nil).Decode(t, &out)
			return out.Course.Reviews
		}

		t.Run("DefaultsToTwentyNewestFirst", func(t *testing.T) {
			t.Parallel()
			got := reviews(t, "")
			if len(got.Edges) != 20 || got.TotalCount != total {
				t.Fatalf("reviews: %d edges, totalCount %d; want 20 of %d", len(got.Edges), got.TotalCount, total)
			}
			if !got.PageInfo.HasNextPage {
				t.Errorf("default page of %d reviews: hasNextPage = false", total)
			}
			if !got.Edges[0].Node.CreatedAt.Equal(newest) {
				t.Errorf("first review created %v, want the newest (%v)", got.Edges[0].Node.CreatedAt, newest)
			}
			for i := 1; i < len(got.Edges); i++ {
				if got.Edges[i].Node.CreatedAt.After(got.Edges[i-1].Node.CreatedAt) {
					t.Errorf("review %d is newer than review %d", i, i-1)
				}
			}
		})

		t.Run("WalksAllPages", func(t *testing.T) {
			t.Parallel()
			all := reviews(t, "(first: 100)")
			if len(all.Edges) != total {
				t.Fatalf("first: 100 gave %d reviews, want %d", len(all.Edges), total)
			}
			var walked []string
			args := "(first: 7)"
			for page := 0; page < 10; page++ {
				got := reviews(t, args)
				for _, e := range got.Edges {
					walked = append(walked, e.Node.ID)
				}
				if !got.PageInfo.HasNextPage {
					break
				}
				args = fmt.Sprintf("(first: 7, after: %q)", *got.PageInfo.EndCursor)
			}
			var want []string
			for _, e := range all.Edges {
				want = append(want, e.Node.ID)
			}
			if !slices.Equal(walked, want) {
				t.Errorf("walked reviews\n%v\nwant\n%v", walked, want)
			}
		})

		t.Run("RejectsOutOfBoundsPages", func(t *testing.T) {
			t.Parallel()
			for _, args := range []string{"(first: 101)", "(first: -1)", "(last: 101)", "(last: -5)", "(first: 2, last: 2)"} {
				c := testenv.NewClient(t, db)
				doc := `{ course(slug: "graphql-api-design") { title reviews` + args + ` { totalCount } } }`
				r := c.Query(doc, nil)
				t.Run(args, func(t *testing.T) { requireErrorCode(t, r, "BAD_USER_INPUT") })
			}
		})

		// A cursor that does not decode is the client's mistake wherever the
		// connection sits in the document, not a server failure.
		t.Run("RejectsMalformedCursors", func(t *testing.T) {
			t.Parallel()
			courseID := courseGlobalID(t, db, graphqlCourse)
			for _, tc := range []struct {
				name string
				doc  string
				vars map[string]any
			}{
				{"UnderCourse", `{ course(slug: "graphql-api-design") { title reviews(after: "bm9wZQ") { totalCount } } }`, nil},
				{"UnderCourseEmpty", `{ course(slug: "graphql-api-design") { title reviews(before: "") { totalCount } } }`, nil},
				{"UnderCourseInVariable", `query($c: Cursor) { course(slug: "graphql-api-design") { reviews(after: $c) { totalCount } } }`, map[string]any{"c": "not a cursor"}},
				{"UnderCourses", `{ courses(first: 2) { edges { node { reviews(before: "bm9wZQ") { totalCount } } } } }`, nil},
				{"UnderNode", `query($id: ID!) { node(id: $id) { ... on Course { reviews(after: "bm9wZQ") { totalCount } } } }`, map[string]any{"id": courseID}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					c := testenv.NewClient(t, db)
					r := c.Query(tc.doc, tc.vars)
					requireErrorCode(t, r, "BAD_USER_INPUT")
					if strings.Contains(c.Logs.String(), `"msg":"graphql: panic"`) {
						t.Errorf("a malformed cursor made a resolver panic (see the server log)")
					}
				})
			}
		})
	})
}

// TestCoursesPaginationOutsideUTC runs TestCoursesPagination again in a
// process whose local time zone is not UTC, as on many servers and laptops:
// cursors carry timestamps, and a page walk must not depend on the zone the
// server runs in.
func TestCoursesPaginationOutsideUTC(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("cannot re-run the test binary: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^TestCoursesPagination$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TZ=Asia/Kolkata")
	out, err := cmd.CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) > 30 {
			lines = lines[len(lines)-30:]
		}
		t.Errorf("TestCoursesPagination fails with TZ=Asia/Kolkata (%v):\n%s", err, strings.Join(lines, "\n"))
	}
}

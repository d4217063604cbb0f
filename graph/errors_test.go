package graph_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"lectern/internal/database"
	"lectern/internal/testenv"
)

// requireRequestIDsMatchHeader checks that every error quotes the request ID
// the response header carries.
func requireRequestIDsMatchHeader(t *testing.T, r testenv.Response) {
	t.Helper()
	header := r.Header.Get("X-Request-ID")
	if header == "" {
		t.Fatal("response has no X-Request-ID header")
	}
	for _, e := range r.Errors {
		if e.Extensions.RequestID != header {
			t.Errorf("error %q: requestId %q, header X-Request-ID %q", e.Message, e.Extensions.RequestID, header)
		}
	}
}

// postWithRequestID posts a GraphQL document with an X-Request-ID header.
func postWithRequestID(c *testenv.Client, doc, requestID string) testenv.Response {
	body, _ := json.Marshal(map[string]any{"query": doc})
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", requestID)
	return c.Do(req)
}

func TestErrorPresenter(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		testenv.Seeded(t, db)

		t.Run("CodesForBadDocuments", func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				name, doc string
				vars      map[string]any
				code      string
			}{
				{"ParseError", `{ courses {`, nil, "GRAPHQL_PARSE_FAILED"},
				{"ParseErrorGarbage", `this is not graphql`, nil, "GRAPHQL_PARSE_FAILED"},
				{"UnknownField", `{ nope }`, nil, "GRAPHQL_VALIDATION_FAILED"},
				{"UnknownNestedField", `{ courses { edges { node { secret } } } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
				{"HiddenColumn", `{ courses { edges { node { ratingSum } } } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
				{"PasswordHashIsNotInTheSchema", `{ course(slug: "x") { owner { passwordHash } } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
				{"WrongArgumentType", `{ courses(first: "ten") { totalCount } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
				{"WrongVariableType", `query($n: Int) { courses(first: $n) { totalCount } }`, map[string]any{"n": "ten"}, "GRAPHQL_VALIDATION_FAILED"},
				{"MissingRequiredVariable", `query($s: String!) { course(slug: $s) { id } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
				{"MissingRequiredArgument", `{ course { id } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
				{"EmptyDocument", ``, nil, "GRAPHQL_VALIDATION_FAILED"},
				{"MutationNotInSchema", `mutation { deleteCourse(id: "x") }`, nil, "GRAPHQL_VALIDATION_FAILED"},
				{"MalformedID", `{ node(id: "nope") { id } }`, nil, "BAD_USER_INPUT"},
				{"PageTooLarge", `{ courses(first: 101) { totalCount } }`, nil, "BAD_USER_INPUT"},
				{"SearchTooShort", `{ courses(where: {search: "a"}) { totalCount } }`, nil, "BAD_USER_INPUT"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					c := testenv.NewClient(t, db)
					r := c.Query(tc.doc, tc.vars)
					requireErrorCode(t, r, tc.code)
					requireRequestIDsMatchHeader(t, r)
					for _, e := range r.Errors {
						if e.Message == "" || e.Message == "internal server error" {
							t.Errorf("%s error has message %q; want one that explains the mistake", tc.code, e.Message)
						}
					}
				})
			}
		})

		t.Run("EchoesAWellFormedRequestID", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			r := postWithRequestID(c, `{ nope }`, "abc-123")
			requireErrorCode(t, r, "GRAPHQL_VALIDATION_FAILED")
			if got := r.Header.Get("X-Request-ID"); got != "abc-123" {
				t.Errorf("X-Request-ID header = %q, want abc-123", got)
			}
			if got := r.Errors[0].Extensions.RequestID; got != "abc-123" {
				t.Errorf("error requestId = %q, want abc-123", got)
			}
			ok := postWithRequestID(c, `{ tags(first: 1) { totalCount } }`, "abc-123")
			requireNoErrors(t, ok)
			if got := ok.Header.Get("X-Request-ID"); got != "abc-123" {
				t.Errorf("X-Request-ID header of a successful response = %q, want abc-123", got)
			}
		})

		t.Run("ReplacesAMalformedRequestID", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			for _, bad := range []string{"has spaces", `quote"d`, "new\u00e9", strings.Repeat("a", 129)} {
				r := postWithRequestID(c, `{ nope }`, bad)
				requireErrorCode(t, r, "GRAPHQL_VALIDATION_FAILED")
				requireRequestIDsMatchHeader(t, r)
				if got := r.Header.Get("X-Request-ID"); got == bad {
					t.Errorf("malformed X-Request-ID %q was echoed", bad)
				}
			}
		})

		t.Run("EveryRequestGetsItsOwnID", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			a, b := c.Query(`{ nope }`, nil), c.Query(`{ nope }`, nil)
			if a.Errors[0].Extensions.RequestID == b.Errors[0].Extensions.RequestID {
				t.Errorf("two requests share request ID %q", a.Errors[0].Extensions.RequestID)
			}
		})
	})
}

// TestInternalErrorsAreGeneric breaks the database under a request: the
// caller learns only that something failed, with a request ID that finds
// the detail in the log.
func TestInternalErrorsAreGeneric(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		c := testenv.NewClient(t, testenv.Seeded(t, db))
		if err := db.SQL.Close(); err != nil {
			t.Fatal(err)
		}
		r := c.Query(`{ courses { totalCount edges { node { slug } } } }`, nil)
		requireErrorCode(t, r, "INTERNAL")
		requireRequestIDsMatchHeader(t, r)
		e := r.Errors[0]
		if e.Message != "internal server error" {
			t.Errorf("message = %q, want the generic %q", e.Message, "internal server error")
		}
		raw, _ := json.Marshal(r.Errors)
		for _, leak := range []string{"sql", "closed", "courses list", "database"} {
			if strings.Contains(strings.ToLower(string(raw)), leak) {
				t.Errorf("error shown to the client mentions %q: %s", leak, raw)
			}
		}

		var logged bool
		sc := bufio.NewScanner(bytes.NewReader(c.Logs.Bytes()))
		for sc.Scan() {
			var line struct {
				Level     string `json:"level"`
				Msg       string `json:"msg"`
				RequestID string `json:"request_id"`
				Error     string `json:"error"`
			}
			if json.Unmarshal(sc.Bytes(), &line) != nil || line.Level != "ERROR" || line.RequestID != e.Extensions.RequestID {
				continue
			}
			if strings.Contains(line.Error, "database is closed") || strings.Contains(line.Error, "closed") {
				logged = true
			}
		}
		if !logged {
			t.Errorf("no ERROR log line with request_id %s and the cause; log:\n%s", e.Extensions.RequestID, c.Logs)
		}
	})
}

// courseChain returns a selection on typ (Course or Section) that goes n
// levels down, alternating sections and course, ending in title.
func courseChain(typ string, n int) string {
	switch {
	case n <= 1:
		return "title"
	case typ == "Course":
		return "sections { " + courseChain("Section", n-1) + " }"
	}
	return "course { " + courseChain("Course", n-1) + " }"
}

// nestedCourseDoc returns a document whose deepest field sits depth levels
// down: course { sections { course { sections { … title } } } }.
func nestedCourseDoc(depth int) string {
	return `{ course(slug: "postgresql-indexing-in-practice") { ` + courseChain("Course", depth-1) + ` } }`
}

// nestedFragmentDoc reaches the same depth through fragment spreads.
func nestedFragmentDoc(depth int) string {
	var b strings.Builder
	b.WriteString(`{ course(slug: "postgresql-indexing-in-practice") { ...C2 } }`)
	for level := 2; level <= depth; level++ {
		onType, field, next := "Course", "sections", fmt.Sprintf("...S%d", level+1)
		if level%2 == 1 {
			onType, field, next = "Section", "course", fmt.Sprintf("...C%d", level+1)
		}
		name := fmt.Sprintf("C%d", level)
		if onType == "Section" {
			name = fmt.Sprintf("S%d", level)
		}
		if level == depth {
			fmt.Fprintf(&b, " fragment %s on %s { title }", name, onType)
			break
		}
		fmt.Fprintf(&b, " fragment %s on %s { %s { %s } }", name, onType, field, next)
	}
	return b.String()
}

func TestQueryLimits(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		testenv.Seeded(t, db)

		t.Run("AllowsTwelveLevels", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			for _, doc := range []string{nestedCourseDoc(12), nestedFragmentDoc(12)} {
				r := c.Query(doc, nil)
				requireNoErrors(t, r)
				if !strings.Contains(string(r.Data), `"title"`) {
					t.Errorf("%s: no title in %s", doc, r.Data)
				}
			}
		})

		t.Run("RejectsThirteenLevels", func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct{ name, doc string }{
				{"Inline", nestedCourseDoc(13)},
				{"Deeper", nestedCourseDoc(40)},
				{"ThroughFragments", nestedFragmentDoc(13)},
				{"ThroughInlineFragments", `{ node(id: "` + courseGlobalID(t, db, pgCourse) + `") { ... on Course { ` + courseChain("Course", 12) + ` } } }`},
			} {
				t.Run(tc.name, func(t *testing.T) {
					c := testenv.NewClient(t, db)
					r := c.Query(tc.doc, nil)
					requireErrorCode(t, r, "QUERY_TOO_COMPLEX")
					requireRequestIDsMatchHeader(t, r)
					if len(r.Extensions.Debug.SQLQueries) != 0 {
						t.Errorf("a refused document ran SQL:%s", statementSummary(r))
					}
				})
			}
		})

		t.Run("RejectsTooMuchWork", func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct{ name, doc string }{
				{"HundredCoursesWithHundredReviews", `{ courses(first: 100) { edges { node { reviews(first: 100) { edges { node { body author { displayName bio } } } } } } } }`},
				{"HundredCoursesWithHundredReviewsFromTheEnd", `{ courses(last: 100) { edges { node { reviews(last: 100) { edges { node { body author { displayName bio } } } } } } } }`},
				{"AliasesMultiply", `{ a: tags(first: 100) { edges { node { id name slug } } } b: tags(first: 100) { edges { node { id name slug } } } ` +
					`c: courses(first: 100) { edges { node { reviews(first: 30) { edges { node { id body rating } } } } } } }`},
			} {
				t.Run(tc.name, func(t *testing.T) {
					c := testenv.NewClient(t, db)
					r := c.Query(tc.doc, nil)
					requireErrorCode(t, r, "QUERY_TOO_COMPLEX")
					if len(r.Extensions.Debug.SQLQueries) != 0 {
						t.Errorf("a refused document ran SQL:%s", statementSummary(r))
					}
				})
			}
		})

		t.Run("AllowsAnOrdinaryCataloguePage", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			requireNoErrors(t, c.Query(`{ courses { edges { node { title reviews(first: 5) { edges { node { body author { displayName } } } } } } } }`, nil))
		})
	})
}

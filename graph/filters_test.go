package graph_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"lectern/ent/course"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// The published demo courses, newest first (the default order).
const (
	graphqlCourse  = "graphql-api-design"                        // INTERMEDIATE, en-GB, 40 days ago
	pgCourse       = "postgresql-indexing-in-practice"           // INTERMEDIATE, en, 75 days ago
	backendCourse  = "backend-development-from-first-principles" // BEGINNER, en, 120 days ago
	sqlFrCourse    = "introduction-a-sql"                        // BEGINNER, fr, 200 days ago
	draftCourse    = "event-driven-systems"                      // DRAFT, ADVANCED, en
	archivedCourse = "legacy-monolith-migration"                 // ARCHIVED, INTERMEDIATE, en
)

const filterDoc = `query Filter($where: CourseWhereInput) {
  courses(first: 100, where: $where) { totalCount edges { node { slug } } }
}`

// slugsOf runs filterDoc and returns the slugs in order, with totalCount.
func slugsOf(t *testing.T, c *testenv.Client, where map[string]any) ([]string, int) {
	t.Helper()
	var out struct {
		Courses struct {
			TotalCount int
			Edges      []struct{ Node struct{ Slug string } }
		}
	}
	c.Query(filterDoc, map[string]any{"where": where}).Decode(t, &out)
	slugs := []string{}
	for _, e := range out.Courses.Edges {
		slugs = append(slugs, e.Node.Slug)
	}
	return slugs, out.Courses.TotalCount
}

func TestCourseFilters(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		testenv.Seeded(t, db)
		days := func(n int) string { return testenv.Now.AddDate(0, 0, -n).Format(time.RFC3339) }

		for _, tc := range []struct {
			name  string
			where map[string]any
			want  []string
		}{
			{"NoFilter", nil, []string{graphqlCourse, pgCourse, backendCourse, sqlFrCourse}},
			{"StatusPublished", map[string]any{"status": "PUBLISHED"}, []string{graphqlCourse, pgCourse, backendCourse, sqlFrCourse}},
			{"StatusDraftIsEmptyForAnonymous", map[string]any{"status": "DRAFT"}, []string{}},
			{"StatusArchivedIsEmptyForAnonymous", map[string]any{"status": "ARCHIVED"}, []string{}},
			{"LevelBeginner", map[string]any{"level": "BEGINNER"}, []string{backendCourse, sqlFrCourse}},
			{"LevelIntermediate", map[string]any{"level": "INTERMEDIATE"}, []string{graphqlCourse, pgCourse}},
			{"LevelAdvancedHasOnlyADraft", map[string]any{"level": "ADVANCED"}, []string{}},
			{"LanguageLowerCase", map[string]any{"language": "en"}, []string{pgCourse, backendCourse}},
			{"LanguageUpperCase", map[string]any{"language": "EN"}, []string{pgCourse, backendCourse}},
			{"LanguageWithRegionCanonicalised", map[string]any{"language": "en-gb"}, []string{graphqlCourse}},
			{"LanguageWithRegionUpperCase", map[string]any{"language": "EN-GB"}, []string{graphqlCourse}},
			{"LanguageWithUnderscore", map[string]any{"language": "en_GB"}, []string{graphqlCourse}},
			{"LanguageFrench", map[string]any{"language": "fr"}, []string{sqlFrCourse}},
			{"LanguageWithoutCourses", map[string]any{"language": "pt-BR"}, []string{}},
			{"Tag", map[string]any{"tag": "databases"}, []string{pgCourse, backendCourse, sqlFrCourse}},
			{"TagOnOneCourse", map[string]any{"tag": "graphql"}, []string{graphqlCourse}},
			{"TagOfADraftOnly", map[string]any{"tag": "event-driven"}, []string{}},
			{"UnknownTag", map[string]any{"tag": "no-such-tag"}, []string{}},
			{"TagIsASlugNotAName", map[string]any{"tag": "Databases"}, []string{}},
			{"PublishedAfter", map[string]any{"publishedAfter": days(100)}, []string{graphqlCourse, pgCourse}},
			{"PublishedAfterIsInclusive", map[string]any{"publishedAfter": days(40)}, []string{graphqlCourse}},
			{"PublishedBefore", map[string]any{"publishedBefore": days(100)}, []string{backendCourse, sqlFrCourse}},
			{"PublishedBeforeIsExclusive", map[string]any{"publishedBefore": days(200)}, []string{}},
			{"PublishedBetween", map[string]any{"publishedAfter": days(130), "publishedBefore": days(50)}, []string{pgCourse, backendCourse}},
			{"PublishedAfterInAnotherZone", map[string]any{"publishedAfter": testenv.Now.AddDate(0, 0, -40).In(time.FixedZone("", 5*3600)).Format(time.RFC3339)}, []string{graphqlCourse}},
			{"SearchTitle", map[string]any{"search": "sql"}, []string{pgCourse, sqlFrCourse}},
			{"SearchIgnoresCase", map[string]any{"search": "SQL"}, []string{pgCourse, sqlFrCourse}},
			{"SearchTitleOrSummary", map[string]any{"search": "PRACTIC"}, []string{pgCourse, backendCourse}},
			{"SearchSummaryOnly", map[string]any{"search": "indexes"}, []string{pgCourse}},
			{"SearchSkipsDrafts", map[string]any{"search": "design"}, []string{graphqlCourse}},
			{"SearchTrimsSpaces", map[string]any{"search": "  graphql  "}, []string{graphqlCourse}},
			{"SearchTwoCharacters", map[string]any{"search": "QL"}, []string{graphqlCourse, pgCourse, sqlFrCourse}},
			{"SearchWithoutMatch", map[string]any{"search": "kubernetes"}, []string{}},
			{"SearchDoesNotMatchDescription", map[string]any{"search": "one framework. This course"}, []string{}},
			{"LevelAndLanguage", map[string]any{"level": "INTERMEDIATE", "language": "en"}, []string{pgCourse}},
			{"TagAndLevel", map[string]any{"tag": "databases", "level": "BEGINNER"}, []string{backendCourse, sqlFrCourse}},
			{"TagLevelAndLanguage", map[string]any{"tag": "databases", "level": "BEGINNER", "language": "fr"}, []string{sqlFrCourse}},
			{"SearchAndLevel", map[string]any{"search": "sql", "level": "BEGINNER"}, []string{sqlFrCourse}},
			{"PublishedAfterAndTag", map[string]any{"publishedAfter": days(100), "tag": "backend"}, []string{graphqlCourse}},
			{"ContradictoryFilters", map[string]any{"level": "BEGINNER", "tag": "graphql"}, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				c := testenv.NewClient(t, db)
				got, total := slugsOf(t, c, tc.where)
				if !slices.Equal(got, tc.want) {
					t.Errorf("where %v: got %v, want %v", tc.where, got, tc.want)
				}
				if total != len(tc.want) {
					t.Errorf("where %v: totalCount = %d, want %d", tc.where, total, len(tc.want))
				}
			})
		}

		t.Run("InlineLiteralsWork", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			var out struct {
				Courses struct {
					Edges []struct{ Node struct{ Slug string } }
				}
			}
			c.Query(`{ courses(where: {language: "EN", level: INTERMEDIATE, search: "index"}) { edges { node { slug } } } }`, nil).Decode(t, &out)
			if len(out.Courses.Edges) != 1 || out.Courses.Edges[0].Node.Slug != pgCourse {
				t.Errorf("got %+v, want only %s", out.Courses.Edges, pgCourse)
			}
		})

		t.Run("RejectsInvalidValues", func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				name  string
				where map[string]any
			}{
				{"LanguageNotATag", map[string]any{"language": "not a tag!!"}},
				{"LanguageEmpty", map[string]any{"language": ""}},
				{"SearchOneCharacter", map[string]any{"search": "a"}},
				{"SearchOneCharacterAfterTrimming", map[string]any{"search": "  a  "}},
				{"SearchOnlySpaces", map[string]any{"search": "     "}},
				{"SearchOver100Characters", map[string]any{"search": strings.Repeat("x", 101)}},
				{"SearchOver100MultibyteCharacters", map[string]any{"search": strings.Repeat("é", 101)}},
				{"PublishedAfterNotATime", map[string]any{"publishedAfter": "yesterday"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					c := testenv.NewClient(t, db)
					r := c.Query(filterDoc, map[string]any{"where": tc.where})
					requireErrorCode(t, r, "BAD_USER_INPUT")
				})
			}
		})

		t.Run("AcceptsSearchOf100Characters", func(t *testing.T) {
			t.Parallel()
			c := testenv.NewClient(t, db)
			if got, _ := slugsOf(t, c, map[string]any{"search": strings.Repeat("é", 100)}); len(got) != 0 {
				t.Errorf("got %v, want no match", got)
			}
		})

		t.Run("RejectsFieldsOutsideTheAllowlist", func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				name string
				doc  string
				vars map[string]any
			}{
				{"InlineSlug", `{ courses(where: {slug: "x"}) { totalCount } }`, nil},
				{"InlineTitle", `{ courses(where: {title: "x"}) { totalCount } }`, nil},
				{"InlineUnknownStatus", `{ courses(where: {status: BOGUS}) { totalCount } }`, nil},
				{"VariableSlug", filterDoc, map[string]any{"where": map[string]any{"slug": "x"}}},
				{"VariableDescription", filterDoc, map[string]any{"where": map[string]any{"description": "x"}}},
				{"VariableUnknownLevel", filterDoc, map[string]any{"where": map[string]any{"level": "EXPERT"}}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					c := testenv.NewClient(t, db)
					r := c.Query(tc.doc, tc.vars)
					requireErrorCode(t, r, "GRAPHQL_VALIDATION_FAILED")
					if len(r.Extensions.Debug.SQLQueries) != 0 {
						t.Errorf("an invalid document ran SQL:%s", statementSummary(r))
					}
				})
			}
		})
	})
}

// TestCourseSearchMatchesLiterally checks that LIKE's metacharacters in a
// search term match themselves: each literal course has a decoy that the
// term would match if %, _ or \ kept their LIKE meaning.
func TestCourseSearchMatchesLiterally(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		ctx := viewer.SystemContext(context.Background())
		for i, c := range []struct{ slug, title, summary string }{
			{"percent-literal", "Reaching 100% Coverage", "Tests everywhere."},
			{"percent-decoy", "Reaching 1000 Coverage", "Tests everywhere."},
			{"underscore-literal", "Naming Things", "Prefer snake_case for columns."},
			{"underscore-decoy", "Naming Stuff", "Prefer snakeXcase for columns."},
			{"backslash-literal", `Paths like C:\temp`, "Windows paths."},
			{"backslash-decoy", "Paths like C:temp", "Windows paths."},
			{"prefix-decoy", "50 ways to succeed", "No percent sign here."},
		} {
			err := db.Ent.Course.Create().SetSlug(c.slug).SetTitle(c.title).SetSummary(c.summary).
				SetStatus(course.StatusPUBLISHED).SetPublishedAt(testenv.Now.Add(-time.Duration(i) * time.Hour)).Exec(ctx)
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			term string
			want []string
		}{
			{"100%", []string{"percent-literal"}},
			{"0% c", []string{"percent-literal"}},
			{"%", nil}, // one character: refused below
			{"%%", []string{}},
			{"snake_case", []string{"underscore-literal"}},
			{"SNAKE_CASE", []string{"underscore-literal"}},
			{"e_c", []string{"underscore-literal"}},
			{"__", []string{}},
			{`C:\temp`, []string{"backslash-literal"}},
			{`:\t`, []string{"backslash-literal"}},
			{`\`, nil},
			{`\\`, []string{}},
			{"5%", []string{}},
		} {
			t.Run(fmt.Sprintf("%q", tc.term), func(t *testing.T) {
				t.Parallel()
				c := testenv.NewClient(t, db)
				if tc.want == nil {
					requireErrorCode(t, c.Query(filterDoc, map[string]any{"where": map[string]any{"search": tc.term}}), "BAD_USER_INPUT")
					return
				}
				got, _ := slugsOf(t, c, map[string]any{"search": tc.term})
				slices.Sort(got)
				if !slices.Equal(got, tc.want) {
					t.Errorf("search %q: got %v, want %v", tc.term, got, tc.want)
				}
			})
		}
	})
}

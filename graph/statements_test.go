package graph_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/asset"
	"lectern/ent/schematype"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// catalogueDoc is the catalogue page: a page of courses with everything a
// course card shows.
const catalogueDoc = `query Catalogue($n: Int) {
  courses(first: $n) {
    totalCount
    edges { node {
      id title
      owner { displayName }
      tags { name }
      instructors { displayName }
      sections { title lessons { title } }
    } }
  }
}`

// courseDetailDoc is the course page.
const courseDetailDoc = `query Course($slug: String!) {
  course(slug: $slug) {
    id title
    sections { title lessons { title } }
    faq { question }
    tags { name }
    instructors { displayName }
    reviews(first: 5) { edges { node { author { displayName } } } }
  }
}`

// quote quotes an identifier as db's statements do.
func quote(db *database.DB, name string) string {
	if db.Dialect == database.Postgres {
		return `"` + name + `"`
	}
	return "`" + name + "`"
}

// statusParameter matches a status compared with a parameter.
var statusParameter = regexp.MustCompile("[`\"]status[`\"] = (\\$[0-9]+|\\?)")

// tableColumn matches a qualified column in a select list.
var tableColumn = regexp.MustCompile("[`\"](\\w+)[`\"]\\.[`\"](\\w+)[`\"]")

// columnsRead returns the columns of table that stmt selects before its
// FROM table, and whether it has one.
func columnsRead(db *database.DB, stmt, table string) ([]string, bool) {
	list, _, ok := strings.Cut(stmt, " FROM "+quote(db, table))
	if !ok {
		return nil, false
	}
	var cols []string
	for _, m := range tableColumn.FindAllStringSubmatch(list, -1) {
		if m[1] == table {
			cols = append(cols, m[2])
		}
	}
	return cols, true
}

var fromTable = regexp.MustCompile("(?i)\\bFROM\\s+[`\"]?(\\w+)")

// tablesRead names the table each statement reads first, sorted, so a test
// can say which tables a request touches regardless of the order in which
// batches ran.
func tablesRead(t *testing.T, r testenv.Response) []string {
	t.Helper()
	var tables []string
	for _, s := range r.Extensions.Debug.SQLQueries {
		m := fromTable.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("statement without FROM: %s", s)
		}
		tables = append(tables, m[1])
	}
	slices.Sort(tables)
	return tables
}

func TestStatementCounts(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Parallel()

		// A catalogue page costs one statement per table, however many
		// courses it shows:
		//   1. courses (COUNT) for totalCount;
		//   2. courses, the page itself;
		//   3. sections of all the page's courses (eager-loaded);
		//   4. lessons of all those sections (eager-loaded);
		//   5. tags of all the page's courses, through course_tags;
		//   6. the staff (owners and instructors) of all the page's
		//      courses: users joined to their memberships (the staff
		//      loader, shared by owner and instructors).
		t.Run("CataloguePageIsIndependentOfPageSize", func(t *testing.T) {
			t.Parallel()
			seedSynthetic(t, db, syntheticCourses)
			c := testenv.NewClient(t, db)
			want := []string{"courses", "courses", "lessons", "sections", "tags", "users"}
			for _, n := range []int{1, 5, 20} {
				r := c.Query(catalogueDoc, map[string]any{"n": n})
				var out struct {
					Courses struct {
						Edges []struct {
							Node struct {
								Owner    *struct{ DisplayName string }
								Sections []struct{ Lessons []struct{ Title string } }
							}
						}
					}
				}
				r.Decode(t, &out)
				if len(out.Courses.Edges) != n {
					t.Fatalf("first: %d returned %d courses", n, len(out.Courses.Edges))
				}
				for _, e := range out.Courses.Edges {
					if e.Node.Owner == nil || e.Node.Owner.DisplayName == "" || len(e.Node.Sections) == 0 {
						t.Fatalf("first: %d: a course card lacks its owner or sections: %+v", n, e.Node)
					}
				}
				if got := r.Extensions.Debug.SQLQueryCount; got != len(want) {
					t.Errorf("first: %d ran %d statements, want %d:%s", n, got, len(want), statementSummary(r))
				}
				if got := tablesRead(t, r); !slices.Equal(got, want) {
					t.Errorf("first: %d read tables %v, want %v", n, got, want)
				}
			}
		})

		// Covers and the owners' avatars are loaded for the whole page:
		// the statements do not grow with the number of courses.
		t.Run("CoversAndAvatarsAreIndependentOfPageSize", func(t *testing.T) {
			t.Parallel()
			db := testenv.Open(t, db.Dialect)
			seedSynthetic(t, db, 25)
			giveCoversAndAvatars(t, db)
			c := testenv.NewClient(t, db)
			const doc = `query($n: Int) { courses(first: $n) { edges { node {
				id cover { url(size: SMALL) } owner { displayName avatar { url(size: SMALL) } } } } } }`
			counts := map[int]int{}
			for _, n := range []int{1, 5, 20} {
				r := c.Query(doc, map[string]any{"n": n})
				r.Decode(t, &struct{}{})
				counts[n] = r.Extensions.Debug.SQLQueryCount
			}
			if counts[1] != counts[5] || counts[5] != counts[20] {
				t.Errorf("statements for 1, 5 and 20 courses: %v, want the same", counts)
			}
		})

		// Fields resolved by hand (owner, instructors) do not make the
		// page read what it does not show: no course descriptions or
		// lists, and no credentials of the staff.
		t.Run("CataloguePageReadsOnlyWhatItShows", func(t *testing.T) {
			t.Parallel()
			db := testenv.Open(t, db.Dialect)
			seedSynthetic(t, db, 5)
			r := testenv.NewClient(t, db).Query(catalogueDoc, map[string]any{"n": 5})
			r.Decode(t, &struct{}{})
			staffRead := false
			for _, stmt := range r.Extensions.Debug.SQLQueries {
				for _, col := range []string{"description", "requirements", "password_hash", "totp_secret", "totp_pending_secret"} {
					if strings.Contains(stmt, col) {
						t.Errorf("the catalogue page read %s:\n%s", col, stmt)
					}
				}
				// The staff's users: only what owner and instructors show.
				if read, ok := columnsRead(db, stmt, "users"); ok {
					staffRead = true
					if !slices.Equal(read, []string{"id", "display_name"}) {
						t.Errorf("the staff's users were read with columns %v, want id and display_name:\n%s", read, stmt)
					}
				}
			}
			if !staffRead {
				t.Errorf("no statement read the staff's users:%s", statementSummary(r))
			}
		})

		// On SQLite a page of one level, in any order, walks the order's
		// index: the planner would otherwise take the (status, level)
		// index and read and sort every course of the level.
		t.Run("LevelPagesWalkTheSortIndexOnSQLite", func(t *testing.T) {
			t.Parallel()
			if db.Dialect == database.Postgres {
				return // PostgreSQL chooses from its statistics
			}
			db := testenv.Open(t, db.Dialect)
			seedSynthetic(t, db, 200)
			if err := db.Analyze(context.Background()); err != nil {
				t.Fatal(err)
			}
			c := testenv.NewClient(t, db)
			for _, field := range []string{"PUBLISHED_AT", "TITLE", "RATING_AVERAGE", "ENROLLMENT_COUNT"} {
				r := c.Query(`query($field: CourseOrderField!) { courses(first: 10, where: {level: BEGINNER},
					orderBy: [{field: $field, direction: DESC}]) { totalCount edges { node { id } } } }`, map[string]any{"field": field})
				var out struct{ Courses struct{ TotalCount int } }
				r.Decode(t, &out)
				if out.Courses.TotalCount == 0 {
					t.Fatalf("no BEGINNER course in the synthetic catalogue")
				}
				for _, q := range r.Extensions.Debug.SQLQueries {
					if !strings.Contains(q, "ORDER BY") {
						continue
					}
					args := make([]any, strings.Count(q, "?"))
					for i := range args {
						args[i] = "BEGINNER"
					}
					plan := testenv.SQLitePlan(t, db.SQL, q, args...)
					joined := strings.Join(plan, "; ")
					if strings.Contains(joined, "course_status_level") || strings.Contains(joined, "TEMP B-TREE FOR ORDER BY") {
						t.Errorf("ordered by %s, the page sorts the level's courses: %s\n%s", field, joined, q)
					}
				}
			}
		})

		// The staff lookup reads instructors only for a document that
		// shows them.
		t.Run("StaffLookupReadsTheRolesShown", func(t *testing.T) {
			t.Parallel()
			db := testenv.Open(t, db.Dialect)
			seedSynthetic(t, db, 5)
			c := testenv.NewClient(t, db)
			for doc, want := range map[string]bool{
				`{ courses(first: 5) { edges { node { owner { displayName } } } } }`:                            false,
				`{ courses(first: 5) { edges { node { instructors { displayName } } } } }`:                      true,
				`{ courses(first: 5) { edges { node { owner { id } instructors { displayName } } } } }`:         true,
				`{ courses(first: 5) { edges { node { ...C } } } } fragment C on Course { instructors { id } }`: true,
			} {
				r := c.Query(doc, nil)
				r.Decode(t, &struct{}{})
				staff := slices.IndexFunc(r.Extensions.Debug.SQLQueries, func(q string) bool { return strings.Contains(q, "'OWNER'") })
				if staff < 0 {
					t.Fatalf("%s: no staff lookup:%s", doc, statementSummary(r))
				}
				if got := strings.Contains(r.Extensions.Debug.SQLQueries[staff], "'INSTRUCTOR'"); got != want {
					t.Errorf("%s: instructors read: %v, want %v:\n%s", doc, got, want, r.Extensions.Debug.SQLQueries[staff])
				}
			}
		})

		// A lesson's hand-resolved fields (body, lockedReason) do not make
		// a page read every lesson column: a page marking locked lessons
		// reads no body, and one showing bodies reads no timestamps; both
		// read what the body's access rule decides on.
		t.Run("LessonListsReadOnlyWhatTheyShow", func(t *testing.T) {
			t.Parallel()
			db := testenv.Open(t, db.Dialect)
			testenv.Seeded(t, db)
			c := testenv.NewClient(t, db)
			for _, tc := range []struct{ doc, want string }{
				{`query($slug: String!) { course(slug: $slug) { sections { lessons { title lockedReason } } } }`,
					"id course_id section_id title access"},
				{`query($slug: String!) { course(slug: $slug) { sections { lessons { ...L } } } }
				  fragment L on Node { id ... on Lesson { body } }`, "id course_id section_id body access"},
				{`query($slug: String!) { courses(first: 5) { edges { node { sections { lessons { slug body } } } } }
				  course(slug: $slug) { sections { a: lessons { position } b: lessons { lockedReason } } } }`,
					// The aliases load apart; a plan serves the whole course
					// field, so the second one reads the first one's column.
					"id course_id section_id position access | id course_id section_id slug body access | id position section_id"},
			} {
				r := c.Query(tc.doc, map[string]any{"slug": graphqlCourse})
				r.Decode(t, &struct{}{})
				var read []string
				for _, stmt := range r.Extensions.Debug.SQLQueries {
					if cols, ok := columnsRead(db, stmt, "lessons"); ok {
						read = append(read, strings.Join(cols, " "))
					}
				}
				slices.Sort(read) // root fields run concurrently
				if got := strings.Join(read, " | "); got != tc.want {
					t.Errorf("%s\nread lesson columns %q, want %q", tc.doc, got, tc.want)
				}
			}
		})

		// The course page: the course, then one statement per list on it:
		// sections, lessons, FAQ, tags, the first reviews (one windowed
		// statement), the reviews' authors, and the staff with their users.
		t.Run("CoursePage", func(t *testing.T) {
			t.Parallel()
			db := testenv.Open(t, db.Dialect)
			testenv.Seeded(t, db)
			c := testenv.NewClient(t, db)
			want := []string{"courses", "faq_entries", "lessons", "reviews", "sections", "tags", "users", "users"}
			for _, slug := range []string{graphqlCourse, backendCourse} {
				r := c.Query(courseDetailDoc, map[string]any{"slug": slug})
				var out struct {
					Course *struct {
						Sections []struct{ Lessons []struct{ Title string } }
						Reviews  struct {
							Edges []struct {
								Node struct{ Author struct{ DisplayName string } }
							}
						}
					}
				}
				r.Decode(t, &out)
				if out.Course == nil || len(out.Course.Sections) == 0 || len(out.Course.Reviews.Edges) == 0 {
					t.Fatalf("%s: course page is missing parts: %s", slug, r.Data)
				}
				if got := r.Extensions.Debug.SQLQueryCount; got != len(want) {
					t.Errorf("%s: %d statements, want %d:%s", slug, got, len(want), statementSummary(r))
				}
				if got := tablesRead(t, r); !slices.Equal(got, want) {
					t.Errorf("%s: read tables %v, want %v", slug, got, want)
				}
				// The row rules' constants are in the statements' text, so
				// PostgreSQL's plan for a prepared statement, made once for
				// any parameters, knows them (internal/database/pgstmts.go).
				for _, stmt := range r.Extensions.Debug.SQLQueries {
					if m := statusParameter.FindString(stmt); m != "" {
						t.Errorf("%s: a status passed as a parameter (%s):\n%s", slug, m, stmt)
					}
				}
			}
		})

		t.Run("NodesCostOneStatementPerType", func(t *testing.T) {
			t.Parallel()
			db := testenv.Open(t, db.Dialect)
			testenv.Seeded(t, db)
			c := testenv.NewClient(t, db)
			var lessons, tags, users []string
			add := func(list *[]string, id string) {
				if !slices.Contains(*list, id) {
					*list = append(*list, id)
				}
			}
			for _, slug := range []string{pgCourse, graphqlCourse} {
				var out struct {
					Course struct {
						Sections    []struct{ Lessons []struct{ ID string } }
						Tags        []struct{ ID string }
						Instructors []struct{ ID string }
					}
				}
				c.Query(`query($s: String!) { course(slug: $s) { sections { lessons { id } } tags { id } instructors { id } } }`,
					map[string]any{"s": slug}).Decode(t, &out)
				for _, s := range out.Course.Sections {
					add(&lessons, s.Lessons[0].ID)
				}
				for _, tag := range out.Course.Tags {
					add(&tags, tag.ID)
				}
				for _, u := range out.Course.Instructors {
					add(&users, u.ID)
				}
			}
			if len(lessons) < 4 || len(tags) < 3 || len(users) < 3 {
				t.Fatalf("collected %d lessons, %d tags, %d users", len(lessons), len(tags), len(users))
			}
			// 10 IDs of three types, interleaved.
			ids := []string{lessons[0], tags[0], users[0], lessons[1], tags[1], users[1], lessons[2], tags[2], users[2], lessons[3]}
			r := c.Query(`query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }`, map[string]any{"ids": ids})
			var out struct {
				Nodes []*struct {
					ID       string `json:"id"`
					Typename string `json:"__typename"`
				}
			}
			r.Decode(t, &out)
			types := map[string]int{}
			for i, n := range out.Nodes {
				if n == nil || n.ID != ids[i] {
					t.Fatalf("nodes[%d] = %+v, want %s", i, n, ids[i])
				}
				types[n.Typename]++
			}
			if len(types) != 3 {
				t.Fatalf("IDs span types %v, want three", types)
			}
			if got := r.Extensions.Debug.SQLQueryCount; got != len(types) {
				t.Errorf("nodes(ids:) of %d IDs in %d types ran %d statements, want one per type:%s", len(ids), len(types), got, statementSummary(r))
			}
			tables := tablesRead(t, r)
			if len(slices.Compact(slices.Clone(tables))) != len(tables) {
				t.Errorf("a table was read twice: %v", tables)
			}
		})
	})
}

// giveCoversAndAvatars gives every course a READY cover and every user a
// READY avatar, as completed uploads leave them.
func giveCoversAndAvatars(t *testing.T, db *database.DB) {
	t.Helper()
	ctx := viewer.SystemContext(context.Background())
	ready := func(owner uuid.UUID, purpose asset.Purpose) *ent.AssetCreate {
		id := uuid.New()
		return db.Ent.Asset.Create().SetID(id).SetOwnerID(owner).SetPurpose(purpose).SetStatus(asset.StatusREADY).
			SetFilename("image.png").SetDeclaredType("image/png").SetContentType("image/png").SetByteSize(1000).
			SetChecksumSha256(strings.Repeat("0", 64)).SetObjectKey("uploads/" + id.String()).
			SetUploadExpiresAt(testenv.Now).SetAttachedAt(testenv.Now).
			SetRenditions([]schematype.Rendition{{Width: 320, Height: 160, ContentType: "image/jpeg", Bytes: 100,
				Key: "public/" + id.String() + "/" + strings.Repeat("a", 64) + ".jpg"}})
	}
	users, err := db.Ent.User.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		a := ready(u.ID, asset.PurposeAVATAR).SaveX(ctx)
		db.Ent.User.UpdateOne(u).SetAvatarID(a.ID).ExecX(ctx)
	}
	courses, err := db.Ent.Course.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range courses {
		a := ready(users[0].ID, asset.PurposeCOURSE_COVER).SetCourseID(c.ID).SaveX(ctx)
		db.Ent.Course.UpdateOne(c).SetCoverID(a.ID).ExecX(ctx)
	}
}

package schema_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/ent/schema"
	"lectern/ent/section"
	"lectern/internal/database"
	"lectern/internal/seed"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// recorder keeps the statements a client sends, with their arguments.
type recorder struct {
	dialect.Driver
	mu    sync.Mutex
	stmts []recorded
}

type recorded struct {
	query string
	args  []any
}

func (r *recorder) Query(ctx context.Context, query string, args, v any) error {
	r.mu.Lock()
	a, _ := args.([]any)
	r.stmts = append(r.stmts, recorded{query, a})
	r.mu.Unlock()
	return r.Driver.Query(ctx, query, args, v)
}

// recordedCatalogue is a database of the dialect holding n synthetic
// courses, analysed as a bulk load leaves it, and a caller's client on it
// (the row rules installed) whose statements rec keeps.
func recordedCatalogue(t *testing.T, dia string, n int) (*database.DB, *recorder, *ent.Client) {
	t.Helper()
	db := testenv.Open(t, dia)
	ctx := context.Background()
	if err := seed.Synthetic(ctx, db.Ent, n, 42, testenv.Now); err != nil {
		t.Fatal(err)
	}
	if err := db.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Driver: entsql.OpenDB(dia, db.SQL)}
	client := ent.NewClient(ent.Driver(rec))
	schema.Install(client, nil)
	return db, rec, client
}

// TestSignedInCoursePagePlansOnce runs the statements of a signed-in
// learner's course page the way Lectern's pool does on PostgreSQL
// (prepared, many times on one connection) and requires PostgreSQL to
// settle on a generic plan for each: a statement whose generic plan is
// estimated dearer than its custom ones is planned anew on every run, and
// for these small reads planning costs more than running them. The row
// rules decide most of each statement, so this is where a rule's shape
// shows: with the staff test inside the course EXISTS, the lessons were
// planned on every run.
func TestSignedInCoursePagePlansOnce(t *testing.T) {
	db, rec, client := recordedCatalogue(t, database.Postgres, 300)
	ctx := context.Background()
	sys := viewer.SystemContext(ctx)
	e := db.Ent.Enrollment.Query().Where(enrollment.StatusEQ(enrollment.StatusACTIVE)).FirstX(sys)
	slug := db.Ent.Course.GetX(sys, e.CourseID).Slug

	learner := viewer.NewContext(ctx, viewer.Viewer{UserID: e.UserID, Role: viewer.RoleLearner, Credential: viewer.CredentialSessionToken})
	c := client.Course.Query().Where(course.Slug(slug)).
		WithSections(func(q *ent.SectionQuery) {
			q.Order(ent.Asc(section.FieldPosition), ent.Asc(section.FieldID)).
				WithLessons(func(q *ent.LessonQuery) { q.Order(ent.Asc(lesson.FieldPosition), ent.Asc(lesson.FieldID)) })
		}).OnlyX(learner)
	if len(c.Edges.Sections) == 0 || len(c.Edges.Sections[0].Edges.Lessons) == 0 {
		t.Fatalf("course %s shows no sections or lessons", slug)
	}
	client.Enrollment.Query().Where(enrollment.UserID(e.UserID), enrollment.CourseIDIn(c.ID)).AllX(learner)
	if len(rec.stmts) != 4 {
		t.Fatalf("recorded %d statements, want 4 (course, sections, lessons, enrolment)", len(rec.stmts))
	}

	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range rec.stmts {
		// The pool's connections keep what they run prepared (see
		// internal/database/pgstmts.go): this runs one statement many
		// times, as a busy connection would.
		for range 8 {
			rows, err := conn.QueryContext(ctx, s.query, s.args...)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
		}
		var generic, custom int
		if err := conn.QueryRowContext(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1`,
			s.query).Scan(&generic, &custom); err != nil {
			t.Fatalf("no prepared statement for %s: %v", s.query, err)
		}
		// PostgreSQL plans the first five runs for their values, then
		// keeps the generic plan if it is estimated no dearer.
		if generic == 0 {
			t.Errorf("planned on every run (%d custom plans, no generic one):\n%s", custom, s.query)
		}
	}
	if !slices.ContainsFunc(rec.stmts, func(s recorded) bool { return len(s.args) > 0 }) {
		t.Error("no statement had parameters: the test no longer exercises generic plans")
	}
}

// TestSignedInCataloguePagesReadThePageOnly: a signed-in caller's
// catalogue may hold courses of any status (those they teach), so it
// cannot be read from the (status, field) indexes; ordered by any of the
// catalogue's sort fields, a page must still read about its own rows, not
// sort the whole catalogue.
func TestSignedInCataloguePagesReadThePageOnly(t *testing.T) {
	db, rec, client := recordedCatalogue(t, database.Postgres, 400)
	ctx := context.Background()
	teacher := db.Ent.CourseMember.Query().FirstX(viewer.SystemContext(ctx)).UserID
	const page = 20
	for _, field := range []string{course.FieldPublishedAt, course.FieldTitle, course.FieldRatingAverage, course.FieldEnrollmentCount} {
		rec.stmts = nil
		as := viewer.NewContext(ctx, viewer.Viewer{UserID: teacher, Role: viewer.RoleInstructor, Credential: viewer.CredentialCookie})
		client.Course.Query().Order(ent.Desc(field), ent.Asc(course.FieldID)).Limit(page + 1).AllX(as)
		s := rec.stmts[0]
		plan, out := explain(t, db, s)
		if read := plan.rowsOf("courses"); read > 3*page {
			t.Errorf("ordered by %s, a page of %d read %d courses:\n%s\n%s", field, page, read, s.query, out)
		}
	}
}

// TestCourseOutlinesReadTheIndexOnly: the lessons of a page of course
// outlines (titles and slugs, and what marks a lesson locked) come from
// the index on (section_id, position) alone, on a database that a bulk
// load left analysed: the table's rows hold the bodies, and reading them
// was most of the nested catalogue page's database time.
func TestCourseOutlinesReadTheIndexOnly(t *testing.T) {
	db, rec, client := recordedCatalogue(t, database.Postgres, 300)
	ctx := context.Background()
	client.Course.Query().Where(course.StatusEQ(course.StatusPUBLISHED)).
		Order(ent.Desc(course.FieldPublishedAt), ent.Asc(course.FieldID)).Limit(20).
		WithSections(func(q *ent.SectionQuery) {
			q.Order(ent.Asc(section.FieldPosition), ent.Asc(section.FieldID)).
				WithLessons(func(q *ent.LessonQuery) {
					q.Select(lesson.FieldTitle, lesson.FieldSlug, lesson.FieldAccess, lesson.FieldCourseID).
						Order(ent.Asc(lesson.FieldPosition), ent.Asc(lesson.FieldID))
				})
		}).AllX(ctx)
	i := slices.IndexFunc(rec.stmts, func(s recorded) bool { return strings.Contains(s.query, `FROM "lessons"`) })
	if i < 0 {
		t.Fatalf("no statement read the lessons: %v", rec.stmts)
	}
	s := rec.stmts[i]
	plan, out := explain(t, db, s)
	scans := plan.scansOf("lessons")
	if len(scans) != 1 || scans[0].Type != "Index Only Scan" || scans[0].Index != "lesson_section_id_position" || scans[0].HeapFetches != 0 {
		t.Errorf("the outline's lessons were not read from the index alone (scans %+v):\n%s\n%s", scans, s.query, out)
	}
}

// TestOutlinesNeedNoSort: the sections of a page of courses, and their
// lessons, are asked for in the order of the (parent, position) indexes
// that find them, so SQLite lists them without sorting. Ordered by
// position alone, every such read built and sorted a temporary B-tree of
// its rows (the nested catalogue page's lessons query ran about a quarter
// more SQLite VM steps); the order within each parent is the same.
func TestOutlinesNeedNoSort(t *testing.T) {
	db, rec, client := recordedCatalogue(t, database.SQLite, 60)
	ctx := context.Background()
	courses := client.Course.Query().Where(course.StatusEQ(course.StatusPUBLISHED)).
		Order(ent.Desc(course.FieldPublishedAt), ent.Asc(course.FieldID)).Limit(20).
		WithSections(func(q *ent.SectionQuery) { q.WithLessons() }).AllX(ctx)
	lessons := 0
	for _, c := range courses {
		for i, sec := range c.Edges.Sections {
			if i > 0 && sec.Position <= c.Edges.Sections[i-1].Position {
				t.Errorf("course %s: section %d at position %d after %d", c.Slug, i, sec.Position, c.Edges.Sections[i-1].Position)
			}
			for j, l := range sec.Edges.Lessons {
				if j > 0 && l.Position <= sec.Edges.Lessons[j-1].Position {
					t.Errorf("section %s: lesson %d at position %d after %d", sec.ID, j, l.Position, sec.Edges.Lessons[j-1].Position)
				}
				lessons++
			}
		}
	}
	if lessons == 0 {
		t.Fatal("the page shows no lessons: the test no longer exercises the outline")
	}
	for _, table := range []string{"sections", "lessons"} {
		i := slices.IndexFunc(rec.stmts, func(s recorded) bool { return strings.Contains(s.query, "FROM `"+table+"`") })
		if i < 0 {
			t.Fatalf("no statement read the %s: %v", table, rec.stmts)
		}
		s := rec.stmts[i]
		plan := testenv.SQLitePlan(t, db.SQL, s.query, s.args...)
		if slices.ContainsFunc(plan, func(d string) bool { return strings.Contains(d, "TEMP B-TREE") }) {
			t.Errorf("the %s are sorted after they are read:\n%s\n%s", table, s.query, strings.Join(plan, "\n"))
		}
	}
}

// explain runs s under EXPLAIN (ANALYZE) and returns its plan's root, and
// the plan as PostgreSQL wrote it (JSON), for messages.
func explain(t *testing.T, db *database.DB, s recorded) (planNode, []byte) {
	t.Helper()
	var plan []struct{ Plan planNode }
	var out []byte
	if err := db.SQL.QueryRowContext(context.Background(), "EXPLAIN (ANALYZE, FORMAT JSON) "+s.query, s.args...).Scan(&out); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &plan); err != nil || len(plan) != 1 {
		t.Fatalf("plan: %v: %s", err, out)
	}
	return plan[0].Plan, out
}

// planNode is a node of PostgreSQL's JSON plan.
type planNode struct {
	Type        string     `json:"Node Type"`
	Index       string     `json:"Index Name"`
	HeapFetches float64    `json:"Heap Fetches"`
	Relation    string     `json:"Relation Name"`
	Rows        float64    `json:"Actual Rows"`
	Loops       float64    `json:"Actual Loops"`
	Removed     float64    `json:"Rows Removed by Filter"`
	Plans       []planNode `json:"Plans"`
}

// scansOf returns the plan's scans of table.
func (n planNode) scansOf(table string) []planNode {
	var scans []planNode
	if n.Relation == table {
		scans = append(scans, n)
	}
	for _, c := range n.Plans {
		scans = append(scans, c.scansOf(table)...)
	}
	return scans
}

// rowsOf is how many rows of table the plan's scans read, kept or
// filtered out.
func (n planNode) rowsOf(table string) int {
	total := 0.0
	if n.Relation == table {
		total += (n.Rows + n.Removed) * n.Loops
	}
	for _, c := range n.Plans {
		total += float64(c.rowsOf(table))
	}
	return int(total)
}

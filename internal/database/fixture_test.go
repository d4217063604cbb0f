package database_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/internal/database"
)

// row is one raw row: column name to value (nil is NULL).
type row map[string]any

// fixture writes rows with plain SQL, so the database alone judges them:
// no ent validator, hook or default stands in between.
type fixture struct {
	t   *testing.T
	db  *database.DB
	now time.Time
}

func newFixture(t *testing.T, db *database.DB) *fixture {
	return &fixture{t: t, db: db, now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
}

// try inserts r into table and returns the database's answer. Placeholders
// are $n, which PostgreSQL and SQLite both accept.
func (f *fixture) try(table string, r row) error {
	cols := slices.Sorted(maps.Keys(r))
	marks := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		marks[i] = fmt.Sprintf("$%d", i+1)
		args[i] = r[c]
		cols[i] = `"` + c + `"`
	}
	q := `INSERT INTO "` + table + `" (` + strings.Join(cols, ", ") + `) VALUES (` + strings.Join(marks, ", ") + `)`
	_, err := f.db.SQL.ExecContext(context.Background(), q, args...)
	return err
}

// insert inserts r, failing the test if the database refuses it, and
// returns its id.
func (f *fixture) insert(table string, r row) uuid.UUID {
	f.t.Helper()
	if err := f.try(table, r); err != nil {
		f.t.Fatalf("insert into %s %v: %v", table, r, err)
	}
	id, _ := r["id"].(uuid.UUID)
	return id
}

// exec runs a raw statement and returns the database's answer.
func (f *fixture) exec(q string, args ...any) error {
	_, err := f.db.SQL.ExecContext(context.Background(), q, args...)
	return err
}

// count returns the number of rows of table matching where (with args).
func (f *fixture) count(table, where string, args ...any) int {
	f.t.Helper()
	var n int
	q := `SELECT COUNT(*) FROM "` + table + `" WHERE ` + where
	if err := f.db.SQL.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func with(base, over row) row {
	out := maps.Clone(base)
	maps.Copy(out, over)
	return out
}

func (f *fixture) stamps() row {
	return row{"id": uuid.New(), "created_at": f.now, "updated_at": f.now}
}

func (f *fixture) userRow(email string) row {
	return with(f.stamps(), row{"email": email, "display_name": "Someone", "bio": "", "role": "LEARNER"})
}

func (f *fixture) courseRow(slug string) row {
	return with(f.stamps(), row{
		"slug": slug, "title": "A course", "summary": "", "description": "", "level": "BEGINNER",
		"language": "en", "status": "PUBLISHED", "published_at": f.now,
		"requirements": "[]", "takeaways": "[]",
		"enrollment_count": 0, "lesson_count": 0, "rating_count": 0, "rating_sum": 0, "rating_average": 0.0,
	})
}

func (f *fixture) sectionRow(course uuid.UUID, position int) row {
	return with(f.stamps(), row{"course_id": course, "title": "A section", "position": position})
}

func (f *fixture) lessonRow(course, section uuid.UUID, slug string, position int) row {
	return with(f.stamps(), row{
		"course_id": course, "section_id": section, "slug": slug, "title": "A lesson", "body": "",
		"reading_minutes": 1, "position": position, "status": "PUBLISHED", "access": "ENROLLED",
		"published_at": f.now,
	})
}

func (f *fixture) enrollmentRow(user, course uuid.UUID) row {
	return with(f.stamps(), row{"user_id": user, "course_id": course, "status": "ACTIVE", "completed_lesson_count": 0})
}

func (f *fixture) reviewRow(user, course uuid.UUID, rating int) row {
	return with(f.stamps(), row{"user_id": user, "course_id": course, "rating": rating, "body": ""})
}

func (f *fixture) memberRow(course, user uuid.UUID, role string) row {
	return with(f.stamps(), row{"course_id": course, "user_id": user, "role": role})
}

func (f *fixture) faqRow(course uuid.UUID, position int) row {
	return with(f.stamps(), row{"course_id": course, "question": "Why?", "answer": "Because.", "position": position})
}

func (f *fixture) tagRow(slug string) row {
	return with(f.stamps(), row{"slug": slug, "name": "A tag"})
}

func (f *fixture) progressRow(enrollment, lesson uuid.UUID) row {
	return row{"id": uuid.New(), "enrollment_id": enrollment, "lesson_id": lesson, "completed_at": f.now}
}

// courseGraph is a course with one of everything that hangs off it.
type courseGraph struct {
	course, owner, section, lesson, tag uuid.UUID
}

// courseWithContent inserts a course with an owner, a section, a lesson, an
// FAQ entry and a tag.
func (f *fixture) courseWithContent(slug string) courseGraph {
	f.t.Helper()
	var g courseGraph
	g.owner = f.insert("users", f.userRow("owner-of-"+slug+"@example.com"))
	g.course = f.insert("courses", f.courseRow(slug))
	f.insert("course_members", f.memberRow(g.course, g.owner, "OWNER"))
	g.section = f.insert("sections", f.sectionRow(g.course, 0))
	g.lesson = f.insert("lessons", f.lessonRow(g.course, g.section, "intro", 0))
	f.insert("faq_entries", f.faqRow(g.course, 0))
	g.tag = f.insert("tags", f.tagRow("tag-of-"+slug))
	f.insert("course_tags", row{"course_id": g.course, "tag_id": g.tag})
	return g
}

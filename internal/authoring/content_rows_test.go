package authoring_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/faqentry"
	"lectern/ent/lesson"
	"lectern/ent/lessonprogress"
	"lectern/ent/section"
	"lectern/internal/gid"
)

func rowID(t testing.TB, globalID string) uuid.UUID {
	t.Helper()
	id, err := gid.Parse(globalID)
	if err != nil {
		t.Fatalf("%q is not a global ID: %v", globalID, err)
	}
	return id.UUID
}

func randomGID(typ string) string { return gid.New(typ, uuid.New()).String() }

func (e *env) sectionRow(t testing.TB, globalID string) *ent.Section {
	t.Helper()
	s, err := e.db.Ent.Section.Get(sys(), rowID(t, globalID))
	if err != nil {
		t.Fatalf("section %s: %v", globalID, err)
	}
	return s
}

func (e *env) lessonRow(t testing.TB, globalID string) *ent.Lesson {
	t.Helper()
	l, err := e.db.Ent.Lesson.Get(sys(), rowID(t, globalID))
	if err != nil {
		t.Fatalf("lesson %s: %v", globalID, err)
	}
	return l
}

func (e *env) faqRow(t testing.TB, globalID string) *ent.FAQEntry {
	t.Helper()
	f, err := e.db.Ent.FAQEntry.Get(sys(), rowID(t, globalID))
	if err != nil {
		t.Fatalf("FAQ entry %s: %v", globalID, err)
	}
	return f
}

// exists reports whether the section, lesson or FAQ entry is stored.
func (e *env) exists(t testing.TB, globalID string) bool {
	t.Helper()
	id, err := gid.Parse(globalID)
	if err != nil {
		t.Fatal(err)
	}
	var ok bool
	switch id.Type {
	case "Section":
		ok, err = e.db.Ent.Section.Query().Where(section.ID(id.UUID)).Exist(sys())
	case "Lesson":
		ok, err = e.db.Ent.Lesson.Query().Where(lesson.ID(id.UUID)).Exist(sys())
	case "FAQEntry":
		ok, err = e.db.Ent.FAQEntry.Query().Where(faqentry.ID(id.UUID)).Exist(sys())
	default:
		t.Fatalf("exists: unexpected type %s", id.Type)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// storedLessons counts a course's stored lessons, drafts included.
func (e *env) storedLessons(t testing.TB, courseID uuid.UUID) int {
	t.Helper()
	n, err := e.db.Ent.Lesson.Query().Where(lesson.CourseID(courseID)).Count(sys())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// progressOn counts learners' stored progress rows on the lessons.
func (e *env) progressOn(t testing.TB, lessonIDs ...string) int {
	t.Helper()
	ids := make([]uuid.UUID, len(lessonIDs))
	for i, s := range lessonIDs {
		ids[i] = rowID(t, s)
	}
	n, err := e.db.Ent.LessonProgress.Query().Where(lessonprogress.LessonIDIn(ids...)).Count(sys())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// contentSnapshot renders every stored row of a course's content and its
// counter, so that a refused write can be shown to have changed nothing.
func (e *env) contentSnapshot(t testing.TB, courseID uuid.UUID) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "lessonCount %d\n", e.courseByID(t, courseID).LessonCount)
	secs, err := e.db.Ent.Section.Query().Where(section.CourseID(courseID)).Order(ent.Asc(section.FieldPosition)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secs {
		fmt.Fprintf(&b, "section %s @%d %q\n", s.ID, s.Position, s.Title)
	}
	lessons, err := e.db.Ent.Lesson.Query().Where(lesson.CourseID(courseID)).
		Order(ent.Asc(lesson.FieldSectionID), ent.Asc(lesson.FieldPosition)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lessons {
		fmt.Fprintf(&b, "lesson %s in %s @%d %s %s %q %q body %q published %v\n", l.ID, l.SectionID, l.Position,
			l.Status, l.Access, l.Slug, l.Title, l.Body, l.PublishedAt != nil)
	}
	faq, err := e.db.Ent.FAQEntry.Query().Where(faqentry.CourseID(courseID)).Order(ent.Asc(faqentry.FieldPosition)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range faq {
		fmt.Fprintf(&b, "faq %s @%d %q %q\n", f.ID, f.Position, f.Question, f.Answer)
	}
	return b.String()
}

// names labels rows so that expected layouts read like the steps that
// built them.
type names map[uuid.UUID]string

// label names the row behind globalID and returns globalID.
func (n names) label(t testing.TB, globalID, name string) string {
	t.Helper()
	n[rowID(t, globalID)] = name
	return globalID
}

func (n names) of(id uuid.UUID) string {
	if s, ok := n[id]; ok {
		return s
	}
	return "?" + id.String()[:8]
}

// layout renders sections given as "name: lesson lesson …" in the form
// "name@0[lesson@0 lesson@1] name@1[]", so that comparing one string checks
// both the order and that positions are exactly 0..n-1.
func layout(sections ...string) string {
	parts := make([]string, len(sections))
	for i, s := range sections {
		name, lessons, _ := strings.Cut(s, ":")
		parts[i] = fmt.Sprintf("%s@%d[%s]", strings.TrimSpace(name), i, inOrder(strings.Fields(lessons)...))
	}
	return strings.Join(parts, " ")
}

// inOrder renders names as "a@0 b@1 …".
func inOrder(names ...string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s@%d", n, i)
	}
	return strings.Join(parts, " ")
}

// outline compares one course's content layout, as stored and as GraphQL
// returns it to viewer, with an expected one.
type outline struct {
	e      *env
	viewer *caller
	slug   string
	id     uuid.UUID
	names  names
}

// require fails unless the course's sections, their lessons and its FAQ
// entries are in the given order with positions 0..n-1 everywhere.
func (o outline) require(t testing.TB, step string, sections, faq []string) {
	t.Helper()
	wantSections, wantFAQ := layout(sections...), inOrder(faq...)
	if got := o.storedSections(t); got != wantSections {
		t.Fatalf("%s: stored sections\n  %s\nwant\n  %s", step, got, wantSections)
	}
	if got := o.storedFAQ(t); got != wantFAQ {
		t.Fatalf("%s: stored FAQ\n  %s\nwant\n  %s", step, got, wantFAQ)
	}
	gotSections, gotFAQ := o.shown(t)
	if gotSections != wantSections {
		t.Fatalf("%s: GraphQL sections\n  %s\nwant\n  %s", step, gotSections, wantSections)
	}
	if gotFAQ != wantFAQ {
		t.Fatalf("%s: GraphQL FAQ\n  %s\nwant\n  %s", step, gotFAQ, wantFAQ)
	}
}

func (o outline) storedSections(t testing.TB) string {
	t.Helper()
	db := o.e.db.Ent
	secs, err := db.Section.Query().Where(section.CourseID(o.id)).Order(ent.Asc(section.FieldPosition)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	parts := make([]string, len(secs))
	listed := 0
	for i, s := range secs {
		lessons, err := db.Lesson.Query().Where(lesson.SectionID(s.ID)).Order(ent.Asc(lesson.FieldPosition)).All(sys())
		if err != nil {
			t.Fatal(err)
		}
		ls := make([]string, len(lessons))
		for j, l := range lessons {
			ls[j] = fmt.Sprintf("%s@%d", o.names.of(l.ID), l.Position)
			if l.CourseID != o.id {
				ls[j] += "(of another course)"
			}
		}
		listed += len(lessons)
		parts[i] = fmt.Sprintf("%s@%d[%s]", o.names.of(s.ID), s.Position, strings.Join(ls, " "))
	}
	out := strings.Join(parts, " ")
	// A lesson of the course in some other course's section would not be
	// listed above.
	if n := o.e.storedLessons(t, o.id); n != listed {
		out += fmt.Sprintf(" +%d lessons outside the course's sections", n-listed)
	}
	return out
}

func (o outline) storedFAQ(t testing.TB) string {
	t.Helper()
	faq, err := o.e.db.Ent.FAQEntry.Query().Where(faqentry.CourseID(o.id)).Order(ent.Asc(faqentry.FieldPosition)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	parts := make([]string, len(faq))
	for i, f := range faq {
		parts[i] = fmt.Sprintf("%s@%d", o.names.of(f.ID), f.Position)
	}
	return strings.Join(parts, " ")
}

// shown renders the layout in the order GraphQL returns it, with the
// positions it reports.
func (o outline) shown(t testing.TB) (sections, faq string) {
	t.Helper()
	type item struct {
		ID       string
		Position int
	}
	var out struct {
		Course *struct {
			Sections []struct {
				ID       string
				Position int
				Lessons  []item
			}
			Faq []item
		}
	}
	o.viewer.Query(t, `query($s: String!) { course(slug: $s) { sections { id position lessons { id position } } faq { id position } } }`,
		map[string]any{"s": o.slug}).Decode(t, &out)
	if out.Course == nil {
		t.Fatalf("%s cannot see %s", o.viewer.Email, o.slug)
	}
	render := func(items []item) string {
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = fmt.Sprintf("%s@%d", o.names.of(rowID(t, it.ID)), it.Position)
		}
		return strings.Join(parts, " ")
	}
	parts := make([]string, len(out.Course.Sections))
	for i, s := range out.Course.Sections {
		parts[i] = fmt.Sprintf("%s@%d[%s]", o.names.of(rowID(t, s.ID)), s.Position, render(s.Lessons))
	}
	return strings.Join(parts, " "), render(out.Course.Faq)
}

package authoring_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/enrollment"
)

// The content mutations and reads, as a client of graph/authoring.graphqls
// sends them.

// Content mutations, selecting everything the tests look at.
const (
	userErrorSelection = `userErrors { code field message }`
	sectionSelection   = `section { id title position course { id } lessons { id position } } ` + userErrorSelection
	lessonSelection    = `lesson { id slug title status access readingMinutes position publishedAt section { id }
		course { id lessonCount } } ` + userErrorSelection
	faqSelection    = `faqEntry { id question answer position } ` + userErrorSelection
	deleteSelection = `deletedId ` + userErrorSelection
)

var (
	createSection  = contentOp("createSection", "CreateSectionInput", sectionSelection)
	updateSection  = contentOp("updateSection", "UpdateSectionInput", sectionSelection)
	moveSection    = contentOp("moveSection", "MoveInput", sectionSelection)
	deleteSection  = contentIDOp("deleteSection", deleteSelection)
	createLesson   = contentOp("createLesson", "CreateLessonInput", lessonSelection)
	updateLesson   = contentOp("updateLesson", "UpdateLessonInput", lessonSelection)
	moveLesson     = contentOp("moveLesson", "MoveLessonInput", lessonSelection)
	deleteLesson   = contentIDOp("deleteLesson", deleteSelection)
	publishLesson  = contentIDOp("publishLesson", lessonSelection)
	createFaqEntry = contentOp("createFaqEntry", "CreateFAQEntryInput", faqSelection)
	updateFaqEntry = contentOp("updateFaqEntry", "UpdateFAQEntryInput", faqSelection)
	moveFaqEntry   = contentOp("moveFaqEntry", "MoveInput", faqSelection)
	deleteFaqEntry = contentIDOp("deleteFaqEntry", deleteSelection)
)

func contentOp(field, inputType, selection string) op {
	return op{field, fmt.Sprintf(`mutation($input: %s!) { %s(input: $input) { %s } }`, inputType, field, selection)}
}

func contentIDOp(field, selection string) op {
	return op{field, fmt.Sprintf(`mutation($id: ID!) { %s(id: $id) { %s } }`, field, selection)}
}

type sectionOut struct {
	ID       string
	Title    string
	Position int
	Course   struct{ ID string }
	Lessons  []struct {
		ID       string
		Position int
	}
}

type lessonOut struct {
	ID, Slug, Title, Status, Access string
	ReadingMinutes, Position        int
	PublishedAt                     *time.Time
	Section                         struct{ ID string }
	Course                          struct {
		ID          string
		LessonCount int
	}
}

type faqOut struct {
	ID, Question, Answer string
	Position             int
}

// contentPayload is any content mutation's payload, with its JSON as the
// server sent it.
type contentPayload struct {
	Section    *sectionOut
	Lesson     *lessonOut
	FaqEntry   *faqOut
	DeletedID  *string
	UserErrors []userError
	Raw        json.RawMessage `json:"-"`
}

// edit runs a content mutation as c and returns its payload, failing on
// GraphQL errors.
func (c *caller) edit(t testing.TB, o op, vars map[string]any) contentPayload {
	t.Helper()
	var data map[string]json.RawMessage
	c.Query(t, o.doc, vars).Decode(t, &data)
	var p contentPayload
	if err := json.Unmarshal(data[o.field], &p); err != nil {
		t.Fatalf("%s payload %s: %v", o.field, data[o.field], err)
	}
	p.Raw = data[o.field]
	return p
}

// requireDone fails when p carries user errors or nothing.
func requireDone(t testing.TB, what string, p contentPayload) contentPayload {
	t.Helper()
	if len(p.UserErrors) > 0 || (p.Section == nil && p.Lesson == nil && p.FaqEntry == nil && p.DeletedID == nil) {
		t.Fatalf("%s: want success, got %s", what, p.Raw)
	}
	return p
}

// requireDeleted fails unless p reports globalID deleted and it is gone.
func requireDeleted(t testing.TB, what string, p contentPayload, globalID string) {
	t.Helper()
	if len(p.UserErrors) > 0 || p.DeletedID == nil || *p.DeletedID != globalID {
		t.Fatalf("%s: want deletedId %s, got %s", what, globalID, p.Raw)
	}
}

// requireProblem fails unless p is exactly one user error with code at
// field and no object.
func requireProblem(t testing.TB, p contentPayload, code string, field ...string) {
	t.Helper()
	if len(p.UserErrors) != 1 || p.UserErrors[0].Code != code || !slices.Equal(p.UserErrors[0].Field, field) ||
		p.UserErrors[0].Message == "" {
		t.Fatalf("want user error %s at %q, got %s", code, field, p.Raw)
	}
	if p.Section != nil || p.Lesson != nil || p.FaqEntry != nil || p.DeletedID != nil {
		t.Fatalf("a %s user error comes with an object: %s", code, p.Raw)
	}
}

func (c *caller) newSection(t testing.TB, courseID, title string) *sectionOut {
	t.Helper()
	return requireDone(t, "createSection "+title, c.edit(t, createSection, input(map[string]any{"courseId": courseID, "title": title}))).Section
}

// newLesson creates a draft lesson titled after its slug; more adds fields.
func (c *caller) newLesson(t testing.TB, sectionID, slug string, more map[string]any) *lessonOut {
	t.Helper()
	in := map[string]any{"sectionId": sectionID, "title": "Lesson " + slug, "slug": slug}
	for k, v := range more {
		in[k] = v
	}
	return requireDone(t, "createLesson "+slug, c.edit(t, createLesson, input(in))).Lesson
}

func (c *caller) newFAQ(t testing.TB, courseID, question string) *faqOut {
	t.Helper()
	return requireDone(t, "createFaqEntry "+question, c.edit(t, createFaqEntry, input(map[string]any{"courseId": courseID,
		"question": question, "answer": "The answer to " + question}))).FaqEntry
}

func (c *caller) publish(t testing.TB, lessonID string) *lessonOut {
	t.Helper()
	l := requireDone(t, "publishLesson", c.edit(t, publishLesson, map[string]any{"id": lessonID})).Lesson
	if l.ID != lessonID || l.Status != "PUBLISHED" || l.PublishedAt == nil {
		t.Fatalf("published lesson: %+v", *l)
	}
	return l
}

func (c *caller) enroll(t testing.TB, courseID string) {
	t.Helper()
	var out struct {
		Enroll struct {
			Enrollment *struct{ Status string }
			UserErrors []userError
		}
	}
	c.Query(t, `mutation($id: ID!) { enroll(courseId: $id) { enrollment { status } userErrors { code field message } } }`,
		map[string]any{"id": courseID}).Decode(t, &out)
	if out.Enroll.Enrollment == nil || len(out.Enroll.UserErrors) > 0 {
		t.Fatalf("enroll: %+v", out.Enroll)
	}
}

func (c *caller) complete(t testing.TB, lessonID string) {
	t.Helper()
	var out struct {
		CompleteLesson struct {
			Enrollment *struct{ Status string }
			UserErrors []userError
		}
	}
	c.Query(t, `mutation($id: ID!) { completeLesson(lessonId: $id) { enrollment { status } userErrors { code field message } } }`,
		map[string]any{"id": lessonID}).Decode(t, &out)
	if out.CompleteLesson.Enrollment == nil || len(out.CompleteLesson.UserErrors) > 0 {
		t.Fatalf("completeLesson: %+v", out.CompleteLesson)
	}
}

// requireEnrolment checks c's enrolment in a course as c is shown it and
// as stored: its status, done lessons out of the course's published ones,
// and the progress and completion time that follow from them.
func (e *env) requireEnrolment(t testing.TB, c *caller, slug string, courseID uuid.UUID, status string, done, total int) {
	t.Helper()
	var out struct {
		Course *struct {
			LessonCount      int
			ViewerEnrollment *struct {
				Status               string
				CompletedAt          *time.Time
				CompletedLessonCount int
				Progress             float64
			}
		}
	}
	c.Query(t, `query($s: String!) { course(slug: $s) { lessonCount
		viewerEnrollment { status completedAt completedLessonCount progress } } }`, map[string]any{"s": slug}).Decode(t, &out)
	if out.Course == nil || out.Course.ViewerEnrollment == nil {
		t.Fatalf("%s is shown no enrolment in %s", c.Email, slug)
	}
	shown := out.Course.ViewerEnrollment
	if shown.Status != status || (shown.CompletedAt != nil) != (status == "COMPLETED") ||
		shown.CompletedLessonCount != done || out.Course.LessonCount != total ||
		math.Abs(shown.Progress-float64(done)/float64(total)) > 1e-9 {
		t.Fatalf("%s is shown lessonCount %d and enrolment %+v, want %s with %d of %d done", c.Email,
			out.Course.LessonCount, *shown, status, done, total)
	}
	row, err := e.db.Ent.Enrollment.Query().Where(enrollment.UserID(c.ID), enrollment.CourseID(courseID)).Only(sys())
	if err != nil {
		t.Fatalf("enrolment of %s: %v", c.Email, err)
	}
	if string(row.Status) != status || row.CompletedLessonCount != done || (row.CompletedAt != nil) != (status == "COMPLETED") {
		t.Fatalf("stored enrolment of %s: %+v, want %s with %d done", c.Email, row, status, done)
	}
	if n := e.courseByID(t, courseID).LessonCount; n != total {
		t.Fatalf("stored lessonCount %d, want %d", n, total)
	}
}

type shownLesson struct {
	Status       string
	Body         *string
	LockedReason *string
}

// lessonBySlug is the lesson as c is shown it, or nil.
func (c *caller) lessonBySlug(t testing.TB, courseSlug, lessonSlug string) *shownLesson {
	t.Helper()
	var out struct{ Lesson *shownLesson }
	c.Query(t, `query($c: String!, $l: String!) { lesson(courseSlug: $c, lessonSlug: $l) { status body lockedReason } }`,
		map[string]any{"c": courseSlug, "l": lessonSlug}).Decode(t, &out)
	return out.Lesson
}

// lessonSlugs lists the lessons c is shown in a course, in order.
func (c *caller) lessonSlugs(t testing.TB, courseSlug string) []string {
	t.Helper()
	var out struct {
		Course *struct {
			Sections []struct{ Lessons []struct{ Slug string } }
		}
	}
	c.Query(t, `query($s: String!) { course(slug: $s) { sections { lessons { slug } } } }`, map[string]any{"s": courseSlug}).Decode(t, &out)
	if out.Course == nil {
		t.Fatalf("%s cannot see %s", c.Email, courseSlug)
	}
	var slugs []string
	for _, s := range out.Course.Sections {
		for _, l := range s.Lessons {
			slugs = append(slugs, l.Slug)
		}
	}
	return slugs
}

// words returns a body of n words, spread over lines as Markdown is.
func words(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 && i%12 == 0 {
			b.WriteString("\n\n")
		} else if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("word")
	}
	return b.String()
}

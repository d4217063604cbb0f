package authoring_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"lectern/ent"
	"lectern/ent/faqentry"
	"lectern/ent/lesson"
	"lectern/ent/section"
	"lectern/internal/testenv"
)

func TestContentConcurrency(t *testing.T) {
	t.Parallel()
	// Only PostgreSQL runs write transactions side by side; SQLite takes the
	// write lock up front, so these prove the course lock there.
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("AppendsToOneSectionAllLand", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "busy-section")
			sec := amara.newSection(t, id, "Busy")
			var want []string
			for round := range 3 {
				slugs := make([]string, 6)
				for i := range slugs {
					slugs[i] = fmt.Sprintf("round-%d-lesson-%d", round, i)
				}
				rs := e.concurrently(t, len(slugs), func(i int) *http.Request {
					return amara.Request(t, createLesson.doc, input(map[string]any{"sectionId": sec.ID, "title": "Lesson", "slug": slugs[i]}))
				})
				for i, r := range rs {
					if p, ok := payloadOf(t, r, createLesson.field); !ok || len(p.UserErrors) > 0 || p.Lesson == nil {
						t.Errorf("round %d: createLesson %s: errors %+v, data %s", round, slugs[i], r.Errors, r.Data)
					}
				}
				want = append(want, slugs...)
			}
			e.requireDenseLessons(t, sec.ID, len(want))
		})

		// Two moves of one lesson to different sections: the second must
		// see where the first put it, or the section it left keeps a gap.
		t.Run("RacingMovesKeepSectionsDense", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "racing-moves")
			a, b, c := amara.newSection(t, id, "A"), amara.newSection(t, id, "B"), amara.newSection(t, id, "C")
			for round := range 5 {
				l := amara.newLesson(t, a.ID, fmt.Sprintf("mover-%d", round), nil)
				amara.newLesson(t, b.ID, fmt.Sprintf("stay-b-%d", round), nil)
				amara.newLesson(t, c.ID, fmt.Sprintf("stay-c-%d", round), nil)
				targets := []string{b.ID, c.ID}
				e.concurrently(t, 2, func(i int) *http.Request {
					return amara.Request(t, moveLesson.doc, input(map[string]any{"id": l.ID, "sectionId": targets[i], "position": 0}))
				})
			}
			total := 0
			for _, sec := range []string{a.ID, b.ID, c.ID} {
				n, err := e.db.Ent.Lesson.Query().Where(lesson.SectionID(rowID(t, sec))).Count(sys())
				if err != nil {
					t.Fatal(err)
				}
				e.requireDenseLessons(t, sec, n)
				total += n
			}
			if total != 15 {
				t.Fatalf("%d lessons in the three sections, want 15", total)
			}
		})

		t.Run("AppendsToOneCourseAllLand", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "busy-course")
			courseID := parseCourseID(t, id)
			sections := e.concurrently(t, 6, func(i int) *http.Request {
				return amara.Request(t, createSection.doc, input(map[string]any{"courseId": id, "title": fmt.Sprintf("Section %d", i)}))
			})
			faqs := e.concurrently(t, 6, func(i int) *http.Request {
				return amara.Request(t, createFaqEntry.doc, input(map[string]any{"courseId": id, "question": fmt.Sprintf("Question %d?", i), "answer": "Yes."}))
			})
			for i := range 6 {
				if p, ok := payloadOf(t, sections[i], createSection.field); !ok || p.Section == nil {
					t.Errorf("createSection %d: errors %+v, data %s", i, sections[i].Errors, sections[i].Data)
				}
				if p, ok := payloadOf(t, faqs[i], createFaqEntry.field); !ok || p.FaqEntry == nil {
					t.Errorf("createFaqEntry %d: errors %+v, data %s", i, faqs[i].Errors, faqs[i].Data)
				}
			}
			secs, err := e.db.Ent.Section.Query().Where(section.CourseID(courseID)).Order(ent.Asc(section.FieldPosition)).All(sys())
			if err != nil {
				t.Fatal(err)
			}
			faq, err := e.db.Ent.FAQEntry.Query().Where(faqentry.CourseID(courseID)).Order(ent.Asc(faqentry.FieldPosition)).All(sys())
			if err != nil {
				t.Fatal(err)
			}
			if len(secs) != 6 || len(faq) != 6 {
				t.Fatalf("%d sections and %d FAQ entries stored, want 6 of each", len(secs), len(faq))
			}
			for i := range 6 {
				if secs[i].Position != i || faq[i].Position != i {
					t.Fatalf("position %d holds section at %d and FAQ entry at %d", i, secs[i].Position, faq[i].Position)
				}
			}
		})

		t.Run("DeleteAndAppendLeaveNoGap", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "delete-and-append")
			for round := range 4 {
				sec := amara.newSection(t, id, fmt.Sprintf("Round %d", round))
				doomed := amara.newLesson(t, sec.ID, fmt.Sprintf("round-%d-doomed", round), nil)
				amara.newLesson(t, sec.ID, fmt.Sprintf("round-%d-kept", round), nil)
				amara.newLesson(t, sec.ID, fmt.Sprintf("round-%d-also-kept", round), nil)
				rs := e.concurrently(t, 2, func(i int) *http.Request {
					if i == 0 {
						return amara.Request(t, deleteLesson.doc, map[string]any{"id": doomed.ID})
					}
					return amara.Request(t, createLesson.doc, input(map[string]any{"sectionId": sec.ID, "title": "Lesson",
						"slug": fmt.Sprintf("round-%d-new", round)}))
				})
				if p, ok := payloadOf(t, rs[0], deleteLesson.field); !ok || p.DeletedID == nil {
					t.Fatalf("round %d: deleteLesson: errors %+v, data %s", round, rs[0].Errors, rs[0].Data)
				}
				if p, ok := payloadOf(t, rs[1], createLesson.field); !ok || p.Lesson == nil {
					t.Fatalf("round %d: createLesson: errors %+v, data %s", round, rs[1].Errors, rs[1].Data)
				}
				e.requireDenseLessons(t, sec.ID, 3)
			}
		})

		t.Run("LessonLimitHoldsForConcurrentCreates", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "nearly-full")
			courseID := parseCourseID(t, id)
			targets := make([]string, 6)
			for i := range targets {
				targets[i] = amara.newSection(t, id, fmt.Sprintf("Target %d", i)).ID
			}
			bulk := make([]*ent.LessonCreate, 98)
			for i := range bulk {
				bulk[i] = e.db.Ent.Lesson.Create().SetCourseID(courseID).SetSectionID(rowID(t, targets[0])).
					SetSlug(fmt.Sprintf("lesson-%d", i+1)).SetTitle("Lesson").SetPosition(i)
			}
			if err := e.db.Ent.Lesson.CreateBulk(bulk...).Exec(sys()); err != nil {
				t.Fatalf("lessons: %v", err)
			}
			rs := e.concurrently(t, len(targets), func(i int) *http.Request {
				return amara.Request(t, createLesson.doc, input(map[string]any{"sectionId": targets[i], "title": "Late",
					"slug": fmt.Sprintf("late-%d", i)}))
			})
			created, refused := 0, 0
			for i, r := range rs {
				p, ok := payloadOf(t, r, createLesson.field)
				switch {
				case ok && p.Lesson != nil:
					created++
				case ok && len(p.UserErrors) == 1 && p.UserErrors[0].Code == "INVALID":
					refused++
				default:
					t.Errorf("createLesson %d: errors %+v, data %s", i, r.Errors, r.Data)
				}
			}
			if n := e.storedLessons(t, courseID); created != 2 || refused != 4 || n != 100 {
				t.Fatalf("%d created, %d refused, %d stored; want 2, 4 and 100", created, refused, n)
			}
		})
	})
}

// concurrently sends the n requests request builds at once and returns the
// answers in order.
func (e *env) concurrently(t testing.TB, n int, request func(i int) *http.Request) []testenv.Reply {
	t.Helper()
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = request(i)
	}
	return e.app.ServeAtOnce(t, reqs...)
}

// payloadOf decodes the payload of field from r; ok is false when the
// request failed as a whole.
func payloadOf(t testing.TB, r testenv.Reply, field string) (contentPayload, bool) {
	t.Helper()
	var p contentPayload
	if len(r.Errors) > 0 {
		return p, false
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatalf("data %s: %v", r.Data, err)
	}
	if err := json.Unmarshal(data[field], &p); err != nil {
		t.Fatalf("%s payload %s: %v", field, data[field], err)
	}
	p.Raw = data[field]
	return p, true
}

// requireDenseLessons fails unless the section stores n lessons at
// positions 0..n-1.
func (e *env) requireDenseLessons(t testing.TB, sectionID string, n int) {
	t.Helper()
	rows, err := e.db.Ent.Lesson.Query().Where(lesson.SectionID(rowID(t, sectionID))).Order(ent.Asc(lesson.FieldPosition)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	got := make([]int, len(rows))
	for i, l := range rows {
		got[i] = l.Position
	}
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) {
		t.Fatalf("stored lesson positions %v, want %v", got, want)
	}
}

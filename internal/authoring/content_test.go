package authoring_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/enrollment"
	"lectern/ent/faqentry"
	"lectern/ent/lesson"
	"lectern/ent/lessonprogress"
	"lectern/ent/section"
	"lectern/ent/user"
	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

func TestContentPositions(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		e := setup(t, db)
		amara := e.as(t, amaraEmail)

		t.Run("StayDenseThroughCreatesMovesAndDeletes", func(t *testing.T) {
			const slug = "dense-positions"
			courseID := amara.draft(t, slug)
			o := outline{e: e, viewer: amara, slug: slug, id: parseCourseID(t, courseID), names: names{}}
			sec := map[string]string{}
			les := map[string]string{}
			faq := map[string]string{}

			moveS := func(t *testing.T, name string, to, want int) {
				t.Helper()
				p := requireDone(t, "moveSection "+name, amara.edit(t, moveSection, input(map[string]any{"id": sec[name], "position": to})))
				if p.Section.ID != sec[name] || p.Section.Position != want {
					t.Fatalf("moveSection %s to %d: payload %s, want position %d", name, to, p.Raw, want)
				}
			}
			// into is "" to keep the lesson in its own section.
			moveL := func(t *testing.T, name, into string, to, want int) {
				t.Helper()
				in := map[string]any{"id": les[name], "position": to}
				if into != "" {
					in["sectionId"] = sec[into]
				}
				p := requireDone(t, "moveLesson "+name, amara.edit(t, moveLesson, input(in)))
				if p.Lesson.ID != les[name] || p.Lesson.Position != want || (into != "" && p.Lesson.Section.ID != sec[into]) {
					t.Fatalf("moveLesson %s to %s/%d: payload %s, want position %d", name, into, to, p.Raw, want)
				}
			}
			moveF := func(t *testing.T, name string, to, want int) {
				t.Helper()
				p := requireDone(t, "moveFaqEntry "+name, amara.edit(t, moveFaqEntry, input(map[string]any{"id": faq[name], "position": to})))
				if p.FaqEntry.ID != faq[name] || p.FaqEntry.Position != want {
					t.Fatalf("moveFaqEntry %s to %d: payload %s, want position %d", name, to, p.Raw, want)
				}
			}

			for i, name := range []string{"A", "B", "C", "D"} {
				s := amara.newSection(t, courseID, "Section "+name)
				if s.Position != i {
					t.Fatalf("section %s created at %d, want %d (appended)", name, s.Position, i)
				}
				sec[name] = o.names.label(t, s.ID, name)
			}
			o.require(t, "four sections", []string{"A", "B", "C", "D"}, nil)

			moveS(t, "D", 0, 0)
			o.require(t, "D to the front", []string{"D", "A", "B", "C"}, nil)
			moveS(t, "A", 2, 2)
			o.require(t, "A to the middle", []string{"D", "B", "A", "C"}, nil)
			moveS(t, "D", 99, 3)
			o.require(t, "D past the end", []string{"B", "A", "C", "D"}, nil)
			moveS(t, "C", -3, 0)
			o.require(t, "C to a negative position", []string{"C", "B", "A", "D"}, nil)
			moveS(t, "A", 2, 2)
			o.require(t, "A to where it is", []string{"C", "B", "A", "D"}, nil)

			for _, l := range []struct{ in, name string }{{"B", "b1"}, {"B", "b2"}, {"B", "b3"}, {"B", "b4"}, {"A", "a1"}, {"A", "a2"}} {
				les[l.name] = o.names.label(t, amara.newLesson(t, sec[l.in], l.name, nil).ID, l.name)
			}
			o.require(t, "lessons appended", []string{"C", "B: b1 b2 b3 b4", "A: a1 a2", "D"}, nil)

			moveL(t, "b4", "", 0, 0)
			o.require(t, "b4 to the front", []string{"C", "B: b4 b1 b2 b3", "A: a1 a2", "D"}, nil)
			moveL(t, "b1", "", -1, 0)
			o.require(t, "b1 to a negative position", []string{"C", "B: b1 b4 b2 b3", "A: a1 a2", "D"}, nil)
			moveL(t, "b4", "", 10, 3)
			o.require(t, "b4 past the end", []string{"C", "B: b1 b2 b3 b4", "A: a1 a2", "D"}, nil)
			moveL(t, "b2", "A", 1, 1)
			o.require(t, "b2 into the middle of A", []string{"C", "B: b1 b3 b4", "A: a1 b2 a2", "D"}, nil)
			moveL(t, "a2", "C", 5, 0)
			o.require(t, "a2 into empty C", []string{"C: a2", "B: b1 b3 b4", "A: a1 b2", "D"}, nil)
			moveL(t, "b1", "A", -2, 0)
			o.require(t, "b1 to the front of A", []string{"C: a2", "B: b3 b4", "A: b1 a1 b2", "D"}, nil)
			moveL(t, "b3", "B", 1, 1)
			o.require(t, "b3 within B, named explicitly", []string{"C: a2", "B: b4 b3", "A: b1 a1 b2", "D"}, nil)

			requireDeleted(t, "deleteLesson a1", amara.edit(t, deleteLesson, map[string]any{"id": les["a1"]}), les["a1"])
			o.require(t, "a1 deleted", []string{"C: a2", "B: b4 b3", "A: b1 b2", "D"}, nil)
			les["a3"] = o.names.label(t, amara.newLesson(t, sec["A"], "a3", nil).ID, "a3")
			o.require(t, "a3 appended after a delete", []string{"C: a2", "B: b4 b3", "A: b1 b2 a3", "D"}, nil)

			requireDeleted(t, "deleteSection B", amara.edit(t, deleteSection, map[string]any{"id": sec["B"]}), sec["B"])
			o.require(t, "B deleted with its lessons", []string{"C: a2", "A: b1 b2 a3", "D"}, nil)
			sec["E"] = o.names.label(t, amara.newSection(t, courseID, "Section E").ID, "E")
			o.require(t, "E appended after a delete", []string{"C: a2", "A: b1 b2 a3", "D", "E"}, nil)

			sections := []string{"C: a2", "A: b1 b2 a3", "D", "E"}
			for i, name := range []string{"q1", "q2", "q3", "q4"} {
				f := amara.newFAQ(t, courseID, "Question "+name+"?")
				if f.Position != i {
					t.Fatalf("FAQ entry %s created at %d, want %d", name, f.Position, i)
				}
				faq[name] = o.names.label(t, f.ID, name)
			}
			o.require(t, "four FAQ entries", sections, []string{"q1", "q2", "q3", "q4"})
			moveF(t, "q4", 0, 0)
			o.require(t, "q4 to the front", sections, []string{"q4", "q1", "q2", "q3"})
			moveF(t, "q1", 99, 3)
			o.require(t, "q1 past the end", sections, []string{"q4", "q2", "q3", "q1"})
			moveF(t, "q3", -1, 0)
			o.require(t, "q3 to a negative position", sections, []string{"q3", "q4", "q2", "q1"})
			moveF(t, "q2", 1, 1)
			o.require(t, "q2 to the middle", sections, []string{"q3", "q2", "q4", "q1"})
			requireDeleted(t, "deleteFaqEntry q4", amara.edit(t, deleteFaqEntry, map[string]any{"id": faq["q4"]}), faq["q4"])
			o.require(t, "q4 deleted", sections, []string{"q3", "q2", "q1"})
			faq["q5"] = o.names.label(t, amara.newFAQ(t, courseID, "Question q5?").ID, "q5")
			o.require(t, "q5 appended after a delete", sections, []string{"q3", "q2", "q1", "q5"})
		})

		t.Run("LessonDoesNotMoveToAnotherCourse", func(t *testing.T) {
			// Amara may edit both courses; the lesson still stays in its own.
			home, away := amara.draft(t, "home-course"), amara.draft(t, "away-course")
			ho := outline{e: e, viewer: amara, slug: "home-course", id: parseCourseID(t, home), names: names{}}
			ao := outline{e: e, viewer: amara, slug: "away-course", id: parseCourseID(t, away), names: ho.names}
			hs := ho.names.label(t, amara.newSection(t, home, "Home").ID, "H")
			as := ho.names.label(t, amara.newSection(t, away, "Away").ID, "W")
			mover := ho.names.label(t, amara.newLesson(t, hs, "mover", nil).ID, "mover")
			ho.names.label(t, amara.newLesson(t, hs, "stayer", nil).ID, "stayer")
			ho.names.label(t, amara.newLesson(t, as, "resident", nil).ID, "resident")
			ho.require(t, "before", []string{"H: mover stayer"}, nil)
			ao.require(t, "before", []string{"W: resident"}, nil)

			elsewhere := amara.edit(t, moveLesson, input(map[string]any{"id": mover, "sectionId": as, "position": 0}))
			requireProblem(t, elsewhere, "NOT_FOUND", "input", "sectionId")
			missing := amara.edit(t, moveLesson, input(map[string]any{"id": mover, "sectionId": randomGID("Section"), "position": 0}))
			if string(elsewhere.Raw) != string(missing.Raw) {
				t.Fatalf("a section of another course answers\n  %s\nbut a missing section answers\n  %s", elsewhere.Raw, missing.Raw)
			}
			ho.require(t, "after the refused move", []string{"H: mover stayer"}, nil)
			ao.require(t, "after the refused move", []string{"W: resident"}, nil)
		})
	})
}

func TestContentLimits(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		e := setup(t, db)
		amara := e.as(t, amaraEmail)

		t.Run("FiftySectionsPerCourse", func(t *testing.T) {
			id := amara.draft(t, "fifty-sections")
			courseID := parseCourseID(t, id)
			bulk := make([]*ent.SectionCreate, 49)
			for i := range bulk {
				bulk[i] = e.db.Ent.Section.Create().SetCourseID(courseID).SetTitle(fmt.Sprintf("Section %d", i+1)).SetPosition(i)
			}
			if err := e.db.Ent.Section.CreateBulk(bulk...).Exec(sys()); err != nil {
				t.Fatalf("sections: %v", err)
			}
			if last := amara.newSection(t, id, "The fiftieth"); last.Position != 49 {
				t.Fatalf("the 50th section is at %d, want 49", last.Position)
			}
			requireProblem(t, amara.edit(t, createSection, input(map[string]any{"courseId": id, "title": "One too many"})),
				"INVALID", "input", "courseId")
			if n, err := e.db.Ent.Section.Query().Where(section.CourseID(courseID)).Count(sys()); err != nil || n != 50 {
				t.Fatalf("%d sections stored (%v), want 50", n, err)
			}
		})

		t.Run("HundredLessonsPerCourse", func(t *testing.T) {
			id := amara.draft(t, "hundred-lessons")
			courseID := parseCourseID(t, id)
			full := amara.newSection(t, id, "Full")
			// The limit is the course's: this section stays nearly empty.
			spare := amara.newSection(t, id, "Spare")
			bulk := make([]*ent.LessonCreate, 99)
			for i := range bulk {
				bulk[i] = e.db.Ent.Lesson.Create().SetCourseID(courseID).SetSectionID(rowID(t, full.ID)).
					SetSlug(fmt.Sprintf("lesson-%d", i+1)).SetTitle(fmt.Sprintf("Lesson %d", i+1)).SetPosition(i)
			}
			if err := e.db.Ent.Lesson.CreateBulk(bulk...).Exec(sys()); err != nil {
				t.Fatalf("lessons: %v", err)
			}
			amara.newLesson(t, spare.ID, "the-hundredth", nil)
			requireProblem(t, amara.edit(t, createLesson, input(map[string]any{"sectionId": spare.ID, "title": "One too many",
				"slug": "one-too-many"})), "INVALID", "input", "sectionId")
			if n := e.storedLessons(t, courseID); n != 100 {
				t.Fatalf("%d lessons stored, want 100", n)
			}
		})

		t.Run("FiftyFAQEntriesPerCourse", func(t *testing.T) {
			id := amara.draft(t, "fifty-questions")
			courseID := parseCourseID(t, id)
			bulk := make([]*ent.FAQEntryCreate, 49)
			for i := range bulk {
				bulk[i] = e.db.Ent.FAQEntry.Create().SetCourseID(courseID).SetQuestion(fmt.Sprintf("Question %d?", i+1)).
					SetAnswer("An answer.").SetPosition(i)
			}
			if err := e.db.Ent.FAQEntry.CreateBulk(bulk...).Exec(sys()); err != nil {
				t.Fatalf("FAQ entries: %v", err)
			}
			if last := amara.newFAQ(t, id, "The fiftieth?"); last.Position != 49 {
				t.Fatalf("the 50th FAQ entry is at %d, want 49", last.Position)
			}
			requireProblem(t, amara.edit(t, createFaqEntry, input(map[string]any{"courseId": id, "question": "One too many?",
				"answer": "No room."})), "INVALID", "input", "courseId")
			if n, err := e.db.Ent.FAQEntry.Query().Where(faqentry.CourseID(courseID)).Count(sys()); err != nil || n != 50 {
				t.Fatalf("%d FAQ entries stored (%v), want 50", n, err)
			}
		})

		t.Run("LessonSlugIsUniqueWithinItsCourse", func(t *testing.T) {
			id := amara.draft(t, "slug-owner")
			courseID := parseCourseID(t, id)
			first := amara.newSection(t, id, "First")
			second := amara.newSection(t, id, "Second")
			amara.newLesson(t, first.ID, "introduction", nil)
			other := amara.newLesson(t, second.ID, "overview", nil)
			before := e.contentSnapshot(t, courseID)

			// Another section of the same course does not make the slug free.
			requireProblem(t, amara.edit(t, createLesson, input(map[string]any{"sectionId": second.ID, "title": "Again",
				"slug": "introduction"})), "SLUG_TAKEN", "input", "slug")
			requireProblem(t, amara.edit(t, updateLesson, input(map[string]any{"id": other.ID, "slug": "introduction",
				"title": "Renamed too"})), "SLUG_TAKEN", "input", "slug")
			if after := e.contentSnapshot(t, courseID); after != before {
				t.Fatalf("a refused slug changed the course:\nbefore\n%s\nafter\n%s", before, after)
			}

			elsewhere := amara.draft(t, "slug-elsewhere")
			l := amara.newLesson(t, amara.newSection(t, elsewhere, "Elsewhere").ID, "introduction", nil)
			if row := e.lessonRow(t, l.ID); row.Slug != "introduction" || row.CourseID != parseCourseID(t, elsewhere) {
				t.Fatalf("stored lesson: %+v", row)
			}
		})

		t.Run("InvalidLessonStoresNothing", func(t *testing.T) {
			id := amara.draft(t, "invalid-lessons")
			courseID := parseCourseID(t, id)
			sec := amara.newSection(t, id, "Only")
			existing := amara.newLesson(t, sec.ID, "existing", map[string]any{"body": "Kept as it is."})
			tests := []struct {
				name  string
				set   map[string]any
				code  string
				field []string
			}{
				{"UppercaseSlug", map[string]any{"slug": "Intro"}, "INVALID", []string{"input", "slug"}},
				{"SpacedSlug", map[string]any{"slug": "first steps"}, "INVALID", []string{"input", "slug"}},
				{"DoubleHyphenSlug", map[string]any{"slug": "first--steps"}, "INVALID", []string{"input", "slug"}},
				{"LongSlug", map[string]any{"slug": strings.Repeat("a", 81)}, "INVALID", []string{"input", "slug"}},
				{"EmptyTitle", map[string]any{"title": ""}, "REQUIRED", []string{"input", "title"}},
				{"BlankTitle", map[string]any{"title": " \t "}, "REQUIRED", []string{"input", "title"}},
				{"LongTitle", map[string]any{"title": strings.Repeat("t", 201)}, "TOO_LONG", []string{"input", "title"}},
				{"LongBody", map[string]any{"body": strings.Repeat("é", 200_001)}, "TOO_LONG", []string{"input", "body"}},
			}
			for _, tt := range tests {
				t.Run("Create"+tt.name, func(t *testing.T) {
					slug := "new-" + strings.ToLower(tt.name)
					in := map[string]any{"sectionId": sec.ID, "title": "A valid title", "slug": slug}
					for k, v := range tt.set {
						in[k] = v
					}
					before := e.contentSnapshot(t, courseID)
					requireProblem(t, amara.edit(t, createLesson, input(in)), tt.code, tt.field...)
					if after := e.contentSnapshot(t, courseID); after != before {
						t.Fatalf("a refused createLesson changed the course:\nbefore\n%s\nafter\n%s", before, after)
					}
				})
				t.Run("Update"+tt.name, func(t *testing.T) {
					in := map[string]any{"id": existing.ID}
					for k, v := range tt.set {
						in[k] = v
					}
					before := e.contentSnapshot(t, courseID)
					requireProblem(t, amara.edit(t, updateLesson, input(in)), tt.code, tt.field...)
					if after := e.contentSnapshot(t, courseID); after != before {
						t.Fatalf("a refused updateLesson changed the course:\nbefore\n%s\nafter\n%s", before, after)
					}
				})
			}
		})

		t.Run("BodyAtTheLimitIsKept", func(t *testing.T) {
			id := amara.draft(t, "long-read")
			body := strings.Repeat("é", 200_000)
			l := amara.newLesson(t, amara.newSection(t, id, "Only").ID, "the-long-one", map[string]any{"body": body})
			if row := e.lessonRow(t, l.ID); row.Body != body {
				t.Fatalf("stored body has %d characters, want the 200,000 sent", len([]rune(row.Body)))
			}
		})

		t.Run("InvalidSectionAndFAQInputStoresNothing", func(t *testing.T) {
			id := amara.draft(t, "invalid-others")
			courseID := parseCourseID(t, id)
			sec := amara.newSection(t, id, "Kept")
			q := amara.newFAQ(t, id, "Kept?")
			tests := []struct {
				name  string
				o     op
				in    map[string]any
				code  string
				field []string
			}{
				{"EmptySectionTitle", createSection, map[string]any{"courseId": id, "title": "  "}, "REQUIRED", []string{"input", "title"}},
				{"LongSectionTitle", createSection, map[string]any{"courseId": id, "title": strings.Repeat("s", 201)}, "TOO_LONG", []string{"input", "title"}},
				{"EmptyRename", updateSection, map[string]any{"id": sec.ID, "title": ""}, "REQUIRED", []string{"input", "title"}},
				{"EmptyQuestion", createFaqEntry, map[string]any{"courseId": id, "question": "", "answer": "Yes."}, "REQUIRED", []string{"input", "question"}},
				{"LongQuestion", createFaqEntry, map[string]any{"courseId": id, "question": strings.Repeat("q", 301), "answer": "Yes."}, "TOO_LONG", []string{"input", "question"}},
				{"EmptyAnswer", createFaqEntry, map[string]any{"courseId": id, "question": "Why?", "answer": " "}, "REQUIRED", []string{"input", "answer"}},
				{"LongAnswer", updateFaqEntry, map[string]any{"id": q.ID, "answer": strings.Repeat("a", 5001)}, "TOO_LONG", []string{"input", "answer"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					before := e.contentSnapshot(t, courseID)
					requireProblem(t, amara.edit(t, tt.o, input(tt.in)), tt.code, tt.field...)
					if after := e.contentSnapshot(t, courseID); after != before {
						t.Fatalf("a refused %s changed the course:\nbefore\n%s\nafter\n%s", tt.o.field, before, after)
					}
				})
			}
		})
	})
}

func TestContentRoles(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		e := setup(t, db)
		amara := e.as(t, amaraEmail)

		t.Run("OwnerMayDoEverything", func(t *testing.T) {
			e.exerciseContent(t, amara, amara.draft(t, "owner-writes"))
		})

		t.Run("CourseInstructorMayDoEverything", func(t *testing.T) {
			id := amara.draft(t, "instructor-writes")
			daniel := e.as(t, danielEmail)
			requireOK(t, "addCourseMember", amara.call(t, addCourseMember, input(map[string]any{
				"courseId": id, "userId": userGID(daniel.id), "role": "INSTRUCTOR"})))
			e.exerciseContent(t, daniel, id)
		})

		t.Run("AdministratorWithMFAMayDoEverything", func(t *testing.T) {
			e.exerciseContent(t, e.mfaAdmin(t), amara.draft(t, "moderated-content"))
		})

		published := e.contentFixture(t, amara, "guarded-published", true)
		draft := e.contentFixture(t, amara, "guarded-draft", false)
		// A global instructor, so that the course role alone decides; a
		// learner assisting is refused before the course is looked at.
		assistant := e.newCaller(t, "assistant", user.RoleINSTRUCTOR, true)
		learnerAssistant := e.newCaller(t, "learner-assistant", user.RoleLEARNER, true)
		for _, id := range []string{published.course, draft.course} {
			for _, a := range []*caller{assistant, learnerAssistant} {
				requireOK(t, "addCourseMember", amara.call(t, addCourseMember, input(map[string]any{
					"courseId": id, "userId": userGID(a.id), "role": "ASSISTANT"})))
			}
		}
		stranger := e.newCaller(t, "stranger", user.RoleINSTRUCTOR, true)
		learner := e.newCaller(t, "learner", user.RoleLEARNER, true)
		learner.enroll(t, published.course)
		admin := e.as(t, adminEmail)
		missing := contentIDs{course: randomGID("Course"), section: randomGID("Section"), lesson: randomGID("Lesson"),
			draft: randomGID("Lesson"), faq: randomGID("FAQEntry")}

		t.Run("Forbidden", func(t *testing.T) {
			// Outsiders cannot see draft lessons, so they try to publish a
			// published one: the role check comes first.
			tests := []struct {
				name    string
				c       *caller
				x       contentIDs
				publish string
			}{
				{"AssistantOnPublishedCourse", assistant, published, published.draft},
				{"AssistantOnDraftCourse", assistant, draft, draft.draft},
				{"LearnerAssistantOnDraftCourse", learnerAssistant, draft, draft.draft},
				{"UnrelatedInstructorOnPublishedCourse", stranger, published, published.lesson},
				{"EnrolledLearnerOnPublishedCourse", learner, published, published.lesson},
				{"LearnerOnDraftCourse", learner, draft, draft.draft},
				{"AdministratorWithoutMFAOnPublishedCourse", admin, published, published.lesson},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					courseID := parseCourseID(t, tt.x.course)
					before := e.contentSnapshot(t, courseID)
					for _, call := range everyContentOp(tt.x, tt.publish) {
						tt.c.refused(t, call.o, call.vars, "FORBIDDEN")
					}
					if after := e.contentSnapshot(t, courseID); after != before {
						t.Fatalf("refused writes changed the course:\nbefore\n%s\nafter\n%s", before, after)
					}
				})
			}
		})

		// An administrator without MFA sees no more of other people's
		// drafts than an unrelated instructor does.
		for name, c := range map[string]*caller{"UnrelatedInstructorSeesNotFoundForADraft": stranger,
			"AdministratorWithoutMFASeesNotFoundForADraft": admin} {
			t.Run(name, func(t *testing.T) {
				courseID := parseCourseID(t, draft.course)
				before := e.contentSnapshot(t, courseID)
				hidden, absent := everyContentOp(draft, draft.draft), everyContentOp(missing, missing.draft)
				for i := range hidden {
					h := c.edit(t, hidden[i].o, hidden[i].vars)
					requireProblem(t, h, "NOT_FOUND", hidden[i].notFoundAt...)
					if m := c.edit(t, absent[i].o, absent[i].vars); string(h.Raw) != string(m.Raw) {
						t.Errorf("%s: someone else's draft answers\n  %s\nbut a missing object answers\n  %s", hidden[i].o.field, h.Raw, m.Raw)
					}
				}
				if after := e.contentSnapshot(t, courseID); after != before {
					t.Fatalf("refused writes changed the course:\nbefore\n%s\nafter\n%s", before, after)
				}
			})
		}

		t.Run("LearnerAnswerDoesNotRevealADraft", func(t *testing.T) {
			// Learners are refused before any lookup, so a draft and a
			// missing object must answer alike.
			hidden, absent := everyContentOp(draft, draft.draft), everyContentOp(missing, missing.draft)
			for i := range hidden {
				h := learner.do(t, hidden[i].o.doc, hidden[i].vars)
				m := learner.do(t, absent[i].o.doc, absent[i].vars)
				if len(h.Errors) != 1 || len(m.Errors) != 1 || h.Errors[0].Extensions.Code != "FORBIDDEN" ||
					m.Errors[0].Extensions.Code != "FORBIDDEN" || h.Errors[0].Message != m.Errors[0].Message ||
					string(h.Data) != string(m.Data) {
					t.Errorf("%s: a draft answers %+v (data %s), a missing object %+v (data %s)", hidden[i].o.field,
						h.Errors, h.Data, m.Errors, m.Data)
				}
			}
		})

		t.Run("DraftLessonIsHiddenFromOutsiders", func(t *testing.T) {
			hidden := stranger.edit(t, publishLesson, map[string]any{"id": published.draft})
			requireProblem(t, hidden, "NOT_FOUND", "id")
			if m := stranger.edit(t, publishLesson, map[string]any{"id": randomGID("Lesson")}); string(hidden.Raw) != string(m.Raw) {
				t.Errorf("a draft lesson answers\n  %s\nbut a missing one answers\n  %s", hidden.Raw, m.Raw)
			}
			if row := e.lessonRow(t, published.draft); row.Status != lesson.StatusDRAFT {
				t.Fatalf("the draft lesson is %s", row.Status)
			}
		})
	})
}

func TestContentCounters(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		e := setup(t, db)
		amara := e.as(t, amaraEmail)

		t.Run("PublishingReopensAndDeletingCompletes", func(t *testing.T) {
			const slug = "settled-course"
			id := amara.draft(t, slug)
			courseID := parseCourseID(t, id)
			sec := amara.newSection(t, id, "Only")
			one := amara.publish(t, amara.newLesson(t, sec.ID, "one", nil).ID)
			two := amara.publish(t, amara.newLesson(t, sec.ID, "two", nil).ID)
			if two.Course.LessonCount != 2 {
				t.Fatalf("lessonCount after publishing two lessons: %d", two.Course.LessonCount)
			}
			requireOK(t, "publishCourse", amara.call(t, publishCourse, byID(id)))
			finisher := e.newCaller(t, "finisher", user.RoleLEARNER, true)
			halfway := e.newCaller(t, "halfway", user.RoleLEARNER, true)
			finisher.enroll(t, id)
			halfway.enroll(t, id)
			finisher.complete(t, one.ID)
			finisher.complete(t, two.ID)
			halfway.complete(t, one.ID)
			e.requireEnrolment(t, finisher, slug, courseID, "COMPLETED", 2, 2)
			e.requireEnrolment(t, halfway, slug, courseID, "ACTIVE", 1, 2)

			// A draft lesson is not part of what learners must finish.
			three := amara.newLesson(t, sec.ID, "three", nil)
			if three.Course.LessonCount != 2 || three.Status != "DRAFT" {
				t.Fatalf("new lesson: %+v", *three)
			}
			e.requireEnrolment(t, finisher, slug, courseID, "COMPLETED", 2, 2)

			if p := amara.publish(t, three.ID); p.Course.LessonCount != 3 {
				t.Fatalf("publishLesson payload lessonCount = %d, want 3", p.Course.LessonCount)
			}
			e.requireEnrolment(t, finisher, slug, courseID, "ACTIVE", 2, 3)
			e.requireEnrolment(t, halfway, slug, courseID, "ACTIVE", 1, 3)

			requireDeleted(t, "deleteLesson", amara.edit(t, deleteLesson, map[string]any{"id": three.ID}), three.ID)
			e.requireEnrolment(t, finisher, slug, courseID, "COMPLETED", 2, 2)
			e.requireEnrolment(t, halfway, slug, courseID, "ACTIVE", 1, 2)
		})

		t.Run("DeletingASectionTakesItsLessonsAndProgress", func(t *testing.T) {
			const slug = "pruned-course"
			id := amara.draft(t, slug)
			courseID := parseCourseID(t, id)
			keep := amara.newSection(t, id, "Keep")
			kept := amara.publish(t, amara.newLesson(t, keep.ID, "kept", nil).ID)
			doomed := amara.newSection(t, id, "Doomed")
			gone1 := amara.publish(t, amara.newLesson(t, doomed.ID, "gone-one", nil).ID)
			gone2 := amara.publish(t, amara.newLesson(t, doomed.ID, "gone-two", nil).ID)
			gone3 := amara.newLesson(t, doomed.ID, "gone-draft", nil)
			// First, so that the section left behind has to close up.
			requireDone(t, "moveSection", amara.edit(t, moveSection, input(map[string]any{"id": doomed.ID, "position": 0})))
			requireOK(t, "publishCourse", amara.call(t, publishCourse, byID(id)))

			nearly := e.newCaller(t, "nearly", user.RoleLEARNER, true)
			elsewhere := e.newCaller(t, "elsewhere", user.RoleLEARNER, true)
			nearly.enroll(t, id)
			elsewhere.enroll(t, id)
			nearly.complete(t, kept.ID)
			nearly.complete(t, gone1.ID)
			elsewhere.complete(t, gone1.ID)
			elsewhere.complete(t, gone2.ID)
			e.requireEnrolment(t, nearly, slug, courseID, "ACTIVE", 2, 3)
			e.requireEnrolment(t, elsewhere, slug, courseID, "ACTIVE", 2, 3)
			goneIDs := []string{gone1.ID, gone2.ID, gone3.ID}
			if n := e.progressOn(t, goneIDs...); n != 3 {
				t.Fatalf("%d progress rows on the doomed lessons before, want 3", n)
			}

			requireDeleted(t, "deleteSection", amara.edit(t, deleteSection, map[string]any{"id": doomed.ID}), doomed.ID)
			for _, id := range append([]string{doomed.ID}, goneIDs...) {
				if e.exists(t, id) {
					t.Errorf("%s is still stored", id)
				}
			}
			if n := e.progressOn(t, goneIDs...); n != 0 {
				t.Errorf("%d progress rows on deleted lessons remain", n)
			}
			if n := e.progressOn(t, kept.ID); n != 1 {
				t.Errorf("%d progress rows on the kept lesson, want 1", n)
			}
			if row := e.sectionRow(t, keep.ID); row.Position != 0 {
				t.Errorf("the remaining section is at %d, want 0", row.Position)
			}
			e.requireEnrolment(t, nearly, slug, courseID, "COMPLETED", 1, 1)
			e.requireEnrolment(t, elsewhere, slug, courseID, "ACTIVE", 0, 1)
		})

		t.Run("ReadingMinutesFollowTheBody", func(t *testing.T) {
			sec := amara.newSection(t, amara.draft(t, "reading-time"), "Only")
			tests := []struct{ words, minutes int }{{1, 1}, {200, 1}, {201, 2}, {450, 3}, {1000, 5}}
			for _, tt := range tests {
				l := amara.newLesson(t, sec.ID, fmt.Sprintf("words-%d", tt.words), map[string]any{"body": words(tt.words)})
				if row := e.lessonRow(t, l.ID); l.ReadingMinutes != tt.minutes || row.ReadingMinutes != tt.minutes {
					t.Errorf("%d words: readingMinutes %d (stored %d), want %d", tt.words, l.ReadingMinutes, row.ReadingMinutes, tt.minutes)
				}
			}

			l := amara.newLesson(t, sec.ID, "rewritten", map[string]any{"body": words(450)})
			p := requireDone(t, "updateLesson body", amara.edit(t, updateLesson, input(map[string]any{"id": l.ID, "body": words(1000)})))
			if p.Lesson.ReadingMinutes != 5 || e.lessonRow(t, l.ID).ReadingMinutes != 5 {
				t.Fatalf("after a 1000-word body: %s", p.Raw)
			}
			p = requireDone(t, "updateLesson title", amara.edit(t, updateLesson, input(map[string]any{"id": l.ID, "title": "Only the title"})))
			if p.Lesson.ReadingMinutes != 5 || e.lessonRow(t, l.ID).ReadingMinutes != 5 {
				t.Fatalf("an update without a body changed the reading time: %s", p.Raw)
			}
		})
	})
}

func TestDraftLessonVisibility(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		e := setup(t, db)
		amara := e.as(t, amaraEmail)
		const slug = "visible-when-published"
		id := amara.draft(t, slug)
		courseID := parseCourseID(t, id)
		sec := amara.newSection(t, id, "Start")
		amara.publish(t, amara.newLesson(t, sec.ID, "welcome", nil).ID)
		requireOK(t, "publishCourse", amara.call(t, publishCourse, byID(id)))
		learner := e.newCaller(t, "reader", user.RoleLEARNER, true)
		learner.enroll(t, id)
		readers := map[string]*caller{"learner": learner, "anonymous": e.anonymous()}

		draft := amara.newLesson(t, sec.ID, "coming-soon", map[string]any{"body": "Not yet.", "access": "PUBLIC"})
		for who, c := range readers {
			if got := c.lessonBySlug(t, slug, "coming-soon"); got != nil {
				t.Errorf("%s sees the draft lesson: %+v", who, *got)
			}
			if slugs := c.lessonSlugs(t, slug); !slices.Equal(slugs, []string{"welcome"}) {
				t.Errorf("%s is shown lessons %v, want only the published one", who, slugs)
			}
		}
		if got := amara.lessonBySlug(t, slug, "coming-soon"); got == nil || got.Status != "DRAFT" {
			t.Fatalf("the owner does not see the draft: %+v", got)
		}

		first := amara.publish(t, draft.ID)
		if first.Status != "PUBLISHED" || first.PublishedAt == nil || first.Course.LessonCount != 2 {
			t.Fatalf("published lesson: %+v", *first)
		}
		for who, c := range readers {
			got := c.lessonBySlug(t, slug, "coming-soon")
			if got == nil || got.Status != "PUBLISHED" || got.Body == nil || *got.Body != "Not yet." {
				t.Errorf("%s, once published: %+v", who, got)
			}
			if slugs := c.lessonSlugs(t, slug); !slices.Equal(slugs, []string{"welcome", "coming-soon"}) {
				t.Errorf("%s is shown lessons %v once published", who, slugs)
			}
		}
		stored := e.lessonRow(t, draft.ID)

		second := amara.publish(t, draft.ID)
		if second.Status != "PUBLISHED" || !sameInstant(second.PublishedAt, first.PublishedAt) || second.Course.LessonCount != 2 {
			t.Fatalf("publishing again: %+v, first published %v", *second, first.PublishedAt)
		}
		if again := e.lessonRow(t, draft.ID); again.Status != lesson.StatusPUBLISHED || !sameInstant(again.PublishedAt, stored.PublishedAt) {
			t.Fatalf("stored lesson after publishing again: %+v, before %+v", again, stored)
		}
		if c := e.courseByID(t, courseID); c.LessonCount != 2 {
			t.Fatalf("stored lessonCount %d after publishing twice, want 2", c.LessonCount)
		}
		e.requireEnrolment(t, learner, slug, courseID, "ACTIVE", 0, 2)
	})
}

func TestContentConcurrency(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		e := setup(t, db)
		amara := e.as(t, amaraEmail)
		// Only PostgreSQL runs write transactions side by side; SQLite takes
		// the write lock up front, so these prove the course lock there.

		t.Run("AppendsToOneSectionAllLand", func(t *testing.T) {
			id := amara.draft(t, "busy-section")
			sec := amara.newSection(t, id, "Busy")
			var want []string
			for round := range 3 {
				slugs := make([]string, 6)
				for i := range slugs {
					slugs[i] = fmt.Sprintf("round-%d-lesson-%d", round, i)
				}
				rs := concurrently(len(slugs), func(i int) testenv.Response {
					return amara.do(t, createLesson.doc, input(map[string]any{"sectionId": sec.ID, "title": "Lesson", "slug": slugs[i]}))
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
			id := amara.draft(t, "racing-moves")
			a, b, c := amara.newSection(t, id, "A"), amara.newSection(t, id, "B"), amara.newSection(t, id, "C")
			for round := range 5 {
				l := amara.newLesson(t, a.ID, fmt.Sprintf("mover-%d", round), nil)
				amara.newLesson(t, b.ID, fmt.Sprintf("stay-b-%d", round), nil)
				amara.newLesson(t, c.ID, fmt.Sprintf("stay-c-%d", round), nil)
				targets := []string{b.ID, c.ID}
				concurrently(2, func(i int) testenv.Response {
					return amara.do(t, moveLesson.doc, input(map[string]any{"id": l.ID, "sectionId": targets[i], "position": 0}))
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
			id := amara.draft(t, "busy-course")
			courseID := parseCourseID(t, id)
			sections := concurrently(6, func(i int) testenv.Response {
				return amara.do(t, createSection.doc, input(map[string]any{"courseId": id, "title": fmt.Sprintf("Section %d", i)}))
			})
			faqs := concurrently(6, func(i int) testenv.Response {
				return amara.do(t, createFaqEntry.doc, input(map[string]any{"courseId": id, "question": fmt.Sprintf("Question %d?", i), "answer": "Yes."}))
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
			id := amara.draft(t, "delete-and-append")
			for round := range 4 {
				sec := amara.newSection(t, id, fmt.Sprintf("Round %d", round))
				doomed := amara.newLesson(t, sec.ID, fmt.Sprintf("round-%d-doomed", round), nil)
				amara.newLesson(t, sec.ID, fmt.Sprintf("round-%d-kept", round), nil)
				amara.newLesson(t, sec.ID, fmt.Sprintf("round-%d-also-kept", round), nil)
				rs := concurrently(2, func(i int) testenv.Response {
					if i == 0 {
						return amara.do(t, deleteLesson.doc, map[string]any{"id": doomed.ID})
					}
					return amara.do(t, createLesson.doc, input(map[string]any{"sectionId": sec.ID, "title": "Lesson",
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
			rs := concurrently(len(targets), func(i int) testenv.Response {
				return amara.do(t, createLesson.doc, input(map[string]any{"sectionId": targets[i], "title": "Late",
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

// concurrently runs n calls at once and returns their responses in order.
func concurrently(n int, call func(i int) testenv.Response) []testenv.Response {
	out := make([]testenv.Response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = call(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// payloadOf decodes the payload of field from r; ok is false when the
// request failed as a whole.
func payloadOf(t testing.TB, r testenv.Response, field string) (contentPayload, bool) {
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
	c.do(t, o.doc, vars).Decode(t, &data)
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
	c.do(t, `mutation($id: ID!) { enroll(courseId: $id) { enrollment { status } userErrors { code field message } } }`,
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
	c.do(t, `mutation($id: ID!) { completeLesson(lessonId: $id) { enrollment { status } userErrors { code field message } } }`,
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
	c.do(t, `query($s: String!) { course(slug: $s) { lessonCount
		viewerEnrollment { status completedAt completedLessonCount progress } } }`, map[string]any{"s": slug}).Decode(t, &out)
	if out.Course == nil || out.Course.ViewerEnrollment == nil {
		t.Fatalf("%s is shown no enrolment in %s", c.email, slug)
	}
	shown := out.Course.ViewerEnrollment
	if shown.Status != status || (shown.CompletedAt != nil) != (status == "COMPLETED") ||
		shown.CompletedLessonCount != done || out.Course.LessonCount != total ||
		math.Abs(shown.Progress-float64(done)/float64(total)) > 1e-9 {
		t.Fatalf("%s is shown lessonCount %d and enrolment %+v, want %s with %d of %d done", c.email,
			out.Course.LessonCount, *shown, status, done, total)
	}
	row, err := e.db.Ent.Enrollment.Query().Where(enrollment.UserID(c.id), enrollment.CourseID(courseID)).Only(sys())
	if err != nil {
		t.Fatalf("enrolment of %s: %v", c.email, err)
	}
	if string(row.Status) != status || row.CompletedLessonCount != done || (row.CompletedAt != nil) != (status == "COMPLETED") {
		t.Fatalf("stored enrolment of %s: %+v, want %s with %d done", c.email, row, status, done)
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
	c.do(t, `query($c: String!, $l: String!) { lesson(courseSlug: $c, lessonSlug: $l) { status body lockedReason } }`,
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
	c.do(t, `query($s: String!) { course(slug: $s) { sections { lessons { slug } } } }`, map[string]any{"s": courseSlug}).Decode(t, &out)
	if out.Course == nil {
		t.Fatalf("%s cannot see %s", c.email, courseSlug)
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
	o.viewer.do(t, `query($s: String!) { course(slug: $s) { sections { id position lessons { id position } } faq { id position } } }`,
		map[string]any{"s": o.slug}).Decode(t, &out)
	if out.Course == nil {
		t.Fatalf("%s cannot see %s", o.viewer.email, o.slug)
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

// contentIDs names one course's content by global ID: a published lesson
// and a draft one in the first of two sections, and the first of two FAQ
// entries.
type contentIDs struct {
	course, section, lesson, draft, faq string
}

// contentFixture builds that content as owner, in a published course or a
// draft.
func (e *env) contentFixture(t testing.TB, owner *caller, slug string, publish bool) contentIDs {
	t.Helper()
	id := owner.draft(t, slug)
	first := owner.newSection(t, id, "First")
	owner.newSection(t, id, "Second")
	published := owner.publish(t, owner.newLesson(t, first.ID, "published", nil).ID)
	draft := owner.newLesson(t, first.ID, "draft", nil)
	faq := owner.newFAQ(t, id, "First question?")
	owner.newFAQ(t, id, "Second question?")
	if publish {
		requireOK(t, "publishCourse", owner.call(t, publishCourse, byID(id)))
	}
	return contentIDs{course: id, section: first.ID, lesson: published.ID, draft: draft.ID, faq: faq.ID}
}

// contentCall is one content mutation with its variables, and where it
// reports an object it cannot find.
type contentCall struct {
	o          op
	vars       map[string]any
	notFoundAt []string
}

// everyContentOp aims each content mutation at x's rows, each one a change
// if it were allowed; publish is the lesson publishLesson is given.
func everyContentOp(x contentIDs, publish string) []contentCall {
	idOnly := func(id string) map[string]any { return map[string]any{"id": id} }
	return []contentCall{
		{createSection, input(map[string]any{"courseId": x.course, "title": "Intruder"}), []string{"input", "courseId"}},
		{updateSection, input(map[string]any{"id": x.section, "title": "Intruder"}), []string{"input", "id"}},
		{moveSection, input(map[string]any{"id": x.section, "position": 1}), []string{"input", "id"}},
		{deleteSection, idOnly(x.section), []string{"id"}},
		{createLesson, input(map[string]any{"sectionId": x.section, "title": "Intruder", "slug": "intruder"}), []string{"input", "sectionId"}},
		{updateLesson, input(map[string]any{"id": x.lesson, "title": "Intruder", "body": "Defaced."}), []string{"input", "id"}},
		{moveLesson, input(map[string]any{"id": x.lesson, "position": 1}), []string{"input", "id"}},
		{deleteLesson, idOnly(x.lesson), []string{"id"}},
		{publishLesson, idOnly(publish), []string{"id"}},
		{createFaqEntry, input(map[string]any{"courseId": x.course, "question": "Intruder?", "answer": "Yes."}), []string{"input", "courseId"}},
		{updateFaqEntry, input(map[string]any{"id": x.faq, "answer": "Defaced."}), []string{"input", "id"}},
		{moveFaqEntry, input(map[string]any{"id": x.faq, "position": 1}), []string{"input", "id"}},
		{deleteFaqEntry, idOnly(x.faq), []string{"id"}},
	}
}

// exerciseContent runs every content mutation once as c on a course,
// checking each payload and the stored rows it leaves.
func (e *env) exerciseContent(t *testing.T, c *caller, courseGID string) {
	t.Helper()
	courseID := parseCourseID(t, courseGID)
	first := c.newSection(t, courseGID, "First")
	second := c.newSection(t, courseGID, "Second")
	if row := e.sectionRow(t, first.ID); row.CourseID != courseID || row.Title != "First" || first.Course.ID != courseGID {
		t.Fatalf("created section: payload %+v, stored %+v", *first, row)
	}

	p := requireDone(t, "updateSection", c.edit(t, updateSection, input(map[string]any{"id": first.ID, "title": "  Renamed  "})))
	if p.Section.Title != "Renamed" || e.sectionRow(t, first.ID).Title != "Renamed" {
		t.Fatalf("updateSection: %s", p.Raw)
	}
	p = requireDone(t, "moveSection", c.edit(t, moveSection, input(map[string]any{"id": second.ID, "position": 0})))
	if p.Section.Position != 0 || e.sectionRow(t, second.ID).Position != 0 || e.sectionRow(t, first.ID).Position != 1 {
		t.Fatalf("moveSection: %s", p.Raw)
	}

	l := c.newLesson(t, first.ID, "written-here", map[string]any{"body": "A short body."})
	if row := e.lessonRow(t, l.ID); l.Status != "DRAFT" || row.Status != lesson.StatusDRAFT || row.SectionID != rowID(t, first.ID) ||
		row.Body != "A short body." || row.Access != lesson.AccessENROLLED {
		t.Fatalf("created lesson: payload %+v, stored %+v", *l, row)
	}
	p = requireDone(t, "updateLesson", c.edit(t, updateLesson, input(map[string]any{"id": l.ID, "title": "Retitled", "access": "PUBLIC"})))
	if row := e.lessonRow(t, l.ID); p.Lesson.Title != "Retitled" || p.Lesson.Access != "PUBLIC" || row.Title != "Retitled" ||
		row.Access != lesson.AccessPUBLIC || row.Body != "A short body." {
		t.Fatalf("updateLesson: payload %s, stored %+v", p.Raw, row)
	}
	other := c.newLesson(t, second.ID, "to-be-deleted", nil)
	p = requireDone(t, "moveLesson", c.edit(t, moveLesson, input(map[string]any{"id": l.ID, "sectionId": second.ID, "position": 0})))
	if row := e.lessonRow(t, l.ID); p.Lesson.Section.ID != second.ID || p.Lesson.Position != 0 ||
		row.SectionID != rowID(t, second.ID) || row.Position != 0 || e.lessonRow(t, other.ID).Position != 1 {
		t.Fatalf("moveLesson: payload %s, stored %+v", p.Raw, row)
	}
	count := e.courseByID(t, courseID).LessonCount
	p = requireDone(t, "publishLesson", c.edit(t, publishLesson, map[string]any{"id": l.ID}))
	if p.Lesson.Status != "PUBLISHED" || e.lessonRow(t, l.ID).Status != lesson.StatusPUBLISHED ||
		e.courseByID(t, courseID).LessonCount != count+1 {
		t.Fatalf("publishLesson: %s", p.Raw)
	}
	requireDeleted(t, "deleteLesson", c.edit(t, deleteLesson, map[string]any{"id": other.ID}), other.ID)
	if e.exists(t, other.ID) {
		t.Fatal("deleteLesson left the lesson stored")
	}

	q := c.newFAQ(t, courseGID, "Why?")
	p = requireDone(t, "updateFaqEntry", c.edit(t, updateFaqEntry, input(map[string]any{"id": q.ID, "answer": "Because."})))
	if row := e.faqRow(t, q.ID); p.FaqEntry.Answer != "Because." || row.Answer != "Because." || row.Question != "Why?" {
		t.Fatalf("updateFaqEntry: payload %s, stored %+v", p.Raw, row)
	}
	q2 := c.newFAQ(t, courseGID, "How?")
	p = requireDone(t, "moveFaqEntry", c.edit(t, moveFaqEntry, input(map[string]any{"id": q2.ID, "position": 0})))
	if p.FaqEntry.Position != 0 || e.faqRow(t, q2.ID).Position != 0 || e.faqRow(t, q.ID).Position != 1 {
		t.Fatalf("moveFaqEntry: %s", p.Raw)
	}
	requireDeleted(t, "deleteFaqEntry", c.edit(t, deleteFaqEntry, map[string]any{"id": q.ID}), q.ID)
	if e.exists(t, q.ID) || e.faqRow(t, q2.ID).Position != 0 {
		t.Fatal("deleteFaqEntry: the entry is still stored or the other did not close up")
	}

	requireDeleted(t, "deleteSection", c.edit(t, deleteSection, map[string]any{"id": first.ID}), first.ID)
	if e.exists(t, first.ID) || e.sectionRow(t, second.ID).Position != 0 {
		t.Fatal("deleteSection: the section is still stored or the other did not close up")
	}
}

package authoring_test

import (
	"fmt"
	"strings"
	"testing"

	"lectern/ent"
	"lectern/ent/faqentry"
	"lectern/ent/section"
	"lectern/internal/testenv"
)

func TestContentLimits(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("FiftySectionsPerCourse", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
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
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
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
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
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
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
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
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
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
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
			id := amara.draft(t, "long-read")
			body := strings.Repeat("é", 200_000)
			l := amara.newLesson(t, amara.newSection(t, id, "Only").ID, "the-long-one", map[string]any{"body": body})
			if row := e.lessonRow(t, l.ID); row.Body != body {
				t.Fatalf("stored body has %d characters, want the 200,000 sent", len([]rune(row.Body)))
			}
		})

		t.Run("InvalidSectionAndFAQInputStoresNothing", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
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

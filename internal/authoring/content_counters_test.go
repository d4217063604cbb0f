package authoring_test

import (
	"fmt"
	"slices"
	"testing"

	"lectern/ent/lesson"
	"lectern/ent/user"
	"lectern/internal/testenv"
)

func TestContentCounters(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("PublishingReopensAndDeletingCompletes", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
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
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
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
			t.Parallel()
			e := setup(t, dialect)
			amara := e.as(t, amaraEmail)
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
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
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

package learning_test

import (
	"testing"

	"github.com/google/uuid"

	"lectern/ent/enrollment"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

func TestLessonProgress(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("CompletesWithTheLastPublishedLessonAndReopens", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			ana := e.learner(t, "ana")
			published, drafts := e.lessons(t, indexingCourse)
			if len(published) < 2 || len(drafts) == 0 {
				t.Fatalf("%s has %d published and %d draft lessons; the test needs both", indexingCourse, len(published), len(drafts))
			}
			requireOK(t, "enroll", ana.enroll(t, e.courseGID(t, indexingCourse)).UserErrors)
			total := len(published)

			for i, l := range published {
				p := ana.complete(t, l)
				requireOK(t, "completeLesson", p.UserErrors)
				done := i + 1
				want := "ACTIVE"
				if done == total {
					want = "COMPLETED"
				}
				got := p.Enrollment
				if got == nil || got.CompletedLessonCount != done || !near(got.Progress, float64(done)/float64(total)) || got.Status != want {
					t.Fatalf("after lesson %d of %d: %+v, want %d done, progress %v, %s", done, total, got, done, float64(done)/float64(total), want)
				}
				if (got.CompletedAt != nil) != (want == "COMPLETED") {
					t.Fatalf("after lesson %d of %d: completedAt = %v with status %s", done, total, got.CompletedAt, got.Status)
				}
			}
			row := e.enrollment(t, ana.ID, indexingCourse)
			if row.Status != enrollment.StatusCOMPLETED || row.CompletedAt == nil || row.CompletedLessonCount != total {
				t.Fatalf("stored enrolment = %s, completed_at %v, %d lessons; want COMPLETED with a time and %d", row.Status, row.CompletedAt, row.CompletedLessonCount, total)
			}
			completedAt := *row.CompletedAt

			again := ana.complete(t, published[total-1])
			requireOK(t, "completeLesson again", again.UserErrors)
			if again.Enrollment.Status != "COMPLETED" || again.Enrollment.CompletedLessonCount != total {
				t.Fatalf("completing again: %+v, want COMPLETED with %d lessons", again.Enrollment, total)
			}
			if n := e.progressRows(t, ana.ID); n != total {
				t.Fatalf("%d completion rows after completing a lesson twice, want %d", n, total)
			}
			if row := e.enrollment(t, ana.ID, indexingCourse); row.CompletedAt == nil || !row.CompletedAt.Equal(completedAt) {
				t.Fatalf("completed_at moved from %v to %v on a repeated completion", completedAt, row.CompletedAt)
			}

			back := ana.uncomplete(t, published[0])
			requireOK(t, "uncompleteLesson", back.UserErrors)
			if back.Enrollment.Status != "ACTIVE" || back.Enrollment.CompletedAt != nil || back.Enrollment.CompletedLessonCount != total-1 {
				t.Fatalf("after taking a lesson back: %+v, want ACTIVE, no completedAt, %d lessons", back.Enrollment, total-1)
			}
			if !near(back.Enrollment.Progress, float64(total-1)/float64(total)) {
				t.Fatalf("progress = %v, want %v", back.Enrollment.Progress, float64(total-1)/float64(total))
			}
			row = e.enrollment(t, ana.ID, indexingCourse)
			if row.Status != enrollment.StatusACTIVE || row.CompletedAt != nil || row.CompletedLessonCount != total-1 {
				t.Fatalf("stored enrolment = %s, completed_at %v, %d lessons; want ACTIVE, none, %d", row.Status, row.CompletedAt, row.CompletedLessonCount, total-1)
			}

			backAgain := ana.uncomplete(t, published[0])
			requireOK(t, "uncompleteLesson again", backAgain.UserErrors)
			if backAgain.Enrollment.CompletedLessonCount != total-1 || e.progressRows(t, ana.ID) != total-1 {
				t.Fatalf("taking back a lesson not done changed progress: %+v", backAgain.Enrollment)
			}
		})

		t.Run("DraftLessonCountsForNothing", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			bo := e.learner(t, "bo")
			_, drafts := e.lessons(t, indexingCourse)
			requireOK(t, "enroll", bo.enroll(t, e.courseGID(t, indexingCourse)).UserErrors)
			p := bo.complete(t, drafts[0])
			if p.Enrollment != nil {
				t.Fatalf("completing a draft lesson returned %+v", p.Enrollment)
			}
			requireUserError(t, p.UserErrors, "NOT_FOUND", "lessonId")
			if n := e.progressRows(t, bo.ID); n != 0 {
				t.Fatalf("%d completion rows stored, want none", n)
			}
		})

		t.Run("RequiresEnrolment", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			cy := e.learner(t, "cy")
			published, _ := e.lessons(t, graphqlCourse)
			for _, doc := range []string{completeDoc, uncompleteDoc} {
				var p enrollmentPayload
				cy.mutate(t, doc, map[string]any{"id": published[0]}, &p)
				if p.Enrollment != nil {
					t.Fatalf("without enrolment: %+v", p.Enrollment)
				}
				requireUserError(t, p.UserErrors, "NOT_ENROLLED", "lessonId")
			}
			if n, p := e.enrollmentCount(t, cy.ID), e.progressRows(t, cy.ID); n != 0 || p != 0 {
				t.Fatalf("stored %d enrolments and %d completions, want none", n, p)
			}

			// A cancelled enrolment is not an active one.
			courseID := e.courseGID(t, graphqlCourse)
			requireOK(t, "enroll", cy.enroll(t, courseID).UserErrors)
			requireOK(t, "unenroll", cy.unenroll(t, courseID).UserErrors)
			p := cy.complete(t, published[0])
			requireUserError(t, p.UserErrors, "NOT_ENROLLED", "lessonId")
			if n := e.progressRows(t, cy.ID); n != 0 {
				t.Fatalf("%d completions stored on a cancelled enrolment, want none", n)
			}
		})

		t.Run("HidesLessonsOfDraftCourses", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			di := e.learner(t, "di")
			published, _ := e.lessons(t, draftCourse)
			random := di.complete(t, gid.New("Lesson", uuid.New()).String())
			requireUserError(t, random.UserErrors, "NOT_FOUND", "lessonId")
			for _, doc := range []string{completeDoc, uncompleteDoc} {
				var p enrollmentPayload
				di.mutate(t, doc, map[string]any{"id": published[0]}, &p)
				if p.Enrollment != nil {
					t.Fatalf("lesson of a draft course: %+v", p.Enrollment)
				}
				requireUserError(t, p.UserErrors, "NOT_FOUND", "lessonId")
			}
			wrongType := di.complete(t, e.courseGID(t, sqlCourse))
			requireUserError(t, wrongType.UserErrors, "NOT_FOUND", "lessonId")
			if n := e.progressRows(t, di.ID); n != 0 {
				t.Fatalf("%d completions stored, want none", n)
			}
		})

		t.Run("RequiresSignIn", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			published, _ := e.lessons(t, sqlCourse)
			for _, doc := range []string{completeDoc, uncompleteDoc} {
				requireErrorCode(t, e.anonymous().Query(t, doc, map[string]any{"id": published[0]}), "UNAUTHENTICATED")
			}
		})
	})
}

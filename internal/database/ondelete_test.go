package database_test

import (
	"testing"

	"lectern/internal/testenv"
)

func TestOnDelete(t *testing.T) {
	for _, dialect := range testenv.Dialects {
		t.Run(dialectName(dialect), func(t *testing.T) {
			t.Run("DeletingCourseCascadesToItsContent", func(t *testing.T) {
				f := newFixture(t, testenv.Open(t, dialect))
				g := f.courseWithContent("go-101")
				kept := f.courseWithContent("rust-101")
				children := []string{"sections", "lessons", "faq_entries", "course_tags", "course_members"}
				for _, table := range children {
					if n := f.count(table, "course_id = $1", g.course); n == 0 {
						t.Fatalf("fixture has no %s for the course", table)
					}
				}
				if err := f.exec(`DELETE FROM courses WHERE id = $1`, g.course); err != nil {
					t.Fatalf("delete course: %v", err)
				}
				for _, table := range children {
					if n := f.count(table, "course_id = $1", g.course); n != 0 {
						t.Errorf("%d %s left behind by the deleted course", n, table)
					}
					if n := f.count(table, "course_id = $1", kept.course); n == 0 {
						t.Errorf("the other course lost its %s", table)
					}
				}
				// The course's owner and tag are not the course's to delete.
				if f.count("users", "id = $1", g.owner) != 1 || f.count("tags", "id = $1", g.tag) != 1 {
					t.Errorf("deleting a course deleted its owner or its tag")
				}
			})

			t.Run("RefusesDeletingCourseWithEnrollment", func(t *testing.T) {
				f := newFixture(t, testenv.Open(t, dialect))
				g := f.courseWithContent("go-101")
				learner := f.insert("users", f.userRow("learner@example.com"))
				f.insert("enrollments", f.enrollmentRow(learner, g.course))
				err := f.exec(`DELETE FROM courses WHERE id = $1`, g.course)
				expectRefused(t, dialect, err, foreignKey("enrollments_courses_enrollments"))
				if f.count("courses", "id = $1", g.course) != 1 || f.count("lessons", "course_id = $1", g.course) != 1 {
					t.Fatalf("the refused delete removed the course or its lessons")
				}
			})

			t.Run("RefusesDeletingCourseWithReview", func(t *testing.T) {
				f := newFixture(t, testenv.Open(t, dialect))
				g := f.courseWithContent("go-101")
				learner := f.insert("users", f.userRow("learner@example.com"))
				f.insert("reviews", f.reviewRow(learner, g.course, 5))
				err := f.exec(`DELETE FROM courses WHERE id = $1`, g.course)
				expectRefused(t, dialect, err, foreignKey("reviews_courses_reviews"))
				if f.count("courses", "id = $1", g.course) != 1 || f.count("sections", "course_id = $1", g.course) != 1 {
					t.Fatalf("the refused delete removed the course or its sections")
				}
			})

			t.Run("RefusesDeletingUserWithReview", func(t *testing.T) {
				f := newFixture(t, testenv.Open(t, dialect))
				g := f.courseWithContent("go-101")
				learner := f.insert("users", f.userRow("learner@example.com"))
				f.insert("reviews", f.reviewRow(learner, g.course, 5))
				err := f.exec(`DELETE FROM users WHERE id = $1`, learner)
				expectRefused(t, dialect, err, foreignKey("reviews_users_reviews"))
				if f.count("reviews", "user_id = $1", learner) != 1 {
					t.Fatalf("the refused delete removed the review")
				}
			})

			t.Run("DeletingLessonCascadesToProgress", func(t *testing.T) {
				f := newFixture(t, testenv.Open(t, dialect))
				g := f.courseWithContent("go-101")
				learner := f.insert("users", f.userRow("learner@example.com"))
				enrollment := f.insert("enrollments", f.enrollmentRow(learner, g.course))
				second := f.insert("lessons", f.lessonRow(g.course, g.section, "second", 1))
				f.insert("lesson_progresses", f.progressRow(enrollment, g.lesson))
				f.insert("lesson_progresses", f.progressRow(enrollment, second))
				if err := f.exec(`DELETE FROM lessons WHERE id = $1`, g.lesson); err != nil {
					t.Fatalf("delete lesson: %v", err)
				}
				if n := f.count("lesson_progresses", "lesson_id = $1", g.lesson); n != 0 {
					t.Errorf("%d progress rows left for the deleted lesson", n)
				}
				if n := f.count("lesson_progresses", "lesson_id = $1", second); n != 1 {
					t.Errorf("progress on the remaining lesson: %d rows, want 1", n)
				}
				if f.count("enrollments", "id = $1", enrollment) != 1 {
					t.Errorf("deleting a lesson deleted the enrolment")
				}
			})
		})
	}
}

package database_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"lectern/internal/database"
	"lectern/internal/testenv"
)

// refused is what each database says when a constraint stops a write:
// PostgreSQL names the constraint; SQLite names a CHECK, names the columns
// of a UNIQUE index and says only "FOREIGN KEY constraint failed".
type refused struct{ postgres, sqlite string }

func (r refused) in(dialect string) string {
	if dialect == database.Postgres {
		return r.postgres
	}
	return r.sqlite
}

func check(name string) refused { return refused{`"` + name + `"`, "CHECK constraint failed: " + name} }

func unique(index, columns string) refused {
	return refused{`unique constraint "` + index + `"`, "UNIQUE constraint failed: " + columns}
}

func foreignKey(name string) refused {
	return refused{`foreign key constraint "` + name + `"`, "FOREIGN KEY constraint failed"}
}

// expectRefused fails the test unless err is the database refusing the
// write with want.
func expectRefused(t *testing.T, dialect string, err error, want refused) {
	t.Helper()
	if err == nil {
		t.Fatalf("the database accepted the write; want it refused (%s)", want.in(dialect))
	}
	if !strings.Contains(err.Error(), want.in(dialect)) {
		t.Fatalf("refused with %q; want %q", err, want.in(dialect))
	}
}

func TestConstraints(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		g := f.courseWithContent("go-101")
		other := f.courseWithContent("rust-101")
		learner := f.insert("users", f.userRow("learner@example.com"))
		f.insert("reviews", f.reviewRow(learner, g.course, 4))
		f.insert("enrollments", f.enrollmentRow(learner, g.course))
		f.insert("lessons", f.lessonRow(g.course, g.section, "deep-dive", 1))
		ownerless := f.insert("courses", f.courseRow("ownerless"))

		rejects := []struct {
			name  string
			table string
			row   row
			want  refused
		}{
			{"RejectsDuplicateCourseSlug", "courses", f.courseRow("go-101"), unique("courses_slug_key", "courses.slug")},
			{"RejectsUppercaseSlug", "courses", f.courseRow("Go-102"), check("course_slug")},
			{"RejectsTitleOver200Characters", "courses", with(f.courseRow("long-title"), row{"title": strings.Repeat("x", 201)}), check("course_title")},
			{"RejectsEmptyTitle", "courses", with(f.courseRow("empty-title"), row{"title": ""}), check("course_title")},
			{"RejectsStatusBogus", "courses", with(f.courseRow("bogus"), row{"status": "BOGUS"}), check("course_status")},
			{"RejectsPublishedCourseWithoutPublishedAt", "courses", with(f.courseRow("no-date"), row{"published_at": nil}), check("course_published")},
			{"RejectsNegativeEnrollmentCount", "courses", with(f.courseRow("negative"), row{"enrollment_count": -1}), check("course_counters")},
			{"RejectsRatingZero", "reviews", f.reviewRow(other.owner, g.course, 0), check("review_rating")},
			{"RejectsRatingSix", "reviews", f.reviewRow(other.owner, g.course, 6), check("review_rating")},
			{"RejectsSecondReviewByOneUserForOneCourse", "reviews", f.reviewRow(learner, g.course, 5),
				unique("review_user_id_course_id", "reviews.user_id, reviews.course_id")},
			{"RejectsDuplicateLessonSlugInCourse", "lessons", f.lessonRow(g.course, g.section, "intro", 2),
				unique("lesson_course_id_slug", "lessons.course_id, lessons.slug")},
			{"RejectsDuplicateSectionPositionInCourse", "sections", f.sectionRow(g.course, 0),
				unique("section_course_id_position", "sections.course_id, sections.position")},
			{"RejectsSectionOfMissingCourse", "sections", f.sectionRow(uuid.New(), 0), foreignKey("sections_courses_sections")},
			{"RejectsReviewByMissingUser", "reviews", f.reviewRow(uuid.New(), g.course, 5), foreignKey("reviews_users_reviews")},
			{"RejectsCompletedEnrollmentWithoutCompletedAt", "enrollments",
				with(f.enrollmentRow(other.owner, g.course), row{"status": "COMPLETED", "completed_at": nil}), check("enrollment_completed")},
			{"RejectsActiveEnrollmentWithCompletedAt", "enrollments",
				with(f.enrollmentRow(other.owner, g.course), row{"status": "ACTIVE", "completed_at": f.now}), check("enrollment_completed")},
			{"RejectsSecondOwnerOfCourse", "course_members", f.memberRow(g.course, other.owner, "OWNER"),
				unique("coursemember_one_owner", "course_members.course_id")},
		}
		for _, c := range rejects {
			t.Run(c.name, func(t *testing.T) {
				expectRefused(t, db.Dialect, f.try(c.table, c.row), c.want)
			})
		}

		// The other side of each boundary: rows the rules must let through.
		accepts := []struct {
			name  string
			table string
			row   row
		}{
			{"AcceptsTitleOf200Characters", "courses", with(f.courseRow("title-200"), row{"title": strings.Repeat("é", 200)})},
			{"AcceptsDraftCourseWithoutPublishedAt", "courses", with(f.courseRow("draft"), row{"status": "DRAFT", "published_at": nil})},
			{"AcceptsLessonSlugUsedInAnotherCourse", "lessons", f.lessonRow(other.course, other.section, "deep-dive", 1)},
			{"AcceptsRatingFive", "reviews", f.reviewRow(other.owner, g.course, 5)},
			{"AcceptsCompletedEnrollmentWithCompletedAt", "enrollments",
				with(f.enrollmentRow(other.owner, g.course), row{"status": "COMPLETED", "completed_at": f.now})},
			{"AcceptsInstructorBesideOwner", "course_members", f.memberRow(g.course, other.owner, "INSTRUCTOR")},
			{"AcceptsOwnerOfOwnerlessCourse", "course_members", f.memberRow(ownerless, learner, "OWNER")},
		}
		for _, c := range accepts {
			t.Run(c.name, func(t *testing.T) {
				if err := f.try(c.table, c.row); err != nil {
					t.Fatalf("refused: %v", err)
				}
			})
		}
	})
}

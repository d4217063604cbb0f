package learning_test

import (
	"fmt"
	"maps"
	"testing"

	"github.com/google/uuid"

	"lectern/internal/counter"
	"lectern/internal/testenv"
)

// countedTables are the tables whose rows a learning write could touch:
// the course and everything summarised in its counters.
var countedTables = []string{"courses", "sections", "lessons", "lesson_progresses", "enrollments", "reviews",
	"course_members", "audit_events", "users"}

// TestRowsWrittenPerWrite: a learner's write costs the same few rows
// whether the course has 2 learners or 50 — the click of one learner must
// not rewrite everybody's enrolment. Rows are counted by the database
// itself (row-level triggers), whatever statement wrote them.
func TestRowsWrittenPerWrite(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		small := e.withLearners(t, graphqlCourse, 1)
		large := e.withLearners(t, sqlCourse, 49)
		clicker := e.learner(t, "clicker")
		writes := testenv.CountRowWrites(t, e.db, countedTables...)

		// Each step, its expected rows written, for both courses.
		type step struct {
			name string
			do   func(t *testing.T, c courseUnderTest)
			want testenv.RowCounts
		}
		// A click writes rowsPerClick rows: its progress row and its own
		// enrolment (count and status in one statement). Enrolling and
		// reviewing write their own row and the course's counters.
		const rowsPerClick = 2
		enrolledRow := testenv.RowCounts{"enrollments INSERT": 1, "courses UPDATE": 1}
		progressed := testenv.RowCounts{"lesson_progresses INSERT": 1, "enrollments UPDATE": 1}
		regressed := testenv.RowCounts{"lesson_progresses DELETE": 1, "enrollments UPDATE": 1}
		if progressed.Total() != rowsPerClick || regressed.Total() != rowsPerClick {
			t.Fatal("the expected row counts disagree with rowsPerClick")
		}
		statusAndCourse := testenv.RowCounts{"enrollments UPDATE": 1, "courses UPDATE": 1}
		var reviewID string
		steps := []step{
			{"enroll", func(t *testing.T, c courseUnderTest) {
				requireOK(t, "enroll", clicker.enroll(t, c.id).UserErrors)
			}, enrolledRow},
			{"completeLesson", func(t *testing.T, c courseUnderTest) {
				requireOK(t, "completeLesson", clicker.complete(t, c.published[0]).UserErrors)
			}, progressed},
			{"completeLesson again", func(t *testing.T, c courseUnderTest) {
				requireOK(t, "completeLesson", clicker.complete(t, c.published[0]).UserErrors)
			}, testenv.RowCounts{}},
			{"uncompleteLesson not done", func(t *testing.T, c courseUnderTest) {
				requireOK(t, "uncompleteLesson", clicker.uncomplete(t, c.published[1]).UserErrors)
			}, testenv.RowCounts{}},
			{"uncompleteLesson", func(t *testing.T, c courseUnderTest) {
				requireOK(t, "uncompleteLesson", clicker.uncomplete(t, c.published[0]).UserErrors)
			}, regressed},
			{"uncompleteLesson again", func(t *testing.T, c courseUnderTest) {
				requireOK(t, "uncompleteLesson", clicker.uncomplete(t, c.published[0]).UserErrors)
			}, testenv.RowCounts{}},
			{"completeLesson of all but the last", func(t *testing.T, c courseUnderTest) {
				for _, l := range c.published[:len(c.published)-1] {
					requireOK(t, "completeLesson", clicker.complete(t, l).UserErrors)
				}
			}, nil}, // not measured: several clicks
			{"completeLesson completing the course", func(t *testing.T, c courseUnderTest) {
				p := clicker.complete(t, c.published[len(c.published)-1])
				requireOK(t, "completeLesson", p.UserErrors)
				if p.Enrollment.Status != "COMPLETED" || p.Enrollment.CompletedAt == nil {
					t.Fatalf("after the last lesson: %+v, want COMPLETED", p.Enrollment)
				}
			}, progressed},
			{"uncompleteLesson reopening the course", func(t *testing.T, c courseUnderTest) {
				p := clicker.uncomplete(t, c.published[0])
				requireOK(t, "uncompleteLesson", p.UserErrors)
				if p.Enrollment.Status != "ACTIVE" || p.Enrollment.CompletedAt != nil {
					t.Fatalf("after taking a lesson back: %+v, want ACTIVE", p.Enrollment)
				}
			}, regressed},
			{"createReview", func(t *testing.T, c courseUnderTest) {
				p := clicker.createReview(t, c.id, 4, "")
				requireOK(t, "createReview", p.UserErrors)
				reviewID = p.Review.ID
			}, testenv.RowCounts{"reviews INSERT": 1, "courses UPDATE": 1}},
			{"updateReview", func(t *testing.T, c courseUnderTest) {
				requireOK(t, "updateReview", clicker.updateReview(t, reviewID, 2, "").UserErrors)
			}, testenv.RowCounts{"reviews UPDATE": 1, "courses UPDATE": 1}},
			{"deleteReview", func(t *testing.T, c courseUnderTest) {
				requireOK(t, "deleteReview", clicker.deleteReview(t, reviewID).UserErrors)
			}, testenv.RowCounts{"reviews DELETE": 1, "courses UPDATE": 1}},
			{"unenroll", func(t *testing.T, c courseUnderTest) {
				requireOK(t, "unenroll", clicker.unenroll(t, c.id).UserErrors)
			}, statusAndCourse},
			{"unenroll again", func(t *testing.T, c courseUnderTest) {
				requireOK(t, "unenroll", clicker.unenroll(t, c.id).UserErrors)
			}, testenv.RowCounts{}},
			{"enroll again", func(t *testing.T, c courseUnderTest) {
				requireOK(t, "enroll", clicker.enroll(t, c.id).UserErrors)
			}, statusAndCourse},
			{"enroll once more", func(t *testing.T, c courseUnderTest) {
				requireOK(t, "enroll", clicker.enroll(t, c.id).UserErrors)
			}, testenv.RowCounts{}},
		}
		inSmall := map[string]testenv.RowCounts{}
		for _, c := range []courseUnderTest{small, large} {
			for _, s := range steps {
				writes.Take(t)
				s.do(t, c)
				got := writes.Take(t)
				t.Logf("%s with %d learners: %d rows written %v", s.name, c.learners, got.Total(), got)
				if s.want != nil && !maps.Equal(got, s.want) {
					t.Errorf("%s in a course of %d learners wrote %v (%d rows), want %v (%d rows)",
						s.name, c.learners, got, got.Total(), s.want, s.want.Total())
				}
				if c.learners == small.learners {
					inSmall[s.name] = got
				} else if !maps.Equal(got, inSmall[s.name]) {
					t.Errorf("%s wrote %v with %d learners but %v with %d", s.name, inSmall[s.name], small.learners, got, c.learners)
				}
			}
		}
		requireRecount(t, e.db)
	})
}

// courseUnderTest is a course whose learners the test has set.
type courseUnderTest struct {
	id        string
	published []string
	// learners is how many are enrolled once the test's own learner is.
	learners int
}

// withLearners empties a course of its demo enrolments and enrols n new
// learners in it directly (with some progress each), recounting its
// counters, so that with the test's own learner it has n+1.
func (e *env) withLearners(t *testing.T, slug string, n int) courseUnderTest {
	t.Helper()
	c := e.course(t, slug)
	published, _ := e.lessons(t, slug)
	if len(published) < 3 {
		t.Fatalf("%s has %d published lessons; the test needs 3", slug, len(published))
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := e.db.SQL.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`DELETE FROM enrollments WHERE course_id = $1`, c.ID)
	for i := range n {
		u := testenv.CreateAccount(t, e.db, testenv.Account{DisplayName: fmt.Sprintf("learner%d", i), VerifiedAt: testenv.Now})
		id := uuid.New()
		exec(`INSERT INTO enrollments (id, created_at, updated_at, status, completed_lesson_count, course_id, user_id)
VALUES ($1, $2, $2, 'ACTIVE', 0, $3, $4)`, id, testenv.Now, c.ID, u.ID)
		exec(`INSERT INTO lesson_progresses (id, completed_at, enrollment_id, lesson_id) VALUES ($1, $2, $3, $4)`,
			uuid.New(), testenv.Now, id, parseID(t, published[i%len(published)], "Lesson"))
	}
	if err := counter.RecountCourses(sys(), e.db.SQL, c.ID); err != nil {
		t.Fatalf("recount %s: %v", slug, err)
	}
	return courseUnderTest{id: c.GlobalID().String(), published: published, learners: n + 1}
}

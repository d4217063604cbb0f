package learning_test

import (
	"net/http"
	"testing"

	"lectern/internal/testenv"
)

// concurrency is how many requests each case sends at once: enough for
// transactions to overlap on both databases.
const concurrency = 8

// TestConcurrentWrites: the service is documented as safe for concurrent
// use, with counters never out of step with their rows. Double-submitted
// forms and many learners acting at once are the everyday cases.
func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("EnrolmentsOfManyLearnersAllCount", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			courseID := e.courseGID(t, sqlCourse)
			before := e.course(t, sqlCourse).EnrollmentCount
			var callers []*caller
			for range concurrency {
				callers = append(callers, e.learner(t, "crowd"))
			}
			for i, r := range e.all(t, callers, func(int) (string, map[string]any) {
				return enrollDoc, map[string]any{"id": courseID}
			}) {
				var out struct{ Enroll enrollmentPayload }
				r.Decode(t, &out)
				requireOK(t, "enroll", out.Enroll.UserErrors)
				if e.enrollment(t, callers[i].ID, sqlCourse) == nil {
					t.Fatalf("learner %d has no stored enrolment", i)
				}
			}
			requireEnrollmentCount(t, e, sqlCourse, before+concurrency)
			requireRecount(t, e.db)
		})

		t.Run("ReviewsOfManyLearnersAllCount", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			courseID := e.courseGID(t, graphqlCourse)
			var callers []*caller
			for range concurrency {
				c := e.learner(t, "critic")
				requireOK(t, "enroll", c.enroll(t, courseID).UserErrors)
				callers = append(callers, c)
			}
			before := e.course(t, graphqlCourse)
			sum := 0
			for i, r := range e.all(t, callers, func(i int) (string, map[string]any) {
				return createReviewDoc, map[string]any{"course": courseID, "rating": 1 + i%5, "body": ""}
			}) {
				var out struct{ CreateReview reviewPayload }
				r.Decode(t, &out)
				requireOK(t, "createReview", out.CreateReview.UserErrors)
				sum += 1 + i%5
			}
			e.requireRatings(t, graphqlCourse, before.RatingCount+concurrency, before.RatingSum+sum)
			requireRecount(t, e.db)
		})

		t.Run("DoubleSubmittedEnrolIsOneEnrolment", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			ana := e.learner(t, "ana")
			courseID := e.courseGID(t, indexingCourse)
			before := e.course(t, indexingCourse).EnrollmentCount
			same := make([]*caller, concurrency)
			for i := range same {
				same[i] = ana
			}
			ids := map[string]bool{}
			for _, r := range e.all(t, same, func(int) (string, map[string]any) {
				return enrollDoc, map[string]any{"id": courseID}
			}) {
				var out struct{ Enroll enrollmentPayload }
				r.Decode(t, &out)
				requireOK(t, "enroll", out.Enroll.UserErrors)
				ids[out.Enroll.Enrollment.ID] = true
			}
			if len(ids) != 1 || e.enrollmentCount(t, ana.ID) != 1 {
				t.Fatalf("concurrent enrols answered %d enrolment IDs and stored %d, want one", len(ids), e.enrollmentCount(t, ana.ID))
			}
			requireEnrollmentCount(t, e, indexingCourse, before+1)
		})

		t.Run("DoubleSubmittedCompletionIsHarmless", func(t *testing.T) {
			t.Parallel()
			e := setup(t, dialect)
			bo := e.learner(t, "bo")
			requireOK(t, "enroll", bo.enroll(t, e.courseGID(t, sqlCourse)).UserErrors)
			published, _ := e.lessons(t, sqlCourse)
			same := make([]*caller, concurrency)
			for i := range same {
				same[i] = bo
			}
			for _, r := range e.all(t, same, func(int) (string, map[string]any) {
				return completeDoc, map[string]any{"id": published[0]}
			}) {
				var out struct{ CompleteLesson enrollmentPayload }
				r.Decode(t, &out)
				requireOK(t, "completeLesson", out.CompleteLesson.UserErrors)
			}
			if n := e.progressRows(t, bo.ID); n != 1 {
				t.Fatalf("%d completion rows, want 1", n)
			}
			if row := e.enrollment(t, bo.ID, sqlCourse); row.CompletedLessonCount != 1 {
				t.Fatalf("completed_lesson_count = %d, want 1", row.CompletedLessonCount)
			}
		})
	})
}

// all sends one request per caller at the same moment and returns the
// answers in caller order.
func (e *env) all(t testing.TB, callers []*caller, request func(i int) (string, map[string]any)) []testenv.Reply {
	t.Helper()
	reqs := make([]*http.Request, len(callers))
	for i, c := range callers {
		doc, vars := request(i)
		reqs[i] = c.Request(t, doc, vars)
	}
	return e.c.ServeAtOnce(t, reqs...)
}

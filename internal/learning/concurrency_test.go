package learning_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"lectern/ent/enrollment"
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

// crowd is how many learners of one course click at once in
// TestConcurrentProgress.
const crowd = 20

const publishLessonDoc = `mutation($id: ID!) { publishLesson(id: $id) { lesson { id status } ` + userErrorFields + ` } }`

// TestConcurrentProgress: a crowd of learners of one course clicking at
// once (each also clicking several lessons at once, reviewing, leaving the
// course) while its owner publishes a lesson, which changes what
// "complete" means for all of them. Each learner's click moves their own
// enrolment by a delta, and the author's publish recounts everyone; after
// each round every counter must equal a recount of the rows.
func TestConcurrentProgress(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		courseID := e.courseGID(t, indexingCourse)
		published, drafts := e.lessons(t, indexingCourse)
		if len(published) < 2 || len(drafts) != 1 {
			t.Fatalf("%s has %d published and %d draft lessons; the test needs 2 and 1", indexingCourse, len(published), len(drafts))
		}
		owner := e.seeded(t, "daniel.kowalski@example.com")
		before := e.course(t, indexingCourse)
		learners := make([]*caller, crowd)
		for i := range learners {
			learners[i] = e.learner(t, fmt.Sprintf("crowd%d", i))
		}

		// Round 1: the crowd enrols at once.
		for _, r := range e.all(t, learners, func(int) (string, map[string]any) {
			return enrollDoc, map[string]any{"id": courseID}
		}) {
			var out struct{ Enroll enrollmentPayload }
			r.Decode(t, &out)
			requireOK(t, "enroll", out.Enroll.UserErrors)
		}
		requireEnrollmentCount(t, e, indexingCourse, before.EnrollmentCount+crowd)

		// Round 2, at once: every learner completes every published lesson
		// (their own clicks concurrent too), every other one reviews, and
		// the owner publishes the draft lesson.
		b := &batch{e: e}
		for i, l := range learners {
			for _, lesson := range published {
				b.add(t, l, completeDoc, map[string]any{"id": lesson}, "completeLesson")
			}
			if i%2 == 0 {
				b.add(t, l, createReviewDoc, map[string]any{"course": courseID, "rating": 1 + i%5, "body": ""}, "createReview")
			}
		}
		b.add(t, owner, publishLessonDoc, map[string]any{"id": drafts[0]}, "publishLesson")
		for _, o := range b.send(t) {
			requireOK(t, o.field, o.errs)
		}
		total := len(published) + 1
		if c := e.course(t, indexingCourse); c.LessonCount != total {
			t.Fatalf("lesson_count = %d after publishing, want %d", c.LessonCount, total)
		}
		for i, l := range learners {
			e.requireProgress(t, i, l, "ACTIVE", len(published))
		}
		requireRecount(t, e.db)

		// Round 3, at once: every learner completes the new lesson; the
		// odd ones also take the first lesson back, the even ones change
		// their review; the last two leave the course while they click.
		b = &batch{e: e}
		leaving := learners[crowd-2:]
		for i, l := range learners {
			b.add(t, l, completeDoc, map[string]any{"id": drafts[0]}, "completeLesson")
			if i%2 == 1 {
				b.add(t, l, uncompleteDoc, map[string]any{"id": published[0]}, "uncompleteLesson")
			} else {
				id := e.reviews(t, l.ID, indexingCourse)[0].GlobalID().String()
				b.add(t, l, updateReviewDoc, map[string]any{"id": id, "rating": 5 - i%5, "body": ""}, "updateReview")
			}
			if slices.Contains(leaving, l) {
				b.add(t, l, unenrollDoc, map[string]any{"id": courseID}, "unenroll")
			}
		}
		for _, o := range b.send(t) {
			// A click that lost the race with its learner's unenrol is
			// NOT_ENROLLED, and keeps nothing.
			if slices.Contains(leaving, o.by) && len(o.errs) == 1 && o.errs[0].Code == "NOT_ENROLLED" {
				continue
			}
			requireOK(t, o.field, o.errs)
		}
		for i, l := range learners[:crowd-2] {
			if i%2 == 1 {
				e.requireProgress(t, i, l, "ACTIVE", total-1)
			} else {
				e.requireProgress(t, i, l, "COMPLETED", total)
			}
		}
		for _, l := range leaving {
			if row := e.enrollment(t, l.ID, indexingCourse); row.Status != enrollment.StatusCANCELLED {
				t.Errorf("learner who left: status %s, want CANCELLED", row.Status)
			}
		}
		requireEnrollmentCount(t, e, indexingCourse, before.EnrollmentCount+crowd-len(leaving))
		requireRecount(t, e.db)
	})
}

// requireProgress fails unless learner i's stored enrolment in the
// indexing course has status and done lessons (and completed_at with
// COMPLETED only).
func (e *env) requireProgress(t testing.TB, i int, l *caller, status string, done int) {
	t.Helper()
	row := e.enrollment(t, l.ID, indexingCourse)
	if string(row.Status) != status || row.CompletedLessonCount != done || (row.CompletedAt != nil) != (status == "COMPLETED") {
		t.Errorf("learner %d: %s with %d lessons done (completed_at %v), want %s with %d",
			i, row.Status, row.CompletedLessonCount, row.CompletedAt, status, done)
	}
}

// batch is a set of mutations by various callers to send at once.
type batch struct {
	e     *env
	by    []*caller
	reqs  []*http.Request
	field []string
}

// add queues a one-field mutation (field is its root field) by c.
func (b *batch) add(t testing.TB, c *caller, doc string, vars map[string]any, field string) {
	t.Helper()
	b.by = append(b.by, c)
	b.field = append(b.field, field)
	b.reqs = append(b.reqs, c.Request(t, doc, vars))
}

// outcome is one answer of a batch: who sent it, its root field and its
// user errors.
type outcome struct {
	by    *caller
	field string
	errs  []userError
}

// send releases the batch's requests together and returns their outcomes
// in order, failing on any top-level error.
func (b *batch) send(t testing.TB) []outcome {
	t.Helper()
	out := make([]outcome, len(b.reqs))
	for i, r := range b.e.c.ServeAtOnce(t, b.reqs...) {
		var data map[string]struct{ UserErrors []userError }
		r.Decode(t, &data)
		out[i] = outcome{by: b.by[i], field: b.field[i], errs: data[b.field[i]].UserErrors}
	}
	return out
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

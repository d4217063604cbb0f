package learning_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/uuid"

	"lectern/ent/course"
	"lectern/ent/coursemember"
	"lectern/ent/enrollment"
	"lectern/ent/lessonprogress"
	"lectern/ent/review"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

// counterSeed drives the operation sequence; a failure names the step, and
// the same seed replays the same steps.
const counterSeed = 20261101

// counterSteps is how many operations the sequence sends.
const counterSteps = 60

// TestCountersMatchRecount sends a random mix of learning operations
// through the API, predicting each outcome from a model of who is enrolled
// where, and then checks every stored counter against a recount the test
// computes itself from the rows.
func TestCountersMatchRecount(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := setup(t, dialect)
		w := newWorld(t, e)
		rng := rand.New(rand.NewPCG(counterSeed, 1))
		for step := 0; step < counterSteps; {
			if w.act(t, rng, step) {
				step++
			}
		}
		// A sequence that never succeeds at an operation proves nothing
		// about the counters that operation moves.
		for _, op := range []string{"enroll", "unenroll", "completeLesson", "uncompleteLesson", "createReview", "updateReview", "deleteReview"} {
			if w.seen[op+" "] == 0 {
				t.Errorf("the sequence never ran %s successfully (outcomes: %v); choose another seed", op, w.seen)
			}
		}
		t.Logf("outcomes: %v", w.seen)
		w.requireModel(t)
		requireRecount(t, e.db)
	})
}

// slot is one learner in one course.
type slot struct{ learner, course int }

type worldCourse struct {
	slug string
	id   string
	// lessons counts all published lessons; published holds the global
	// IDs of those the sequence acts on, drafts of its draft lessons.
	lessons   int
	published []string
	drafts    []string
}

// world is the test's model of the learning state of a few learners in a
// few courses, initialised from the seeded rows.
type world struct {
	e        *env
	learners []*caller
	courses  []worldCourse
	staff    map[slot]bool
	enrolled map[slot]bool // an enrolment exists
	canceled map[slot]bool
	done     map[slot]map[string]bool
	review   map[slot]string // review global ID
	// foreign are reviews of the model's courses by people outside it.
	foreign []string
	// seen counts the outcomes met ("enroll " for success, "enroll
	// OWN_COURSE"…), to show what the sequence exercised.
	seen map[string]int
}

func newWorld(t *testing.T, e *env) *world {
	t.Helper()
	w := &world{e: e, staff: map[slot]bool{}, enrolled: map[slot]bool{}, canceled: map[slot]bool{},
		done: map[slot]map[string]bool{}, review: map[slot]string{}, seen: map[string]int{}}
	w.learners = []*caller{e.learner(t, "first"), e.learner(t, "second"), e.learner(t, "third"), e.seeded(t, priyaEmail)}
	for _, slug := range []string{indexingCourse, graphqlCourse, sqlCourse, backendCourse} {
		published, drafts := e.lessons(t, slug)
		c := worldCourse{slug: slug, id: e.courseGID(t, slug), lessons: len(published), published: published, drafts: drafts}
		if slug == backendCourse {
			// A few of its many lessons are enough to move its counters.
			c.published = published[:3]
		}
		w.courses = append(w.courses, c)
	}
	w.load(t)
	return w
}

// load reads the seeded state of the model's slots.
func (w *world) load(t *testing.T) {
	t.Helper()
	ctx := sys()
	for li, l := range w.learners {
		for ci, c := range w.courses {
			s := slot{li, ci}
			w.done[s] = map[string]bool{}
			cid := parseID(t, c.id, "Course")
			staff, err := w.e.db.Ent.CourseMember.Query().Where(coursemember.CourseID(cid), coursemember.UserID(l.ID)).Exist(ctx)
			if err != nil {
				t.Fatal(err)
			}
			w.staff[s] = staff
			if en := w.e.enrollment(t, l.ID, c.slug); en != nil {
				w.enrolled[s], w.canceled[s] = true, en.Status == enrollment.StatusCANCELLED
				for _, p := range w.e.db.Ent.LessonProgress.Query().Where(lessonprogress.EnrollmentID(en.ID)).AllX(ctx) {
					w.done[s][idOf("Lesson", p.LessonID)] = true
				}
			}
			if rs := w.e.reviews(t, l.ID, c.slug); len(rs) == 1 {
				w.review[s] = rs[0].GlobalID().String()
			}
		}
	}
	mine := map[uuid.UUID]bool{}
	for _, l := range w.learners {
		mine[l.ID] = true
	}
	for _, c := range w.courses {
		for _, r := range w.e.db.Ent.Review.Query().Where(review.HasCourseWith(course.Slug(c.slug))).AllX(ctx) {
			if !mine[r.UserID] {
				w.foreign = append(w.foreign, r.GlobalID().String())
			}
		}
	}
}

// status is the enrolment status the model expects for s.
func (w *world) status(s slot) string {
	switch {
	case w.canceled[s]:
		return "CANCELLED"
	case len(w.done[s]) == w.courses[s.course].lessons:
		return "COMPLETED"
	}
	return "ACTIVE"
}

// active reports whether s has an enrolment that allows progress and
// reviews.
func (w *world) active(s slot) bool { return w.enrolled[s] && !w.canceled[s] }

// act runs one random operation and checks its answer against the model.
// It returns false when the drawn operation has nothing to act on.
func (w *world) act(t *testing.T, rng *rand.Rand, step int) bool {
	t.Helper()
	op := rng.IntN(7)
	s := w.pickSlot(rng, op)
	l, c := w.learners[s.learner], w.courses[s.course]
	lessonID := w.pickLesson(rng, s, op)
	isDraft := slices.Contains(c.drafts, lessonID)
	rating := 1 + rng.IntN(5)
	if rng.IntN(8) == 0 {
		rating = 6 * rng.IntN(2) // out of range on purpose
	}
	name := func(op string) string {
		return fmt.Sprintf("step %d: %s by learner %d in %s", step, op, s.learner, c.slug)
	}

	check := func(what string, errs []userError, code string) {
		t.Helper()
		w.expect(t, name(what), errs, code)
		w.seen[what+" "+code]++
	}

	switch op {
	case 0:
		p := l.enroll(t, c.id)
		if w.staff[s] {
			check("enroll", p.UserErrors, "OWN_COURSE")
			return true
		}
		check("enroll", p.UserErrors, "")
		w.enrolled[s], w.canceled[s] = true, false
		w.checkEnrollment(t, name("enroll"), s, p.Enrollment)
	case 1:
		p := l.unenroll(t, c.id)
		if !w.enrolled[s] {
			check("unenroll", p.UserErrors, "NOT_FOUND")
			return true
		}
		check("unenroll", p.UserErrors, "")
		w.canceled[s] = true
		w.checkEnrollment(t, name("unenroll"), s, p.Enrollment)
	case 2, 3:
		doc, what := completeDoc, "completeLesson"
		if op == 3 {
			doc, what = uncompleteDoc, "uncompleteLesson"
		}
		var p enrollmentPayload
		l.mutate(t, doc, map[string]any{"id": lessonID}, &p)
		switch {
		case isDraft && !w.staff[s]:
			check(what, p.UserErrors, "NOT_FOUND")
		case isDraft:
			check(what, p.UserErrors, "NOT_PUBLISHED")
		case !w.active(s):
			check(what, p.UserErrors, "NOT_ENROLLED")
		default:
			check(what, p.UserErrors, "")
			if op == 2 {
				w.done[s][lessonID] = true
			} else {
				delete(w.done[s], lessonID)
			}
			w.checkEnrollment(t, name(what), s, p.Enrollment)
		}
	case 4:
		p := l.createReview(t, c.id, rating, "")
		switch {
		case rating < 1 || rating > 5:
			check("createReview", p.UserErrors, "INVALID")
		case w.staff[s]:
			check("createReview", p.UserErrors, "OWN_COURSE")
		case !w.active(s):
			check("createReview", p.UserErrors, "NOT_ENROLLED")
		case w.review[s] != "":
			check("createReview", p.UserErrors, "ALREADY_REVIEWED")
		default:
			check("createReview", p.UserErrors, "")
			w.review[s] = p.Review.ID
		}
	case 5:
		id, own := w.pickReview(rng, s)
		if id == "" {
			return false
		}
		p := l.updateReview(t, id, rating, "")
		switch {
		case rating < 1 || rating > 5:
			check("updateReview", p.UserErrors, "INVALID")
		case !own:
			check("updateReview", p.UserErrors, "NOT_FOUND")
		default:
			check("updateReview", p.UserErrors, "")
			if p.Review.Rating != rating {
				t.Fatalf("%s: rating = %d, want %d", name("updateReview"), p.Review.Rating, rating)
			}
		}
	case 6:
		id, own := w.pickReview(rng, s)
		if id == "" {
			return false
		}
		if !own {
			requireErrorCode(t, l.Query(t, deleteReviewDoc, map[string]any{"id": id}), "FORBIDDEN")
			w.seen["deleteReview FORBIDDEN"]++
			return true
		}
		check("deleteReview", l.deleteReview(t, id).UserErrors, "")
		for k, v := range w.review {
			if v == id {
				delete(w.review, k)
			}
		}
	}
	return true
}

// pickSlot draws the learner and course of an operation. Drawn uniformly,
// most lesson and review operations would hit a learner who is not
// enrolled; so, three times in four, they go to a slot where they can
// succeed (an active enrolment, or an existing review).
func (w *world) pickSlot(rng *rand.Rand, op int) slot {
	var fit []slot
	for li := range w.learners {
		for ci := range w.courses {
			s := slot{li, ci}
			if (op >= 2 && op <= 4 && w.active(s)) || (op >= 5 && w.review[s] != "") {
				fit = append(fit, s)
			}
		}
	}
	if len(fit) > 0 && rng.IntN(4) > 0 {
		return fit[rng.IntN(len(fit))]
	}
	return slot{rng.IntN(len(w.learners)), rng.IntN(len(w.courses))}
}

// pickLesson draws a lesson of the slot's course: usually one whose
// completion the operation changes, sometimes any (drafts included).
func (w *world) pickLesson(rng *rand.Rand, s slot, op int) string {
	c := w.courses[s.course]
	var fit []string
	for _, id := range c.published {
		if (op == 2) != w.done[s][id] {
			fit = append(fit, id)
		}
	}
	if len(fit) > 0 && rng.IntN(4) > 0 {
		return fit[rng.IntN(len(fit))]
	}
	lessons := append(slices.Clone(c.published), c.drafts...)
	return lessons[rng.IntN(len(lessons))]
}

// pickReview draws a review for learner s.learner to act on: usually
// their own in the course, sometimes somebody else's.
func (w *world) pickReview(rng *rand.Rand, s slot) (id string, own bool) {
	if id := w.review[s]; id != "" && rng.IntN(4) > 0 {
		return id, true
	}
	var others []string
	others = append(others, w.foreign...)
	for _, k := range slices.SortedFunc(maps.Keys(w.review), func(a, b slot) int {
		return (a.learner*100 + a.course) - (b.learner*100 + b.course)
	}) {
		if k.learner != s.learner {
			others = append(others, w.review[k])
		}
	}
	if len(others) == 0 {
		return w.review[s], w.review[s] != ""
	}
	return others[rng.IntN(len(others))], false
}

// expect fails unless errs is empty (code "") or one error with code.
func (w *world) expect(t *testing.T, what string, errs []userError, code string) {
	t.Helper()
	switch {
	case code == "" && len(errs) > 0:
		t.Fatalf("%s: unexpected userErrors %+v", what, errs)
	case code != "" && (len(errs) != 1 || errs[0].Code != code):
		t.Fatalf("%s: userErrors = %+v, want %s", what, errs, code)
	}
}

// checkEnrollment compares an enrolment in a payload with the model.
func (w *world) checkEnrollment(t *testing.T, what string, s slot, got *enrollmentOut) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no enrolment in the payload", what)
	}
	if got.Status != w.status(s) || got.CompletedLessonCount != len(w.done[s]) {
		t.Fatalf("%s: enrolment %s with %d lessons done, want %s with %d", what, got.Status, got.CompletedLessonCount, w.status(s), len(w.done[s]))
	}
}

// requireModel compares the stored rows of every slot with the model.
func (w *world) requireModel(t *testing.T) {
	t.Helper()
	for li, l := range w.learners {
		for ci, c := range w.courses {
			s := slot{li, ci}
			row := w.e.enrollment(t, l.ID, c.slug)
			if (row != nil) != w.enrolled[s] {
				t.Fatalf("learner %d in %s: stored enrolment %v, model says enrolled=%v", li, c.slug, row, w.enrolled[s])
			}
			if row != nil && (string(row.Status) != w.status(s) || row.CompletedLessonCount != len(w.done[s])) {
				t.Errorf("learner %d in %s: stored %s with %d done, model %s with %d", li, c.slug, row.Status, row.CompletedLessonCount, w.status(s), len(w.done[s]))
			}
			rs := w.e.reviews(t, l.ID, c.slug)
			if (len(rs) == 1) != (w.review[s] != "") || len(rs) > 1 {
				t.Errorf("learner %d in %s: %d stored reviews, model has %q", li, c.slug, len(rs), w.review[s])
			}
		}
	}
}

// requireRecount recounts every course's counters and every enrolment's
// progress from the rows, in plain SQL written for this test, and compares
// them with the stored counters.
func requireRecount(t *testing.T, db *database.DB) {
	t.Helper()
	ctx := context.Background()
	active := countBy(t, db, `SELECT course_id, COUNT(*) FROM enrollments WHERE status IN ('ACTIVE', 'COMPLETED') GROUP BY course_id`)
	lessons := countBy(t, db, `SELECT course_id, COUNT(*) FROM lessons WHERE status = 'PUBLISHED' GROUP BY course_id`)
	ratings := countBy(t, db, `SELECT course_id, COUNT(*) FROM reviews GROUP BY course_id`)
	sums := countBy(t, db, `SELECT course_id, SUM(rating) FROM reviews GROUP BY course_id`)
	done := countBy(t, db, `SELECT p.enrollment_id, COUNT(*) FROM lesson_progresses p
  JOIN lessons l ON l.id = p.lesson_id WHERE l.status = 'PUBLISHED' GROUP BY p.enrollment_id`)

	rows, err := db.SQL.QueryContext(ctx, `SELECT id, slug, enrollment_count, lesson_count, rating_count, rating_sum, rating_average FROM courses`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	courses := 0
	for rows.Next() {
		var id uuid.UUID
		var slug string
		var enrolled, lessonCount, ratingCount, ratingSum int
		var average float64
		if err := rows.Scan(&id, &slug, &enrolled, &lessonCount, &ratingCount, &ratingSum, &average); err != nil {
			t.Fatal(err)
		}
		courses++
		wantAverage := 0.0
		if ratings[id] > 0 {
			wantAverage = float64(sums[id]) / float64(ratings[id])
		}
		if enrolled != active[id] || lessonCount != lessons[id] || ratingCount != ratings[id] || ratingSum != sums[id] || !near(average, wantAverage) {
			t.Errorf("%s stored enrolled=%d lessons=%d ratings=%d sum=%d average=%v; recount %d %d %d %d %v",
				slug, enrolled, lessonCount, ratingCount, ratingSum, average, active[id], lessons[id], ratings[id], sums[id], wantAverage)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if courses == 0 {
		t.Fatal("no courses to recount")
	}

	erows, err := db.SQL.QueryContext(ctx, `SELECT id, course_id, status, completed_lesson_count,
  CASE WHEN completed_at IS NULL THEN 0 ELSE 1 END FROM enrollments`)
	if err != nil {
		t.Fatal(err)
	}
	defer erows.Close()
	for erows.Next() {
		var id, courseID uuid.UUID
		var status string
		var completed, hasCompletedAt int
		if err := erows.Scan(&id, &courseID, &status, &completed, &hasCompletedAt); err != nil {
			t.Fatal(err)
		}
		want := "ACTIVE"
		switch {
		case status == "CANCELLED":
			// Cancelling is the learner's choice, not derived from rows;
			// the model checked each cancellation the sequence made.
			want = status
		case lessons[courseID] > 0 && done[id] >= lessons[courseID]:
			want = "COMPLETED"
		}
		if completed != done[id] || status != want || (hasCompletedAt == 1) != (want == "COMPLETED") {
			t.Errorf("enrolment %s: stored %s, %d done, completed_at set=%v; recount %s, %d done",
				id, status, completed, hasCompletedAt == 1, want, done[id])
		}
	}
	if err := erows.Err(); err != nil {
		t.Fatal(err)
	}
}

// countBy runs a two-column (key, number) query and returns it as a map.
func countBy(t *testing.T, db *database.DB, query string) map[uuid.UUID]int {
	t.Helper()
	rows, err := db.SQL.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	out := map[uuid.UUID]int{}
	for rows.Next() {
		var id uuid.UUID
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

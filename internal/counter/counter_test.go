package counter_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/internal/counter"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// counters are a course's stored (or expected) denormalised numbers.
type counters struct {
	Enrollments, Lessons, RatingCount, RatingSum int
	RatingAverage                                float64
}

func (c counters) equal(o counters) bool {
	return c.Enrollments == o.Enrollments && c.Lessons == o.Lessons && c.RatingCount == o.RatingCount &&
		c.RatingSum == o.RatingSum && math.Abs(c.RatingAverage-o.RatingAverage) < 1e-9
}

// snapshot is what the counters summarise, read row by row and counted in
// Go, next to what the database stores.
type snapshot struct {
	stored    map[uuid.UUID]counters
	expected  map[uuid.UUID]counters
	progress  map[uuid.UUID][2]int // enrolment → {stored, expected} completed lessons
	courseIDs []uuid.UUID
}

func read(t *testing.T, db *database.DB) snapshot {
	t.Helper()
	ctx := viewer.SystemContext(context.Background())
	courses, err := db.Ent.Course.Query().All(ctx)
	if err != nil {
		t.Fatalf("courses: %v", err)
	}
	enrollments, err := db.Ent.Enrollment.Query().All(ctx)
	if err != nil {
		t.Fatalf("enrollments: %v", err)
	}
	lessons, err := db.Ent.Lesson.Query().All(ctx)
	if err != nil {
		t.Fatalf("lessons: %v", err)
	}
	reviews, err := db.Ent.Review.Query().All(ctx)
	if err != nil {
		t.Fatalf("reviews: %v", err)
	}
	progress, err := db.Ent.LessonProgress.Query().All(ctx)
	if err != nil {
		t.Fatalf("progress: %v", err)
	}
	s := snapshot{stored: map[uuid.UUID]counters{}, expected: map[uuid.UUID]counters{}, progress: map[uuid.UUID][2]int{}}
	for _, c := range courses {
		s.courseIDs = append(s.courseIDs, c.ID)
		s.stored[c.ID] = counters{c.EnrollmentCount, c.LessonCount, c.RatingCount, c.RatingSum, c.RatingAverage}
		s.expected[c.ID] = counters{}
	}
	published := map[uuid.UUID]bool{}
	for _, l := range lessons {
		if l.Status == lesson.StatusPUBLISHED {
			published[l.ID] = true
			e := s.expected[l.CourseID]
			e.Lessons++
			s.expected[l.CourseID] = e
		}
	}
	for _, en := range enrollments {
		if en.Status != enrollment.StatusCANCELLED {
			e := s.expected[en.CourseID]
			e.Enrollments++
			s.expected[en.CourseID] = e
		}
		s.progress[en.ID] = [2]int{en.CompletedLessonCount, 0}
	}
	for _, p := range progress {
		if published[p.LessonID] {
			v := s.progress[p.EnrollmentID]
			v[1]++
			s.progress[p.EnrollmentID] = v
		}
	}
	for _, r := range reviews {
		e := s.expected[r.CourseID]
		e.RatingCount++
		e.RatingSum += r.Rating
		s.expected[r.CourseID] = e
	}
	for id, e := range s.expected {
		if e.RatingCount > 0 {
			e.RatingAverage = float64(e.RatingSum) / float64(e.RatingCount)
			s.expected[id] = e
		}
	}
	return s
}

// expectConsistent fails the test for every course (or enrolment) in ids
// whose stored counters differ from the rows; no ids means all of them.
func (s snapshot) expectConsistent(t *testing.T, ids ...uuid.UUID) {
	t.Helper()
	if len(ids) == 0 {
		ids = s.courseIDs
	}
	for _, id := range ids {
		if !s.stored[id].equal(s.expected[id]) {
			t.Errorf("course %s: stored %+v, rows say %+v", id, s.stored[id], s.expected[id])
		}
	}
}

func TestRecountCourses(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		testenv.Seeded(t, db)
		ctx := viewer.SystemContext(context.Background())

		t.Run("SeededCountersMatchRows", func(t *testing.T) {
			s := read(t, db)
			if len(s.courseIDs) == 0 {
				t.Fatal("the demo dataset has no courses")
			}
			s.expectConsistent(t)
			var moved int
			for id, v := range s.progress {
				if v[0] != v[1] {
					t.Errorf("enrolment %s: completed_lesson_count %d, progress rows on published lessons %d", id, v[0], v[1])
				}
				moved += v[1]
			}
			if moved == 0 {
				t.Error("the demo dataset has no progress, so progress counting went untested")
			}
		})

		t.Run("RecountsOnlyTheGivenCourseInsideTransaction", func(t *testing.T) {
			target, other := pickCourses(t, db)
			before := read(t, db)

			// Move every counter of the target course with plain SQL, the
			// way a write that forgot to recount would leave it.
			reviewer := userWithoutReview(t, db, target.ID)
			mustExec(t, db, `INSERT INTO reviews (id, created_at, updated_at, rating, body, course_id, user_id) VALUES ($1, $2, $2, 5, '', $3, $4)`,
				uuid.New(), testenv.Now, target.ID, reviewer)
			cancelled := activeEnrollment(t, db, target.ID)
			mustExec(t, db, `UPDATE enrollments SET status = 'CANCELLED', completed_at = NULL WHERE id = $1`, cancelled.ID)
			draft := draftLesson(t, db, target.ID)
			learner := activeEnrollmentOtherThan(t, db, target.ID, cancelled.ID)
			mustExec(t, db, `INSERT INTO lesson_progresses (id, completed_at, enrollment_id, lesson_id) VALUES ($1, $2, $3, $4)`,
				uuid.New(), testenv.Now, learner.ID, draft.ID)
			mustExec(t, db, `UPDATE lessons SET status = 'PUBLISHED', published_at = $1 WHERE id = $2`, testenv.Now, draft.ID)

			// And a counter of another course, which this recount must leave alone.
			mustExec(t, db, `INSERT INTO reviews (id, created_at, updated_at, rating, body, course_id, user_id) VALUES ($1, $2, $2, 1, '', $3, $4)`,
				uuid.New(), testenv.Now, other.ID, userWithoutReview(t, db, other.ID))

			err := database.InTx(ctx, db.Ent, func(tx *ent.Tx) error {
				return counter.RecountCourses(ctx, tx, target.ID)
			})
			if err != nil {
				t.Fatalf("recount: %v", err)
			}

			after := read(t, db)
			after.expectConsistent(t, target.ID)
			was, now := before.stored[target.ID], after.stored[target.ID]
			want := counters{
				Enrollments: was.Enrollments - 1,
				Lessons:     was.Lessons + 1,
				RatingCount: was.RatingCount + 1,
				RatingSum:   was.RatingSum + 5,
			}
			want.RatingAverage = float64(want.RatingSum) / float64(want.RatingCount)
			if !now.equal(want) {
				t.Errorf("target course counters went from %+v to %+v, want %+v", was, now, want)
			}
			if got := after.progress[learner.ID]; got[0] != before.progress[learner.ID][0]+1 || got[0] != got[1] {
				t.Errorf("learner's completed lessons went from %d to %d, want one more (progress on a newly published lesson)",
					before.progress[learner.ID][0], got[0])
			}
			for _, id := range after.courseIDs {
				if id != target.ID && after.stored[id] != before.stored[id] {
					t.Errorf("course %s was not asked for but its counters moved from %+v to %+v", id, before.stored[id], after.stored[id])
				}
			}
			if after.stored[other.ID].equal(after.expected[other.ID]) {
				t.Fatalf("the other course's counters already match its new review; the test proves nothing")
			}

			// Recounting every course catches the other one up too.
			if err := counter.RecountCourses(ctx, db.Ent); err != nil {
				t.Fatalf("recount all: %v", err)
			}
			read(t, db).expectConsistent(t)
		})

		t.Run("RolledBackRecountLeavesCountersAlone", func(t *testing.T) {
			live, err := db.Ent.Enrollment.Query().Where(enrollment.StatusNEQ(enrollment.StatusCANCELLED)).
				Order(ent.Asc(enrollment.FieldCreatedAt)).First(ctx)
			if err != nil {
				t.Fatalf("live enrolment: %v", err)
			}
			mustExec(t, db, `UPDATE enrollments SET status = 'CANCELLED', completed_at = NULL WHERE id = $1`, live.ID)
			before := read(t, db)
			if before.stored[live.CourseID].equal(before.expected[live.CourseID]) {
				t.Fatal("cancelling an enrolment did not make the stored count stale; the test proves nothing")
			}
			errStop := errors.New("stop")
			err = database.InTx(ctx, db.Ent, func(tx *ent.Tx) error {
				if err := counter.RecountCourses(ctx, tx, live.CourseID); err != nil {
					return err
				}
				return errStop
			})
			if !errors.Is(err, errStop) {
				t.Fatalf("InTx = %v, want %v", err, errStop)
			}
			if after := read(t, db); after.stored[live.CourseID] != before.stored[live.CourseID] {
				t.Fatalf("a rolled-back recount changed the counters from %+v to %+v", before.stored[live.CourseID], after.stored[live.CourseID])
			}
		})
	})
}

// pickCourses returns a course with a draft lesson and at least two live
// enrolments (the target), and another course.
func pickCourses(t *testing.T, db *database.DB) (target, other *ent.Course) {
	t.Helper()
	ctx := viewer.SystemContext(context.Background())
	courses, err := db.Ent.Course.Query().All(ctx)
	if err != nil {
		t.Fatalf("courses: %v", err)
	}
	for _, c := range courses {
		drafts, err := db.Ent.Lesson.Query().Where(lesson.CourseID(c.ID), lesson.StatusEQ(lesson.StatusDRAFT)).Count(ctx)
		if err != nil {
			t.Fatalf("lessons: %v", err)
		}
		live, err := db.Ent.Enrollment.Query().Where(enrollment.CourseID(c.ID), enrollment.StatusNEQ(enrollment.StatusCANCELLED)).Count(ctx)
		if err != nil {
			t.Fatalf("enrollments: %v", err)
		}
		switch {
		case target == nil && drafts > 0 && live >= 2:
			target = c
		case other == nil:
			other = c
		}
	}
	if target == nil || other == nil {
		t.Fatal("the demo dataset has no course with a draft lesson and two enrolments, or no second course")
	}
	return target, other
}

func userWithoutReview(t *testing.T, db *database.DB, courseID uuid.UUID) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := db.SQL.QueryRow(`SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM reviews WHERE course_id = $1) ORDER BY email LIMIT 1`, courseID).Scan(&id)
	if err != nil {
		t.Fatalf("user without a review: %v", err)
	}
	return id
}

func activeEnrollment(t *testing.T, db *database.DB, courseID uuid.UUID) *ent.Enrollment {
	t.Helper()
	return activeEnrollmentOtherThan(t, db, courseID, uuid.Nil)
}

func activeEnrollmentOtherThan(t *testing.T, db *database.DB, courseID, not uuid.UUID) *ent.Enrollment {
	t.Helper()
	e, err := db.Ent.Enrollment.Query().
		Where(enrollment.CourseID(courseID), enrollment.StatusNEQ(enrollment.StatusCANCELLED), enrollment.IDNEQ(not)).
		Order(ent.Asc(enrollment.FieldCreatedAt)).First(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatalf("live enrolment: %v", err)
	}
	return e
}

func draftLesson(t *testing.T, db *database.DB, courseID uuid.UUID) *ent.Lesson {
	t.Helper()
	l, err := db.Ent.Lesson.Query().Where(lesson.CourseID(courseID), lesson.StatusEQ(lesson.StatusDRAFT)).
		First(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatalf("draft lesson: %v", err)
	}
	return l
}

func mustExec(t *testing.T, db *database.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.SQL.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

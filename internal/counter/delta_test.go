package counter_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/ent/lessonprogress"
	"lectern/internal/counter"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// TestDeltas moves one enrolment and one course by the delta functions
// through a whole life (every lesson done, one taken back, cancelled,
// reactivated, reviewed) and checks after each step that every counter
// still equals its rows, that the enrolment's status follows SettleCourse's
// rules, and that a change already made changes nothing.
func TestDeltas(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		testenv.Seeded(t, db)
		ctx := viewer.SystemContext(context.Background())
		now := testenv.Now.Add(time.Hour)
		e, todo := unfinishedEnrollment(t, db)
		courseID := e.CourseID

		// step runs fn in a transaction committed unless it fails, and
		// checks every counter against the rows afterwards.
		step := func(name string, fn func(tx *sql.Tx) error) {
			t.Helper()
			tx, err := db.SQL.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := fn(tx); err != nil {
				_ = tx.Rollback()
				t.Fatalf("%s: %v", name, err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatalf("%s: commit: %v", name, err)
			}
			s := read(t, db)
			s.expectConsistent(t)
			for id, v := range s.progress {
				if v[0] != v[1] {
					t.Errorf("%s: enrolment %s has completed_lesson_count %d, progress rows say %d", name, id, v[0], v[1])
				}
			}
		}
		changes := func(want bool, changed bool, err error) error {
			if err == nil && changed != want {
				err = errors.New("reported the wrong change")
			}
			return err
		}
		status := func(want enrollment.Status) {
			t.Helper()
			got := db.Ent.Enrollment.GetX(ctx, e.ID)
			if got.Status != want || (got.CompletedAt != nil) != (want == enrollment.StatusCOMPLETED) {
				t.Fatalf("enrolment %s with completed_at %v, want %s", got.Status, got.CompletedAt, want)
			}
			if want == enrollment.StatusCOMPLETED && !got.CompletedAt.Equal(now) {
				t.Fatalf("completed_at %v, want %v", got.CompletedAt, now)
			}
		}

		for i, l := range todo {
			step("complete", func(tx *sql.Tx) error {
				changed, err := counter.CompleteLesson(ctx, tx, now, e.ID, l)
				return changes(true, changed, err)
			})
			if i < len(todo)-1 {
				status(enrollment.StatusACTIVE)
			}
		}
		status(enrollment.StatusCOMPLETED)
		step("complete again", func(tx *sql.Tx) error {
			changed, err := counter.CompleteLesson(ctx, tx, now.Add(time.Hour), e.ID, todo[0])
			return changes(false, changed, err)
		})
		status(enrollment.StatusCOMPLETED)

		step("uncomplete", func(tx *sql.Tx) error {
			changed, err := counter.UncompleteLesson(ctx, tx, now, e.ID, todo[0])
			return changes(true, changed, err)
		})
		status(enrollment.StatusACTIVE)
		step("uncomplete again", func(tx *sql.Tx) error {
			changed, err := counter.UncompleteLesson(ctx, tx, now, e.ID, todo[0])
			return changes(false, changed, err)
		})

		step("cancel", func(tx *sql.Tx) error {
			changed, err := counter.CancelEnrollment(ctx, tx, now, e.ID, courseID)
			return changes(true, changed, err)
		})
		status(enrollment.StatusCANCELLED)
		step("cancel again", func(tx *sql.Tx) error {
			changed, err := counter.CancelEnrollment(ctx, tx, now, e.ID, courseID)
			return changes(false, changed, err)
		})

		// Progress never moves on a cancelled enrolment: the caller rolls
		// back, the progress row with it.
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := counter.CompleteLesson(ctx, tx, now, e.ID, todo[0]); !errors.Is(err, counter.ErrCancelled) {
			t.Fatalf("completing a lesson of a cancelled enrolment: %v, want ErrCancelled", err)
		}
		_ = tx.Rollback()

		// Back with every lesson done: completed at once, as SettleCourse
		// would have it.
		step("complete while away", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO lesson_progresses (id, completed_at, enrollment_id, lesson_id) VALUES ($1, $2, $3, $4)`,
				uuid.New(), now, e.ID, todo[0])
			if err == nil {
				err = counter.RecountCourses(ctx, tx, courseID)
			}
			return err
		})
		step("reactivate", func(tx *sql.Tx) error {
			changed, err := counter.ReactivateEnrollment(ctx, tx, now, e.ID, courseID)
			return changes(true, changed, err)
		})
		status(enrollment.StatusCOMPLETED)
		step("reactivate again", func(tx *sql.Tx) error {
			changed, err := counter.ReactivateEnrollment(ctx, tx, now, e.ID, courseID)
			return changes(false, changed, err)
		})

		// Ratings: a review added, changed and taken away.
		reviewer, reviewID := userWithoutReview(t, db, courseID), uuid.New()
		step("review", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO reviews (id, created_at, updated_at, rating, body, course_id, user_id) VALUES ($1, $2, $2, 2, '', $3, $4)`,
				reviewID, now, courseID, reviewer)
			if err == nil {
				err = counter.MoveRatings(ctx, tx, courseID, 1, 2)
			}
			return err
		})
		step("change the rating", func(tx *sql.Tx) error {
			was, err := counter.ReviewRating(ctx, tx, db.Dialect, reviewID)
			if err == nil && was != 2 {
				err = errors.New("ReviewRating read the wrong rating")
			}
			if err == nil {
				_, err = tx.ExecContext(ctx, `UPDATE reviews SET rating = 5 WHERE id = $1`, reviewID)
			}
			if err == nil {
				err = counter.MoveRatings(ctx, tx, courseID, 0, 5-was)
			}
			return err
		})
		step("remove the review", func(tx *sql.Tx) error {
			was, err := counter.ReviewRating(ctx, tx, db.Dialect, reviewID)
			if err == nil {
				_, err = tx.ExecContext(ctx, `DELETE FROM reviews WHERE id = $1`, reviewID)
			}
			if err == nil {
				err = counter.MoveRatings(ctx, tx, courseID, -1, -was)
			}
			return err
		})
		step("a review gone", func(tx *sql.Tx) error {
			if _, err := counter.ReviewRating(ctx, tx, db.Dialect, reviewID); !errors.Is(err, sql.ErrNoRows) {
				return errors.New("ReviewRating of a deleted review did not report sql.ErrNoRows")
			}
			return nil
		})
	})
}

// unfinishedEnrollment returns a live enrolment whose course has published
// lessons it has not done (at least two), and those lessons.
func unfinishedEnrollment(t *testing.T, db *database.DB) (*ent.Enrollment, []uuid.UUID) {
	t.Helper()
	ctx := viewer.SystemContext(context.Background())
	all, err := db.Ent.Enrollment.Query().Where(enrollment.StatusEQ(enrollment.StatusACTIVE)).
		Order(ent.Asc(enrollment.FieldCreatedAt), ent.Asc(enrollment.FieldID)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		done, err := db.Ent.LessonProgress.Query().Where(lessonprogress.EnrollmentID(e.ID)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		doneIDs := make([]uuid.UUID, len(done))
		for i, p := range done {
			doneIDs[i] = p.LessonID
		}
		todo, err := db.Ent.Lesson.Query().Where(lesson.CourseID(e.CourseID), lesson.StatusEQ(lesson.StatusPUBLISHED),
			lesson.IDNotIn(doneIDs...)).IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(todo) >= 2 {
			return e, todo
		}
	}
	t.Fatal("the demo dataset has no active enrolment with two published lessons left")
	return nil, nil
}

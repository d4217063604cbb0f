package counter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// A learner's write (a lesson completed, an enrolment, a review) moves the
// counters it affects by a delta, in its own transaction, instead of
// recounting the course: one enrolment row or one course row per write,
// however many learners the course has, and learners of one course do not
// wait for each other.
//
// Why the deltas stay exact, on PostgreSQL at READ COMMITTED (SQLite runs
// one write transaction at a time, so there every write sees the last):
//
//   - Each delta is applied only when the row it stands for really changed
//     in the same transaction: a progress row inserted (ON CONFLICT DO
//     NOTHING) or deleted, an enrolment's status moved by a statement
//     guarded by its old status, a review inserted, or updated or deleted
//     under its row lock. Two requests racing to make the same change meet
//     on that row (the unique index or the row lock), and the loser finds
//     nothing to change and moves nothing.
//   - The delta itself is one UPDATE of the form x = x + d. A concurrent
//     writer of the same row makes it wait, then PostgreSQL re-evaluates
//     the assignment on the row as the other left it, so no increment is
//     lost.
//   - What decides an enrolment's status besides its own count is the
//     course's lesson_count, which only authoring changes (publishing or
//     deleting a lesson), under LockCourse (FOR UPDATE) and with
//     SettleCourse, which recounts every enrolment from the rows. Learner
//     writes hold ShareCourse (FOR KEY SHARE) from before they read until
//     they commit: it conflicts with FOR UPDATE, so a recount never runs
//     beside a delta (it would count from a snapshot without the delta's
//     row, and the delta would then be applied to the recount, or lost
//     under it), but not with another FOR KEY SHARE, nor with the FOR NO
//     KEY UPDATE lock the course deltas take, so learners do not wait for
//     each other's clicks.
//   - Every learner write locks the course first and enrolment or review
//     rows after, the order authoring's recount takes them in, so none of
//     them deadlocks with it.

// ErrCancelled reports that an enrolment was cancelled (by a concurrent
// unenrol) before its progress could move: the caller's transaction must
// roll back, the progress row with it.
var ErrCancelled = errors.New("counter: the enrolment is cancelled")

// ShareCourse takes course id's row lock in the mode learner writes share
// (see above), until tx ends: it waits for an author's write to the course
// to commit and holds authors off until tx commits, but never waits for
// another learner's write. SQLite runs one write transaction at a time
// already. Call it before reading what the write decides on.
func ShareCourse(ctx context.Context, tx *sql.Tx, dialect string, id uuid.UUID) error {
	if dialect != "postgres" {
		return nil
	}
	var locked uuid.UUID
	if err := tx.QueryRowContext(ctx, `SELECT id FROM courses WHERE id = $1 FOR KEY SHARE`, id).Scan(&locked); err != nil {
		return fmt.Errorf("share course: %w", err)
	}
	return nil
}

// ShareLessonCourse is ShareCourse for the course of lesson id, found and
// locked in one statement so that the lesson can be read (its status
// decided) under the lock. A missing lesson locks nothing and is no error:
// reading it next tells the caller it is not there.
func ShareLessonCourse(ctx context.Context, tx *sql.Tx, dialect string, lessonID uuid.UUID) error {
	if dialect != "postgres" {
		return nil
	}
	var locked uuid.UUID
	err := tx.QueryRowContext(ctx, `SELECT c.id FROM lessons l JOIN courses c ON c.id = l.course_id
WHERE l.id = $1 FOR KEY SHARE OF c`, lessonID).Scan(&locked)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("share course of lesson: %w", err)
	}
	return nil
}

// CompleteLesson records lesson lessonID done in enrolment enrollmentID
// and, if it was not done yet, moves the enrolment's progress by one and
// settles its status (moveProgress). It reports whether anything changed.
// The caller holds ShareCourse and has checked that the lesson is
// published and the enrolment live; ErrCancelled if the enrolment was
// cancelled meanwhile.
func CompleteLesson(ctx context.Context, db Execer, now time.Time, enrollmentID, lessonID uuid.UUID) (bool, error) {
	res, err := db.ExecContext(ctx, `INSERT INTO lesson_progresses (id, completed_at, enrollment_id, lesson_id)
VALUES ($1, $2, $3, $4) ON CONFLICT (enrollment_id, lesson_id) DO NOTHING`, uuid.New(), now, enrollmentID, lessonID)
	if err != nil {
		return false, fmt.Errorf("complete lesson: %w", err)
	}
	return moveIfChanged(ctx, db, res, now, enrollmentID, 1)
}

// UncompleteLesson takes lesson lessonID's completion back from enrolment
// enrollmentID and, if it was done, moves the enrolment's progress back by
// one and settles its status. Otherwise as CompleteLesson.
func UncompleteLesson(ctx context.Context, db Execer, now time.Time, enrollmentID, lessonID uuid.UUID) (bool, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM lesson_progresses WHERE enrollment_id = $1 AND lesson_id = $2`,
		enrollmentID, lessonID)
	if err != nil {
		return false, fmt.Errorf("uncomplete lesson: %w", err)
	}
	return moveIfChanged(ctx, db, res, now, enrollmentID, -1)
}

// moveIfChanged moves the enrolment's progress by delta when res, the
// write of a progress row, changed one.
func moveIfChanged(ctx context.Context, db Execer, res sql.Result, now time.Time, enrollmentID uuid.UUID, delta int) (bool, error) {
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	return true, moveProgress(ctx, db, now, enrollmentID, delta)
}

// moveProgress adds delta to one live enrolment's completed lessons and
// settles its status in the same statement, by SettleCourse's rules: an
// ACTIVE enrolment that has done at least the course's lesson_count (> 0)
// lessons becomes COMPLETED at now; a COMPLETED one with fewer becomes
// ACTIVE again. (In SQL every right-hand side reads the row as it was, so
// the new count is spelt completed_lesson_count + $2 each time.)
func moveProgress(ctx context.Context, db Execer, now time.Time, enrollmentID uuid.UUID, delta int) error {
	res, err := db.ExecContext(ctx, moveProgressSQL, enrollmentID, delta, now)
	if err != nil {
		return fmt.Errorf("move progress: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("move progress: %w", err)
	} else if n == 0 {
		return ErrCancelled
	}
	return nil
}

const (
	// Whether the enrolment, with delta, completes or reopens.
	completesNow = `enrollments.status = 'ACTIVE' AND c.lesson_count > 0
      AND enrollments.completed_lesson_count + $2 >= c.lesson_count`
	reopensNow = `enrollments.status = 'COMPLETED' AND enrollments.completed_lesson_count + $2 < c.lesson_count`

	moveProgressSQL = `UPDATE enrollments SET
  completed_lesson_count = enrollments.completed_lesson_count + $2,
  status = CASE WHEN ` + completesNow + ` THEN 'COMPLETED'
    WHEN ` + reopensNow + ` THEN 'ACTIVE' ELSE enrollments.status END,
  completed_at = CASE WHEN ` + completesNow + ` THEN $3
    WHEN ` + reopensNow + ` THEN NULL ELSE enrollments.completed_at END
FROM courses c
WHERE enrollments.id = $1 AND c.id = enrollments.course_id AND enrollments.status <> 'CANCELLED'`
)

// Enrolled counts a new enrolment in course id.
func Enrolled(ctx context.Context, db Execer, courseID uuid.UUID) error {
	return moveEnrollments(ctx, db, courseID, 1)
}

// ReactivateEnrollment makes cancelled enrolment id live again and counts
// it in course courseID. With the progress it kept it is ACTIVE, or
// COMPLETED at now when that covers the course's lesson_count (> 0), as
// SettleCourse would decide. It reports false, changing nothing, when the
// enrolment is not cancelled (a concurrent enrol got there first).
//
// (A cancelled enrolment's completed_at is NULL, by CHECK: the ELSE keeps
// it so, and gives PostgreSQL the column's type for $2.)
func ReactivateEnrollment(ctx context.Context, db Execer, now time.Time, id, courseID uuid.UUID) (bool, error) {
	res, err := db.ExecContext(ctx, `UPDATE enrollments SET
  status = CASE WHEN c.lesson_count > 0 AND enrollments.completed_lesson_count >= c.lesson_count THEN 'COMPLETED' ELSE 'ACTIVE' END,
  completed_at = CASE WHEN c.lesson_count > 0 AND enrollments.completed_lesson_count >= c.lesson_count THEN $2
    ELSE enrollments.completed_at END,
  updated_at = $2
FROM courses c
WHERE enrollments.id = $1 AND c.id = enrollments.course_id AND enrollments.status = 'CANCELLED'`, id, now)
	return statusMoved(ctx, db, res, err, courseID, 1)
}

// CancelEnrollment cancels live enrolment id (its progress is kept) and
// stops counting it in course courseID. It reports false, changing
// nothing, when it is cancelled already.
func CancelEnrollment(ctx context.Context, db Execer, now time.Time, id, courseID uuid.UUID) (bool, error) {
	res, err := db.ExecContext(ctx, `UPDATE enrollments SET status = 'CANCELLED', completed_at = NULL, updated_at = $2
WHERE id = $1 AND status <> 'CANCELLED'`, id, now)
	return statusMoved(ctx, db, res, err, courseID, -1)
}

// statusMoved moves the course's enrolment count by delta when res, an
// enrolment's guarded status change, changed the row.
func statusMoved(ctx context.Context, db Execer, res sql.Result, err error, courseID uuid.UUID, delta int) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("enrolment status: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	return true, moveEnrollments(ctx, db, courseID, delta)
}

func moveEnrollments(ctx context.Context, db Execer, courseID uuid.UUID, delta int) error {
	if _, err := db.ExecContext(ctx, `UPDATE courses SET enrollment_count = enrollment_count + $2 WHERE id = $1`,
		courseID, delta); err != nil {
		return fmt.Errorf("move enrolment count: %w", err)
	}
	return nil
}

// ReviewRating returns review id's rating, locked on PostgreSQL until tx
// ends (FOR UPDATE; SQLite runs one writer at a time), so that a rating
// delta computed from it stays right until the review is updated or
// deleted in tx: a concurrent edit of the same review waits, then reads
// the rating this one leaves. sql.ErrNoRows if the review is gone.
func ReviewRating(ctx context.Context, tx *sql.Tx, dialect string, id uuid.UUID) (int, error) {
	q := `SELECT rating FROM reviews WHERE id = $1`
	if dialect == "postgres" {
		q += ` FOR UPDATE`
	}
	var rating int
	if err := tx.QueryRowContext(ctx, q, id).Scan(&rating); err != nil {
		return 0, fmt.Errorf("review rating: %w", err)
	}
	return rating, nil
}

// MoveRatings adds count reviews totalling sum stars (both negative to
// take them away; count 0 for a changed rating) to course courseID's
// ratings, and recomputes its average from the new count and sum in the
// same statement. Nothing to move writes nothing.
func MoveRatings(ctx context.Context, db Execer, courseID uuid.UUID, count, sum int) error {
	if count == 0 && sum == 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, `UPDATE courses SET
  rating_count = rating_count + $2,
  rating_sum = rating_sum + $3,
  rating_average = CASE WHEN rating_count + $2 > 0 THEN (rating_sum + $3) * 1.0 / (rating_count + $2) ELSE 0 END
WHERE id = $1`, courseID, count, sum); err != nil {
		return fmt.Errorf("move ratings: %w", err)
	}
	return nil
}

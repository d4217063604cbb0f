// Package counter keeps a course's denormalised numbers (enrolments,
// lessons, ratings, its learners' progress) equal to the rows they
// summarise, inside the transaction of the write that moves them, so
// readers of the catalogue never see a counter out of step with its rows.
//
// Two kinds of writer do it two ways. Authors change what the counters
// mean for everyone (a lesson published or deleted): they take the
// course's exclusive lock (LockCourse) and recount the course and all its
// enrolments (SettleCourse), which costs a row per learner and is rare.
// Learners change their own rows (a lesson done, an enrolment, a review):
// they take the course's shared lock (ShareCourse) and move the counters
// by the delta they make (delta.go), a row or two however many learners
// the course has, without waiting for each other. RecountCourses also
// serves seeding.
//
// Underneath both, the Reconciler (reconcile.go, run by the
// reconcile_counters job) recounts every course and enrolment from the
// same SQL (drift.go) and repairs, with an audit event, whatever a bug or
// a hand-made change left wrong; on a consistent database it writes
// nothing.
package counter

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Execer runs a statement: *ent.Client and *ent.Tx are both one, so a
// recount joins the transaction of the write that calls it.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// RecountCourses recomputes the denormalised counters of the given courses
// (all courses when none are given) and the progress of their enrolments
// from the rows they summarise. Authoring calls it (through SettleCourse)
// for its course inside its own transaction, under LockCourse; seeding
// calls it once at the end.
func RecountCourses(ctx context.Context, db Execer, ids ...uuid.UUID) error {
	where, args := idFilter("id", ids)
	if _, err := db.ExecContext(ctx, recountCourses+where, args...); err != nil {
		return fmt.Errorf("recount courses: %w", err)
	}
	where, args = idFilter("course_id", ids)
	if _, err := db.ExecContext(ctx, recountEnrollments+where, args...); err != nil {
		return fmt.Errorf("recount enrolment progress: %w", err)
	}
	return nil
}

// Portable SQL (PostgreSQL and SQLite). Cancelled enrolments do not count;
// only published lessons count, for the catalogue and for progress alike.
// Each counter's recount is written once, here: the recount statements and
// the reconciliation's drift check (reconcile.go) are built from them.
const (
	recountEnrollmentCount = `(SELECT COUNT(*) FROM enrollments e WHERE e.course_id = courses.id AND e.status <> 'CANCELLED')`
	recountLessonCount     = `(SELECT COUNT(*) FROM lessons l WHERE l.course_id = courses.id AND l.status = 'PUBLISHED')`
	recountRatingCount     = `(SELECT COUNT(*) FROM reviews r WHERE r.course_id = courses.id)`
	recountRatingSum       = `(SELECT COALESCE(SUM(r.rating), 0) FROM reviews r WHERE r.course_id = courses.id)`
	recountRatingAverage   = `COALESCE((SELECT AVG(r.rating) FROM reviews r WHERE r.course_id = courses.id), 0)`
	recountCompleted       = `(SELECT COUNT(*) FROM lesson_progresses p JOIN lessons l ON l.id = p.lesson_id
    WHERE p.enrollment_id = enrollments.id AND l.status = 'PUBLISHED')`

	recountCourses = `UPDATE courses SET
  enrollment_count = ` + recountEnrollmentCount + `,
  lesson_count = ` + recountLessonCount + `,
  rating_count = ` + recountRatingCount + `,
  rating_sum = ` + recountRatingSum + `,
  rating_average = ` + recountRatingAverage
	recountEnrollments = `UPDATE enrollments SET
  completed_lesson_count = ` + recountCompleted
)

// idFilter returns " WHERE col IN (?, …)" for ids, or nothing for none.
// Placeholders are written as $n, which both PostgreSQL and SQLite accept.
func idFilter(col string, ids []uuid.UUID) (string, []any) {
	if len(ids) == 0 {
		return "", nil
	}
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	return " WHERE " + col + " IN (" + strings.Join(marks, ", ") + ")", args
}

// SettleCourse recounts course id (RecountCourses) and then moves its
// enrolments between ACTIVE and COMPLETED to match their progress: a
// lesson published or deleted changes what "every published lesson done"
// means for everyone enrolled. now stamps newly completed enrolments.
func SettleCourse(ctx context.Context, db Execer, now time.Time, id uuid.UUID) error {
	if err := RecountCourses(ctx, db, id); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, completeEnrollments, now, id); err != nil {
		return fmt.Errorf("complete enrolments: %w", err)
	}
	if _, err := db.ExecContext(ctx, reopenEnrollments, id); err != nil {
		return fmt.Errorf("reopen enrolments: %w", err)
	}
	return nil
}

const (
	completeEnrollments = `UPDATE enrollments SET status = 'COMPLETED', completed_at = $1
WHERE course_id = $2 AND status = 'ACTIVE'
  AND completed_lesson_count >= (SELECT c.lesson_count FROM courses c WHERE c.id = enrollments.course_id)
  AND (SELECT c.lesson_count FROM courses c WHERE c.id = enrollments.course_id) > 0`
	reopenEnrollments = `UPDATE enrollments SET status = 'ACTIVE', completed_at = NULL
WHERE course_id = $1 AND status = 'COMPLETED'
  AND completed_lesson_count < (SELECT c.lesson_count FROM courses c WHERE c.id = enrollments.course_id)`
)

// LockCourse makes an author's write to course id take turns with every
// other write to it: on PostgreSQL it locks the course row FOR UPDATE until
// tx ends, which waits for (and then holds off) other authors and every
// learner's write (ShareCourse), so a recount (a new snapshot per statement
// at READ COMMITTED) sees all their rows and no delta is applied beside it.
// SQLite runs one write transaction at a time already. Call it before the
// write, inside the same transaction.
func LockCourse(ctx context.Context, tx *sql.Tx, dialect string, id uuid.UUID) error {
	if dialect != "postgres" {
		return nil
	}
	var locked uuid.UUID
	if err := tx.QueryRowContext(ctx, `SELECT id FROM courses WHERE id = $1 FOR UPDATE`, id).Scan(&locked); err != nil {
		return fmt.Errorf("lock course: %w", err)
	}
	return nil
}

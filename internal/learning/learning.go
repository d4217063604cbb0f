// Package learning holds the rules of taking courses: enrolling and
// unenrolling, completing lessons, and reviewing courses. Every write moves
// the denormalised counters it affects (enrolment count, progress, ratings)
// in its own transaction, through counter.RecountCourses, so a reader never
// sees a counter out of step with the rows it summarises.
//
// Objects the caller may not see (a draft course, a lesson of one) are
// reported exactly like missing ones: NOT_FOUND user errors.
package learning

import (
	"context"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/counter"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// Service applies the learning rules. It is safe for concurrent use.
type Service struct {
	db    *database.DB
	audit *audit.Log
	now   func() time.Time
}

// New returns a Service over db recording moderation in log; now defaults
// to time.Now.
func New(db *database.DB, log *audit.Log, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, audit: log, now: now}
}

// learner returns the caller when they may learn: signed in with a
// verified address (access.VerifiedUser).
func (s *Service) learner(ctx context.Context) (viewer.Viewer, error) {
	return access.VerifiedUser(ctx, s.db.Ent)
}

// visibleCourse fails with NOT_FOUND (at field) unless the caller can see
// course id: one they cannot see is not one they can act on.
func visibleCourse(ctx context.Context, tx *database.Tx, id uuid.UUID, field ...string) error {
	ok, err := tx.Course.Query().Where(course.ID(id)).Exist(ctx)
	if err == nil && !ok {
		err = notFound(field...)
	}
	return err
}

// notFound is the answer for an object the caller cannot see or that does
// not exist: the two are indistinguishable on purpose.
func notFound(field ...string) error {
	return apperr.Problem(apperr.UserNotFound, "not found", field...)
}

// settle recounts the course and moves its enrolments between ACTIVE and
// COMPLETED (counter.SettleCourse): an enrolment completes when every
// published lesson is done. It returns e as stored.
func (s *Service) settle(ctx context.Context, tx *database.Tx, e *ent.Enrollment) (*ent.Enrollment, error) {
	if err := counter.SettleCourse(ctx, tx.SQL, s.now().UTC(), e.CourseID); err != nil {
		return nil, err
	}
	return tx.Enrollment.Get(ctx, e.ID)
}

// lock makes writes to one course's counters take turns (see
// counter.LockCourse).
func (s *Service) lock(ctx context.Context, tx *database.Tx, courseID uuid.UUID) error {
	return counter.LockCourse(ctx, tx.SQL, s.db.Dialect, courseID)
}

// recount moves the course's counters after a write in tx.
func recount(ctx context.Context, tx *database.Tx, courseID uuid.UUID) error {
	return counter.RecountCourses(ctx, tx.SQL, courseID)
}

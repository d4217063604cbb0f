// Package learning holds the rules of taking courses: enrolling and
// unenrolling, completing lessons, and reviewing courses. Every write moves
// the denormalised counters it affects (enrolment count, progress, ratings)
// in its own transaction, through catalog.RecountCourses, so a reader never
// sees a counter out of step with the rows it summarises.
//
// Objects the caller may not see (a draft course, a lesson of one) are
// reported exactly like missing ones: NOT_FOUND user errors.
package learning

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/enrollment"
	"lectern/ent/user"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/catalog"
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
// verified address. Anonymous callers are UNAUTHENTICATED; unverified ones
// get EMAIL_NOT_VERIFIED.
func (s *Service) learner(ctx context.Context) (viewer.Viewer, error) {
	v, ok := viewer.FromContext(ctx)
	if !ok || v.IsSystem() || v.UserID == uuid.Nil {
		return v, apperr.New(apperr.Unauthenticated, "sign in to do this")
	}
	verified, err := s.db.Ent.User.Query().Where(user.ID(v.UserID), user.EmailVerifiedAtNotNil()).Exist(viewer.SystemContext(ctx))
	if err != nil {
		return v, fmt.Errorf("learner: %w", err)
	}
	if !verified {
		return v, apperr.Problem(apperr.UserEmailNotVerified, "verify your email address first")
	}
	return v, nil
}

// notFound is the answer for an object the caller cannot see or that does
// not exist: the two are indistinguishable on purpose.
func notFound(field ...string) error {
	return apperr.Problem(apperr.UserNotFound, "not found", field...)
}

// settle recounts the course's counters and its enrolments' progress, then
// moves enrolment e between ACTIVE and COMPLETED to match: it completes when
// every published lesson is done. It returns e as stored.
func (s *Service) settle(ctx context.Context, tx *database.Tx, e *ent.Enrollment) (*ent.Enrollment, error) {
	sys := viewer.SystemContext(ctx)
	if err := catalog.RecountCourses(ctx, tx.SQL, e.CourseID); err != nil {
		return nil, err
	}
	e, err := tx.Enrollment.Get(sys, e.ID)
	if err != nil {
		return nil, err
	}
	if e.Status == enrollment.StatusCANCELLED {
		return e, nil
	}
	lessons, err := tx.Course.Query().Where(courseID(e.CourseID)).Only(sys)
	if err != nil {
		return nil, err
	}
	done := lessons.LessonCount > 0 && e.CompletedLessonCount >= lessons.LessonCount
	switch {
	case done && e.Status == enrollment.StatusACTIVE:
		return tx.Enrollment.UpdateOne(e).SetStatus(enrollment.StatusCOMPLETED).SetCompletedAt(s.now().UTC()).Save(sys)
	case !done && e.Status == enrollment.StatusCOMPLETED:
		return tx.Enrollment.UpdateOne(e).SetStatus(enrollment.StatusACTIVE).ClearCompletedAt().Save(sys)
	}
	return e, nil
}

// lock makes writes to one course's counters take turns (see
// catalog.LockCourse).
func (s *Service) lock(ctx context.Context, tx *database.Tx, courseID uuid.UUID) error {
	return catalog.LockCourse(ctx, tx.SQL, s.db.Dialect, courseID)
}

// recount moves the course's counters after a write in tx.
func recount(ctx context.Context, tx *database.Tx, courseID uuid.UUID) error {
	return catalog.RecountCourses(ctx, tx.SQL, courseID)
}

// Package learning holds the rules of taking courses: enrolling and
// unenrolling, completing lessons, and reviewing courses. Every write moves
// the denormalised counters it affects (enrolment count, progress, ratings)
// in its own transaction, by the delta it makes (internal/counter: one
// enrolment or course row, however many learners the course has), so a
// reader never sees a counter out of step with the rows it summarises.
// Every write first takes its course's shared lock (counter.ShareCourse):
// learners never wait for each other, and authors, whose lesson changes
// recount the whole course, never run beside them. The counter statements
// go through the transaction's ent client (tx, not tx.SQL), so the
// public-read cache sees what they write (database.DB.Watch).
//
// Objects the caller may not see (a draft course, a lesson of one) are
// reported exactly like missing ones: NOT_FOUND user errors.
package learning

import (
	"context"
	"time"

	"github.com/google/uuid"

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

// share takes course courseID's lock for a learner's write, before
// anything the write decides on is read (see counter.ShareCourse).
func (s *Service) share(ctx context.Context, tx *database.Tx, courseID uuid.UUID) error {
	return counter.ShareCourse(ctx, tx.SQL, s.db.Dialect, courseID)
}

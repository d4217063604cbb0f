// Package authoring holds the rules of writing courses: creating and
// editing them, publishing and archiving, their staff and tags.
//
// Who may do what to a course is decided from database facts, never from
// input: the caller's course role (OWNER, INSTRUCTOR, ASSISTANT) read from
// course_members, or the administrator role from a session that passed
// MFA. A course the caller cannot see answers NOT_FOUND exactly like a
// missing one; a visible course the caller may not change answers
// FORBIDDEN.
package authoring

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
	"lectern/internal/media"
	"lectern/internal/viewer"
)

// Service applies the authoring rules. It is safe for concurrent use.
type Service struct {
	db    *database.DB
	audit *audit.Log
	files *media.Service
	now   func() time.Time
}

// New returns a Service over db recording privileged actions in log and
// attaching files through files; now defaults to time.Now.
func New(db *database.DB, log *audit.Log, files *media.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, audit: log, files: files, now: now}
}

// author returns the caller when they may write courses at all: signed in
// with a verified address (the policy has already required the INSTRUCTOR
// or ADMIN role).
func (s *Service) author(ctx context.Context) (viewer.Viewer, error) {
	return access.VerifiedUser(ctx, s.db.Ent)
}

// course loads course id inside tx for a caller who may take action on it
// (access.MayChangeCourse), and locks it for the rest of tx (see lock).
// field locates the ID argument for NOT_FOUND.
//
// Writes to one course take turns: appends compute the next position,
// limits count rows and counters recount, each of which would race with a
// concurrent write on PostgreSQL. The caller's role is read once the lock
// is held, so a writer that waited decides on the staff as the writer
// before it left them, and the staff cannot change again before tx ends:
// from then on the caller is on the staff (or an elevated administrator)
// and sees every row of the course with their own eyes.
func (s *Service) course(ctx context.Context, tx *database.Tx, v viewer.Viewer, id uuid.UUID, action access.CourseAction, field ...string) (*ent.Course, error) {
	visible, err := tx.Course.Query().Where(course.ID(id)).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if !visible {
		return nil, apperr.Problem(apperr.UserNotFound, "no such course", field...)
	}
	if err := s.lock(ctx, tx, id); err != nil {
		return nil, err
	}
	role, err := access.CourseRole(ctx, tx, id, v.UserID)
	if err != nil {
		return nil, err
	}
	if err := access.MayChangeCourse(v, role, action); err != nil {
		return nil, err
	}
	// Read again under the lock: a writer that waited must decide on the
	// row as the one before it left it.
	return tx.Course.Get(ctx, id)
}

// lock makes writes that move one course's counters take turns (see
// counter.LockCourse).
func (s *Service) lock(ctx context.Context, tx *database.Tx, courseID uuid.UUID) error {
	return counter.LockCourse(ctx, tx.SQL, s.db.Dialect, courseID)
}

// record writes an audit event in tx.
func (s *Service) record(ctx context.Context, tx *database.Tx, v viewer.Viewer, action string, c *ent.Course, details map[string]string) error {
	return s.audit.Record(ctx, tx.Client, audit.Event{Action: action, ActorID: v.UserID, TargetType: "Course",
		TargetID: c.ID.String(), Details: details})
}

package learning

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/enrollment"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/cache"
	"lectern/internal/counter"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// Enroll enrols the caller in a published course and returns the
// enrolment. It is idempotent: enrolling again returns the same enrolment,
// and enrolling after unenrolling reactivates it with its progress. A
// course the caller cannot see is NOT_FOUND; a draft or archived course
// they can see (as its staff) is NOT_PUBLISHED; a course they teach is
// OWN_COURSE.
func (s *Service) Enroll(ctx context.Context, id uuid.UUID) (*ent.Enrollment, error) {
	v, err := s.learner(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.enroll(ctx, v, id)
	if ent.IsConstraintError(err) {
		// A concurrent enrol of the same course won the insert; the
		// second attempt finds and returns that enrolment.
		e, err = s.enroll(ctx, v, id)
	}
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	return e, nil
}

func (s *Service) enroll(ctx context.Context, v viewer.Viewer, id uuid.UUID) (*ent.Enrollment, error) {
	var out *ent.Enrollment
	err := s.db.Transact(ctx, func(tx *database.Tx) error {
		tx.Touch(cache.Course(id)) // its enrollment_count
		if err := visibleCourse(ctx, tx, id, "courseId"); err != nil {
			return err
		}
		// Locked before the status and staff checks, so archiving the
		// course or adding this user to its staff at the same moment
		// (both under the course's exclusive lock) cannot slip between
		// check and write.
		if err := s.share(ctx, tx, id); err != nil {
			return err
		}
		// The status is read as the system: a course withdrawn from the
		// catalogue while this waited for the lock is hidden from the
		// caller now, and is NOT_PUBLISHED, not NOT_FOUND.
		c, err := tx.System().Course.Get(ctx, id)
		if err != nil {
			return err
		}
		if c.Status != course.StatusPUBLISHED {
			return apperr.Problem(apperr.UserNotPublished, "this course is not open for enrolment", "courseId")
		}
		role, err := access.CourseRole(ctx, tx, id, v.UserID)
		if err != nil {
			return err
		}
		if !access.MayTakeCourse(role) {
			return apperr.Problem(apperr.UserOwnCourse, "you are on the staff of this course", "courseId")
		}
		e, err := tx.Enrollment.Query().Where(enrollment.UserID(v.UserID), enrollment.CourseID(id)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			// A concurrent enrol of the same course fails this insert on
			// the unique index, and Enroll tries again.
			if out, err = tx.Enrollment.Create().SetUserID(v.UserID).SetCourseID(id).Save(ctx); err != nil {
				return err
			}
			return counter.Enrolled(ctx, tx, id)
		case err != nil:
			return err
		case e.Status != enrollment.StatusCANCELLED:
			out = e
			return nil
		}
		// Back from a cancelled enrolment, with the progress it kept. A
		// concurrent enrol that reactivated it first leaves nothing to do.
		if _, err := counter.ReactivateEnrollment(ctx, tx, s.now().UTC(), e.ID, id); err != nil {
			return err
		}
		out, err = tx.Enrollment.Get(ctx, e.ID)
		return err
	})
	return out, err
}

// Unenroll cancels the caller's enrolment in a course, keeping its
// progress for a later re-enrolment, and returns it. Unenrolling again is
// harmless. No enrolment, or a course the caller cannot see (an archived
// one included), is NOT_FOUND and changes nothing.
func (s *Service) Unenroll(ctx context.Context, id uuid.UUID) (*ent.Enrollment, error) {
	v, err := s.learner(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Enrollment
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		tx.Touch(cache.Course(id)) // its enrollment_count
		// A course the caller cannot see (withdrawn from the catalogue)
		// is not one they can act on, enrolled or not.
		if err := visibleCourse(ctx, tx, id, "courseId"); err != nil {
			return err
		}
		if err := s.share(ctx, tx, id); err != nil {
			return err
		}
		e, err := tx.Enrollment.Query().Where(enrollment.UserID(v.UserID), enrollment.CourseID(id)).Only(ctx)
		if ent.IsNotFound(err) {
			return notFound("courseId")
		}
		if err != nil {
			return err
		}
		if e.Status == enrollment.StatusCANCELLED {
			out = e
			return nil
		}
		// A concurrent unenrol that got there first leaves nothing to do.
		if _, err := counter.CancelEnrollment(ctx, tx, s.now().UTC(), e.ID, id); err != nil {
			return err
		}
		out, err = tx.Enrollment.Get(ctx, e.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("unenroll: %w", err)
	}
	return out, nil
}

// Enrollments returns the enrolments of userID (the caller's own),
// cancelled ones included, most recent first, with their courses. An
// enrolment in a course the caller can no longer see (archived) is left
// out, as its course could not be shown.
func (s *Service) Enrollments(ctx context.Context, userID uuid.UUID) ([]*ent.Enrollment, error) {
	all, err := s.db.Ent.Enrollment.Query().Where(enrollment.UserID(userID)).
		Order(ent.Desc(enrollment.FieldCreatedAt), ent.Desc(enrollment.FieldID)).WithCourse().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("enrollments: %w", database.Coded(err))
	}
	out := all[:0]
	for _, e := range all {
		if e.Edges.Course != nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// Progress returns the share of the course's published lessons that e has
// done, from 0 to 1 (0 for a course without published lessons). An
// enrolment stays meaningful after its course is archived and hidden from
// the catalogue: a course its learner can no longer see is read as the
// system, in a transaction of its own that ends the privilege with it.
func (s *Service) Progress(ctx context.Context, e *ent.Enrollment) (float64, error) {
	c := e.Edges.Course
	if c == nil {
		var err error
		c, err = s.db.Ent.Course.Get(ctx, e.CourseID)
		if ent.IsNotFound(err) {
			err = s.db.Transact(ctx, func(tx *database.Tx) (err error) {
				c, err = tx.System().Course.Get(ctx, e.CourseID)
				return err
			})
		}
		if err != nil {
			return 0, fmt.Errorf("progress: %w", database.Coded(err))
		}
	}
	if c.LessonCount == 0 {
		return 0, nil
	}
	return min(1, float64(e.CompletedLessonCount)/float64(c.LessonCount)), nil
}

package learning

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/coursemember"
	"lectern/ent/enrollment"
	"lectern/internal/apperr"
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
		if err := visibleCourse(ctx, tx, id, "courseId"); err != nil {
			return err
		}
		// Locked before the status and staff checks, so archiving the
		// course or adding this user to its staff at the same moment
		// cannot slip between check and write.
		if err := s.lock(ctx, tx, id); err != nil {
			return err
		}
		sys := viewer.SystemContext(ctx)
		c, err := tx.Course.Get(sys, id)
		if err != nil {
			return err
		}
		if c.Status != course.StatusPUBLISHED {
			return apperr.Problem(apperr.UserNotPublished, "this course is not open for enrolment", "courseId")
		}
		teaches, err := tx.CourseMember.Query().Where(coursemember.CourseID(id), coursemember.UserID(v.UserID)).Exist(sys)
		if err != nil {
			return err
		}
		if teaches {
			return apperr.Problem(apperr.UserOwnCourse, "you are on the staff of this course", "courseId")
		}
		e, err := tx.Enrollment.Query().Where(enrollment.UserID(v.UserID), enrollment.CourseID(id)).Only(sys)
		switch {
		case ent.IsNotFound(err):
			e, err = tx.Enrollment.Create().SetUserID(v.UserID).SetCourseID(id).Save(sys)
		case err == nil && e.Status == enrollment.StatusCANCELLED:
			e, err = tx.Enrollment.UpdateOne(e).SetStatus(enrollment.StatusACTIVE).Save(sys)
		case err == nil:
			out = e
			return nil
		}
		if err != nil {
			return err
		}
		out, err = s.settle(ctx, tx, e)
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
		// A course the caller cannot see (withdrawn from the catalogue)
		// is not one they can act on, enrolled or not.
		if err := visibleCourse(ctx, tx, id, "courseId"); err != nil {
			return err
		}
		if err := s.lock(ctx, tx, id); err != nil {
			return err
		}
		sys := viewer.SystemContext(ctx)
		e, err := tx.Enrollment.Query().Where(enrollment.UserID(v.UserID), enrollment.CourseID(id)).Only(sys)
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
		if e, err = tx.Enrollment.UpdateOne(e).SetStatus(enrollment.StatusCANCELLED).ClearCompletedAt().Save(sys); err != nil {
			return err
		}
		out, err = s.settle(ctx, tx, e)
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
		return nil, fmt.Errorf("enrollments: %w", err)
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
// done, from 0 to 1 (0 for a course without published lessons). The
// course is read as the system: an enrolment stays meaningful after its
// course is archived and hidden from the catalogue.
func (s *Service) Progress(ctx context.Context, e *ent.Enrollment) (float64, error) {
	c := e.Edges.Course
	if c == nil {
		var err error
		if c, err = s.db.Ent.Course.Get(viewer.SystemContext(ctx), e.CourseID); err != nil {
			return 0, fmt.Errorf("progress: %w", err)
		}
	}
	if c.LessonCount == 0 {
		return 0, nil
	}
	return min(1, float64(e.CompletedLessonCount)/float64(c.LessonCount)), nil
}

package learning

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/ent/lessonprogress"
	"lectern/internal/apperr"
	"lectern/internal/database"
)

// CompleteLesson marks a published lesson done in the caller's enrolment
// in its course and returns the enrolment, completed when every published
// lesson is done. Completing again is harmless. A lesson the caller cannot
// see is NOT_FOUND; a draft lesson (seen as staff) NOT_PUBLISHED; without
// an active enrolment NOT_ENROLLED.
func (s *Service) CompleteLesson(ctx context.Context, lessonID uuid.UUID) (*ent.Enrollment, error) {
	return s.progress(ctx, lessonID, func(ctx context.Context, tx *database.Tx, e *ent.Enrollment) error {
		done, err := tx.LessonProgress.Query().Where(lessonprogress.EnrollmentID(e.ID), lessonprogress.LessonID(lessonID)).Exist(ctx)
		if err != nil || done {
			return err
		}
		return tx.LessonProgress.Create().SetEnrollmentID(e.ID).SetLessonID(lessonID).SetCompletedAt(s.now().UTC()).Exec(ctx)
	})
}

// UncompleteLesson takes back a lesson's completion; an enrolment that
// was complete becomes active again. Taking back a lesson not done is
// harmless. Errors as for CompleteLesson.
func (s *Service) UncompleteLesson(ctx context.Context, lessonID uuid.UUID) (*ent.Enrollment, error) {
	return s.progress(ctx, lessonID, func(ctx context.Context, tx *database.Tx, e *ent.Enrollment) error {
		_, err := tx.LessonProgress.Delete().Where(lessonprogress.EnrollmentID(e.ID), lessonprogress.LessonID(lessonID)).Exec(ctx)
		return err
	})
}

// progress finds the lesson and the caller's live enrolment in its course,
// applies change and settles the counters.
func (s *Service) progress(ctx context.Context, lessonID uuid.UUID, change func(context.Context, *database.Tx, *ent.Enrollment) error) (*ent.Enrollment, error) {
	v, err := s.learner(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Enrollment
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		l, err := tx.Lesson.Query().Where(lesson.ID(lessonID)).Only(ctx)
		if ent.IsNotFound(err) {
			return notFound("lessonId")
		}
		if err != nil {
			return err
		}
		if l.Status != lesson.StatusPUBLISHED {
			return apperr.Problem(apperr.UserNotPublished, "this lesson is not published", "lessonId")
		}
		if err := s.lock(ctx, tx, l.CourseID); err != nil {
			return err
		}
		e, err := tx.Enrollment.Query().Where(enrollment.UserID(v.UserID), enrollment.CourseID(l.CourseID),
			enrollment.StatusNEQ(enrollment.StatusCANCELLED)).Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.Problem(apperr.UserNotEnrolled, "enrol in the course first", "lessonId")
		}
		if err != nil {
			return err
		}
		if err := change(ctx, tx, e); err != nil {
			return err
		}
		out, err = s.settle(ctx, tx, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lesson progress: %w", err)
	}
	return out, nil
}

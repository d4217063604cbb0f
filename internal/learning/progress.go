package learning

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/internal/apperr"
	"lectern/internal/counter"
	"lectern/internal/database"
)

// CompleteLesson marks a published lesson done in the caller's enrolment
// in its course and returns the enrolment, completed when every published
// lesson is done. Completing again is harmless and writes nothing. A lesson
// the caller cannot see is NOT_FOUND; a draft lesson (seen as staff)
// NOT_PUBLISHED; without an active enrolment NOT_ENROLLED.
func (s *Service) CompleteLesson(ctx context.Context, lessonID uuid.UUID) (*ent.Enrollment, error) {
	return s.progress(ctx, lessonID, counter.CompleteLesson)
}

// UncompleteLesson takes back a lesson's completion; an enrolment that
// was complete becomes active again. Taking back a lesson not done is
// harmless and writes nothing. Errors as for CompleteLesson.
func (s *Service) UncompleteLesson(ctx context.Context, lessonID uuid.UUID) (*ent.Enrollment, error) {
	return s.progress(ctx, lessonID, counter.UncompleteLesson)
}

// progressChange writes one lesson's progress row in an enrolment and
// moves the enrolment by it (counter.CompleteLesson, UncompleteLesson).
type progressChange func(ctx context.Context, db counter.Execer, now time.Time, enrollmentID, lessonID uuid.UUID) (bool, error)

// progress finds the lesson and the caller's live enrolment in its course
// and applies change, which writes the progress row and that one
// enrolment: a click costs the same few rows however many learners the
// course has. The course's shared lock, taken before the lesson is read,
// keeps an author from publishing or deleting a lesson (and recounting
// everyone) between this reading the lesson and committing. (It is taken
// before the caller's right to see the lesson is known, so a lesson of a
// hidden course holds its author off for one read, no longer than a click.)
func (s *Service) progress(ctx context.Context, lessonID uuid.UUID, change progressChange) (*ent.Enrollment, error) {
	v, err := s.learner(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Enrollment
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		if err := counter.ShareLessonCourse(ctx, tx.SQL, s.db.Dialect, lessonID); err != nil {
			return err
		}
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
		e, err := tx.Enrollment.Query().Where(enrollment.UserID(v.UserID), enrollment.CourseID(l.CourseID),
			enrollment.StatusNEQ(enrollment.StatusCANCELLED)).Only(ctx)
		if ent.IsNotFound(err) {
			return notEnrolled()
		}
		if err != nil {
			return err
		}
		tx.Touch() // the learner's own progress: nothing public changes
		changed, err := change(ctx, tx, s.now().UTC(), e.ID, lessonID)
		if errors.Is(err, counter.ErrCancelled) {
			// Unenrolled while this ran: nothing of it is kept.
			return notEnrolled()
		}
		if err != nil || !changed {
			out = e
			return err
		}
		out, err = tx.Enrollment.Get(ctx, e.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lesson progress: %w", err)
	}
	return out, nil
}

func notEnrolled() error {
	return apperr.Problem(apperr.UserNotEnrolled, "enrol in the course first", "lessonId")
}

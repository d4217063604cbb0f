package learning

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/enrollment"
	"lectern/ent/review"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/cache"
	"lectern/internal/counter"
	"lectern/internal/database"
)

// maxReviewBody is the longest review text, in characters (the database
// CHECK says the same).
const maxReviewBody = 5000

// ReviewInput is a rating from 1 to 5 and an optional text.
type ReviewInput struct {
	Rating int
	Body   string
}

// check validates a review's fields.
func (in ReviewInput) check() (ReviewInput, error) {
	var problems []apperr.FieldError
	if in.Rating < 1 || in.Rating > 5 {
		problems = append(problems, apperr.FieldError{Code: apperr.UserInvalid, Field: []string{"rating"},
			Message: "the rating is a whole number from 1 to 5"})
	}
	in.Body = strings.TrimSpace(in.Body)
	if utf8.RuneCountInString(in.Body) > maxReviewBody {
		problems = append(problems, apperr.FieldError{Code: apperr.UserTooLong, Field: []string{"body"},
			Message: fmt.Sprintf("use at most %d characters", maxReviewBody)})
	}
	if len(problems) > 0 {
		return in, apperr.Invalid(problems...)
	}
	return in, nil
}

// CreateReview records the caller's review of a course they are enrolled
// in (active or completed). One per course (ALREADY_REVIEWED); never of a
// course they teach (OWN_COURSE); without an enrolment NOT_ENROLLED; a
// course they cannot see NOT_FOUND.
func (s *Service) CreateReview(ctx context.Context, courseID uuid.UUID, in ReviewInput) (*ent.Review, error) {
	v, err := s.learner(ctx)
	if err != nil {
		return nil, err
	}
	if in, err = in.check(); err != nil {
		return nil, err
	}
	var out *ent.Review
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		if err := visibleCourse(ctx, tx, courseID, "courseId"); err != nil {
			return err
		}
		// Locked before the staff check, like Enroll.
		if err := s.share(ctx, tx, courseID); err != nil {
			return err
		}
		role, err := access.CourseRole(ctx, tx, courseID, v.UserID)
		if err != nil {
			return err
		}
		if !access.MayTakeCourse(role) {
			return apperr.Problem(apperr.UserOwnCourse, "you cannot review a course you teach", "courseId")
		}
		enrolled, err := tx.Enrollment.Query().Where(enrollment.UserID(v.UserID), enrollment.CourseID(courseID),
			enrollment.StatusNEQ(enrollment.StatusCANCELLED)).Exist(ctx)
		if err != nil {
			return err
		}
		if !enrolled {
			return apperr.Problem(apperr.UserNotEnrolled, "only enrolled learners can review a course", "courseId")
		}
		tx.Touch(cache.Course(courseID), cache.User(v.UserID))
		out, err = tx.Review.Create().SetUserID(v.UserID).SetCourseID(courseID).SetRating(in.Rating).SetBody(in.Body).Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.Problem(apperr.UserAlreadyReviewed, "you have already reviewed this course; update that review instead", "courseId")
		}
		if err != nil {
			return err
		}
		return counter.MoveRatings(ctx, tx, courseID, 1, in.Rating)
	})
	if err != nil {
		return nil, fmt.Errorf("create review: %w", err)
	}
	return out, nil
}

// UpdateReview changes the caller's own review. Anyone else's review, or
// none, is NOT_FOUND.
func (s *Service) UpdateReview(ctx context.Context, id uuid.UUID, in ReviewInput) (*ent.Review, error) {
	v, err := s.learner(ctx)
	if err != nil {
		return nil, err
	}
	if in, err = in.check(); err != nil {
		return nil, err
	}
	var out *ent.Review
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		r, err := tx.Review.Query().Where(review.ID(id), review.UserID(v.UserID)).Only(ctx)
		if ent.IsNotFound(err) {
			return notFound("id")
		}
		if err != nil {
			return err
		}
		if err := s.share(ctx, tx, r.CourseID); err != nil {
			return err
		}
		was, err := s.lockedRating(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(r.CourseID), cache.User(r.UserID))
		if out, err = tx.Review.UpdateOne(r).SetRating(in.Rating).SetBody(in.Body).Save(ctx); err != nil {
			return err
		}
		return counter.MoveRatings(ctx, tx, r.CourseID, 0, in.Rating-was)
	})
	if err != nil {
		return nil, fmt.Errorf("update review: %w", err)
	}
	return out, nil
}

// DeleteReview removes a review: the caller's own, or any (moderation,
// audited) when the caller is an administrator whose session passed MFA,
// as for every administrator action on other people's things. A review the
// caller may not delete is NOT_FOUND when they cannot see it and FORBIDDEN
// when they can; an unverified caller gets EMAIL_NOT_VERIFIED.
func (s *Service) DeleteReview(ctx context.Context, id uuid.UUID) error {
	v, err := s.learner(ctx)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *database.Tx) error {
		r, err := tx.Review.Query().Where(review.ID(id)).Only(ctx)
		if ent.IsNotFound(err) {
			return notFound("id")
		}
		if err != nil {
			return err
		}
		moderation := r.UserID != v.UserID
		if moderation {
			if err := access.MayModerate(v); err != nil {
				return err
			}
		}
		if err := s.share(ctx, tx, r.CourseID); err != nil {
			return err
		}
		was, err := s.lockedRating(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(r.CourseID), cache.User(r.UserID))
		if err := tx.Review.DeleteOne(r).Exec(ctx); err != nil {
			return err
		}
		if err := counter.MoveRatings(ctx, tx, r.CourseID, -1, -was); err != nil {
			return err
		}
		if moderation {
			return s.audit.Record(ctx, tx.Client, audit.Event{Action: audit.ReviewModerate, ActorID: v.UserID,
				TargetType: "Review", TargetID: r.ID.String(),
				Details: map[string]string{"course": r.CourseID.String(), "user": r.UserID.String()}})
		}
		return nil
	})
}

// lockedRating returns review id's rating as stored now, locked until tx
// ends (counter.ReviewRating), for the delta an update or delete makes to
// its course's ratings: two edits of one review at once each move the
// ratings from the rating the other left. A review deleted meanwhile is
// NOT_FOUND.
func (s *Service) lockedRating(ctx context.Context, tx *database.Tx, id uuid.UUID) (int, error) {
	rating, err := counter.ReviewRating(ctx, tx.SQL, s.db.Dialect, id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("id")
	}
	return rating, err
}

package authoring

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/coursemember"
	"lectern/ent/enrollment"
	"lectern/ent/review"
	"lectern/ent/user"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/cache"
	"lectern/internal/database"
)

// AddCourseMember gives a user (by ID; one the caller cannot see is
// NOT_FOUND) the course role INSTRUCTOR (users with the global INSTRUCTOR
// or ADMIN role only) or ASSISTANT, or changes the role they hold.
// Ownership is not handed out this way (INVALID). Owners only
// (and MFA administrators); audited.
func (s *Service) AddCourseMember(ctx context.Context, courseID, userID uuid.UUID, role coursemember.Role) (*ent.Course, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	if role != coursemember.RoleINSTRUCTOR && role != coursemember.RoleASSISTANT {
		return nil, apperr.Problem(apperr.UserInvalid, "add members as INSTRUCTOR or ASSISTANT; a course has one owner", "role")
	}
	var out *ent.Course
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		c, err := s.course(ctx, tx, v, courseID, access.ManageCourse, "courseId")
		if err != nil {
			return err
		}
		member, err := tx.User.Query().Where(user.ID(userID), user.DisabledAtIsNil()).Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.Problem(apperr.UserNotFound, "no such user", "userId")
		}
		if err != nil {
			return err
		}
		// Teaching is for instructors: a learner may assist (read drafts)
		// but could not use a course INSTRUCTOR role, which needs the
		// global one.
		if role == coursemember.RoleINSTRUCTOR && member.Role == user.RoleLEARNER {
			return apperr.Problem(apperr.UserInvalid, "only instructors can teach; add a learner as ASSISTANT", "role")
		}
		// A course's staff are never its learners: their enrolment would
		// count in enrollmentCount and their review in the rating. An
		// enrolment is its learner's alone, so it is looked for as the
		// system; the course's reviews are the caller's to see.
		learner, err := tx.System().Enrollment.Query().Where(enrollment.CourseID(courseID), enrollment.UserID(userID),
			enrollment.StatusNEQ(enrollment.StatusCANCELLED)).Exist(ctx)
		if err == nil && !learner {
			learner, err = tx.Review.Query().Where(review.CourseID(courseID), review.UserID(userID)).Exist(ctx)
		}
		if err != nil {
			return err
		}
		if learner {
			return apperr.Problem(apperr.UserLearnerOfCourse, "this user is enrolled in or has reviewed the course; a course's staff cannot be its learners", "userId")
		}
		tx.Touch(cache.Course(courseID))
		m, err := tx.CourseMember.Query().Where(coursemember.CourseID(courseID), coursemember.UserID(userID)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			err = tx.CourseMember.Create().SetCourseID(courseID).SetUserID(userID).SetRole(role).Exec(ctx)
		case err == nil && m.Role == coursemember.RoleOWNER:
			return apperr.Problem(apperr.UserInvalid, "this user owns the course", "userId")
		case err == nil && m.Role == role:
			out = c
			return nil
		case err == nil:
			err = tx.CourseMember.UpdateOne(m).SetRole(role).Exec(ctx)
		}
		if err != nil {
			return err
		}
		out = c
		return s.record(ctx, tx, v, audit.CourseMemberAdd, c, map[string]string{"role": string(role), "user": userID.String()})
	})
	if err != nil {
		return nil, fmt.Errorf("add course member: %w", err)
	}
	return out, nil
}

// RemoveCourseMember takes a user off the course's staff. The owner cannot
// be removed (a course always keeps its owner: INVALID); someone not on
// the staff is NOT_FOUND. Owners only (and MFA administrators); audited.
func (s *Service) RemoveCourseMember(ctx context.Context, courseID, userID uuid.UUID) (*ent.Course, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Course
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		c, err := s.course(ctx, tx, v, courseID, access.ManageCourse, "courseId")
		if err != nil {
			return err
		}
		m, err := tx.CourseMember.Query().Where(coursemember.CourseID(courseID), coursemember.UserID(userID)).Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.Problem(apperr.UserNotFound, "this user is not on the course's staff", "userId")
		}
		if err != nil {
			return err
		}
		if m.Role == coursemember.RoleOWNER {
			return apperr.Problem(apperr.UserInvalid, "a course always keeps its owner", "userId")
		}
		tx.Touch(cache.Course(courseID))
		if err := tx.CourseMember.DeleteOne(m).Exec(ctx); err != nil {
			return err
		}
		out = c
		return s.record(ctx, tx, v, audit.CourseMemberRemove, c, map[string]string{"role": string(m.Role), "user": userID.String()})
	})
	if err != nil {
		return nil, fmt.Errorf("remove course member: %w", err)
	}
	return out, nil
}

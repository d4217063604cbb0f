package access

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/coursemember"
	"lectern/internal/apperr"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// CourseAction is something done to a course that its staff's roles
// decide.
type CourseAction int

// Course actions, by the roles that may take them.
const (
	// EditCourse changes a course's content and details: its OWNER and
	// INSTRUCTORs.
	EditCourse CourseAction = iota + 1
	// ManageCourse publishes, archives and staffs a course: its OWNER.
	ManageCourse
)

var courseRoles = map[CourseAction][]coursemember.Role{
	EditCourse:   {coursemember.RoleOWNER, coursemember.RoleINSTRUCTOR},
	ManageCourse: {coursemember.RoleOWNER},
}

// CourseRole returns userID's role on the staff of course courseID, or nil
// when they hold none. It reads the membership through the transaction's
// system client: the decision needs the row whatever the caller may list.
func CourseRole(ctx context.Context, tx *database.Tx, courseID, userID uuid.UUID) (*coursemember.Role, error) {
	m, err := tx.System().CourseMember.Query().
		Where(coursemember.CourseID(courseID), coursemember.UserID(userID)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("course role: %w", err)
	}
	return &m.Role, nil
}

// MayChangeCourse returns nil when v, holding role on the course's staff
// (nil: none), may take action on it; administrators may act on any course,
// but only from a session that passed MFA. Otherwise FORBIDDEN.
func MayChangeCourse(v viewer.Viewer, role *coursemember.Role, action CourseAction) error {
	switch {
	case role != nil && slices.Contains(courseRoles[action], *role), v.IsElevatedAdmin():
		return nil
	case v.IsAdmin():
		return apperr.New(apperr.Forbidden, "administrators change other people's courses only from a session that passed two-factor sign-in")
	}
	return apperr.New(apperr.Forbidden, "your role in this course does not allow this")
}

// MayTakeCourse reports whether a learner holding role on a course's staff
// (nil: none) may enrol in it or review it: its staff may not, as they
// would be grading their own work.
func MayTakeCourse(role *coursemember.Role) bool { return role == nil }

// MayModerate returns nil when v may act on another learner's review:
// administrators, from a session that passed MFA. Otherwise FORBIDDEN.
func MayModerate(v viewer.Viewer) error {
	switch {
	case !v.IsAdmin():
		return apperr.New(apperr.Forbidden, "only the author or an administrator can delete a review")
	case !v.IsElevatedAdmin():
		return apperr.New(apperr.Forbidden, "administrators moderate reviews only from a session that passed two-factor sign-in")
	}
	return nil
}

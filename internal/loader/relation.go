package loader

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/coursemember"
	"lectern/ent/enrollment"
	"lectern/internal/viewer"
)

// CourseRelation is what the signed-in caller is to one course.
type CourseRelation struct {
	// Role is the caller's course role ("OWNER", "INSTRUCTOR",
	// "ASSISTANT"), or "" when the caller is not staff.
	Role coursemember.Role
	// Enrolled is true while the caller's enrolment is active or completed.
	Enrolled bool
	// Enrollment is the caller's enrolment in the course in any status
	// (cancelled ones included), or nil.
	Enrollment *ent.Enrollment
}

// Staff reports whether the caller holds any course role.
func (r CourseRelation) Staff() bool { return r.Role != "" }

// relations loads the caller's role and enrolment for each course in two
// queries. Anonymous callers have no relation to any course and cost none.
func relations(client *ent.Client) fetchFunc[uuid.UUID, CourseRelation] {
	return func(ctx context.Context, keys []uuid.UUID) (map[uuid.UUID]CourseRelation, error) {
		found := make(map[uuid.UUID]CourseRelation, len(keys))
		v, ok := viewer.FromContext(ctx)
		if !ok || v.IsSystem() {
			return found, nil
		}
		members, err := client.CourseMember.Query().
			Where(coursemember.UserID(v.UserID), coursemember.CourseIDIn(keys...)).
			All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load course roles: %w", err)
		}
		for _, m := range members {
			found[m.CourseID] = CourseRelation{Role: m.Role}
		}
		enrollments, err := client.Enrollment.Query().
			Where(enrollment.UserID(v.UserID), enrollment.CourseIDIn(keys...)).
			All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load enrolments: %w", err)
		}
		for _, e := range enrollments {
			r := found[e.CourseID]
			r.Enrolled = e.Status != enrollment.StatusCANCELLED
			r.Enrollment = e
			found[e.CourseID] = r
		}
		return found, nil
	}
}

package loader

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/coursemember"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/internal/viewer"
)

// The caller's relation to a course is two lookups, each fetched only when
// asked for: a learner's page needs their enrolments, and only a caller who
// is not enrolled has their course roles looked up to read a lesson. The
// system and anonymous callers have no relation to any course and cost
// none.

// enrollments loads the caller's enrolment (in any status) in each course.
func enrollments(client *ent.Client) fetchFunc[uuid.UUID, *ent.Enrollment] {
	return func(ctx context.Context, keys []uuid.UUID) (map[uuid.UUID]*ent.Enrollment, error) {
		found := make(map[uuid.UUID]*ent.Enrollment, len(keys))
		v, ok := viewer.FromContext(ctx)
		if !ok || v.IsSystem() {
			return found, nil
		}
		rows, err := client.Enrollment.Query().
			Where(enrollment.UserID(v.UserID), enrollment.CourseIDIn(keys...)).
			All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load enrolments: %w", err)
		}
		for _, e := range rows {
			found[e.CourseID] = e
		}
		return found, nil
	}
}

// roles loads the caller's role in each course ("" for none).
func roles(client *ent.Client) fetchFunc[uuid.UUID, coursemember.Role] {
	return func(ctx context.Context, keys []uuid.UUID) (map[uuid.UUID]coursemember.Role, error) {
		found := make(map[uuid.UUID]coursemember.Role, len(keys))
		v, ok := viewer.FromContext(ctx)
		if !ok || v.IsSystem() {
			return found, nil
		}
		members, err := client.CourseMember.Query().
			Where(coursemember.UserID(v.UserID), coursemember.CourseIDIn(keys...)).
			Select(coursemember.FieldCourseID, coursemember.FieldRole).
			All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load course roles: %w", err)
		}
		for _, m := range members {
			found[m.CourseID] = m.Role
		}
		return found, nil
	}
}

// published loads which of the courses are published.
func published(client *ent.Client) fetchFunc[uuid.UUID, bool] {
	return func(ctx context.Context, keys []uuid.UUID) (map[uuid.UUID]bool, error) {
		ids, err := client.Course.Query().
			Where(course.IDIn(keys...), course.StatusEQ(course.StatusPUBLISHED)).
			IDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("load published courses: %w", err)
		}
		found := make(map[uuid.UUID]bool, len(keys))
		for _, id := range ids {
			found[id] = true
		}
		return found, nil
	}
}

// lessons loads the lessons' IDs, courses and access.
func lessons(client *ent.Client) fetchFunc[uuid.UUID, *ent.Lesson] {
	return func(ctx context.Context, keys []uuid.UUID) (map[uuid.UUID]*ent.Lesson, error) {
		rows, err := client.Lesson.Query().Where(lesson.IDIn(keys...)).
			Select(lesson.FieldID, lesson.FieldCourseID, lesson.FieldAccess).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load lessons: %w", err)
		}
		found := make(map[uuid.UUID]*ent.Lesson, len(rows))
		for _, l := range rows {
			found[l.ID] = l
		}
		return found, nil
	}
}

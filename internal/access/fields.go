package access

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/lesson"
	"lectern/internal/loader"
	"lectern/internal/viewer"
)

// LessonBodyReadable reports whether the caller may read the body of l, a
// lesson they can already see: PUBLIC lessons are open to all; ENROLLED ones
// to learners enrolled in the course, its staff and elevated admins
// (viewer.IsElevatedAdmin). Inside a request the caller's relations to
// courses are batched by the loaders.
func LessonBodyReadable(ctx context.Context, client *ent.Client, l *ent.Lesson) (bool, error) {
	if l.Access == lesson.AccessPUBLIC {
		return true, nil
	}
	v, ok := viewer.FromContext(ctx)
	switch {
	case !ok:
		return false, nil
	case v.IsSystem(), v.IsElevatedAdmin():
		return true, nil
	}
	rel, err := relation(ctx, client, l.CourseID)
	if err != nil {
		return false, fmt.Errorf("lesson body access: %w", err)
	}
	return rel.Staff() || rel.Enrolled, nil
}

// relation returns the caller's relation to a course, batched when loaders
// are in ctx.
func relation(ctx context.Context, client *ent.Client, courseID uuid.UUID) (loader.CourseRelation, error) {
	l := loader.FromContext(ctx)
	if l == nil {
		l = loader.New(client, 0)
	}
	return l.Viewer.Load(ctx, courseID)()
}

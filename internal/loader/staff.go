package loader

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"lectern/ent"
	"lectern/ent/coursemember"
)

// staff loads each course's members with their users, oldest membership
// first, in two queries for the whole batch.
func staff(client *ent.Client) dataloader.BatchFunc[uuid.UUID, []*ent.CourseMember] {
	return func(ctx context.Context, keys []uuid.UUID) []*dataloader.Result[[]*ent.CourseMember] {
		members, err := client.CourseMember.Query().
			Where(coursemember.CourseIDIn(keys...)).
			WithUser().
			Order(coursemember.ByCreatedAt(), coursemember.ByID()).
			All(ctx)
		if err != nil {
			return results[uuid.UUID, []*ent.CourseMember](keys, nil, fmt.Errorf("load course staff: %w", err))
		}
		byCourse := make(map[uuid.UUID][]*ent.CourseMember, len(keys))
		for _, m := range members {
			byCourse[m.CourseID] = append(byCourse[m.CourseID], m)
		}
		return results(keys, byCourse, nil)
	}
}

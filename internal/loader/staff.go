package loader

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/coursemember"
	"lectern/ent/user"
)

// profileColumns are the user columns the User type can show (its public
// fields, and the private ones its owner and administrators may read).
// Credentials and two-factor state are never read for a staff list: they
// would cost memory and bandwidth for every course on a page, and are
// nothing a course page may hold.
var profileColumns = []string{
	user.FieldID, user.FieldCreatedAt, user.FieldUpdatedAt, user.FieldDisplayName, user.FieldBio,
	user.FieldEmail, user.FieldRole, user.FieldEmailVerifiedAt, user.FieldDisabledAt,
}

// staff loads each course's members with their users, oldest membership
// first, in two queries for all the courses asked for.
func staff(client *ent.Client) fetchFunc[uuid.UUID, []*ent.CourseMember] {
	return func(ctx context.Context, keys []uuid.UUID) (map[uuid.UUID][]*ent.CourseMember, error) {
		members, err := client.CourseMember.Query().
			Where(coursemember.CourseIDIn(keys...)).
			WithUser(func(q *ent.UserQuery) { q.Select(profileColumns...) }).
			Order(coursemember.ByCreatedAt(), coursemember.ByID()).
			All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load course staff: %w", err)
		}
		byCourse := make(map[uuid.UUID][]*ent.CourseMember, len(keys))
		for _, m := range members {
			byCourse[m.CourseID] = append(byCourse[m.CourseID], m)
		}
		return byCourse, nil
	}
}

package loader

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/coursemember"
	"lectern/ent/user"
	"lectern/internal/cache"
)

// profileColumns are the user columns the User type can show (its public
// fields, and the private ones its owner and administrators may read), by
// GraphQL field. Credentials and two-factor state are never read for a
// staff list: they are nothing a course page may hold.
var profileColumns = map[string]string{
	"id": user.FieldID, "createdAt": user.FieldCreatedAt, "displayName": user.FieldDisplayName, "bio": user.FieldBio,
	"email": user.FieldEmail, "role": user.FieldRole, "emailVerified": user.FieldEmailVerifiedAt, "disabled": user.FieldDisabledAt,
	// The avatar edge needs its key, and is then loaded for every member
	// at once (see staff).
	"avatar": user.FieldAvatarID,
}

// staffFields are the Course fields the staff lookup serves.
var staffFields = map[string]bool{"owner": true, "instructors": true}

// userColumns returns the user columns the request's operation reads
// through staffFields: a catalogue card showing its owner's name reads
// two columns of each of some seventy users, not every profile column
// (their timestamps alone cost more to scan than the rest of the page).
// Outside a GraphQL request, or when a field it does not know is
// selected, it returns every profile column.
func userColumns(ctx context.Context) []string {
	all := slices.Sorted(maps.Values(profileColumns))
	if !graphql.HasOperationContext(ctx) {
		return all
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil {
		return all
	}
	cols := map[string]bool{user.FieldID: true}
	if !collectUserColumns(oc, oc.Operation.SelectionSet, cols, 0) {
		return all
	}
	return slices.Sorted(maps.Keys(cols))
}

// collectUserColumns walks sel (fragments expanded) and adds to cols the
// columns of the fields selected under staffFields; false when one of
// them is not a profile column.
func collectUserColumns(oc *graphql.OperationContext, sel ast.SelectionSet, cols map[string]bool, depth int) bool {
	if depth > maxWalkDepth { // validated documents are far shallower
		return false
	}
	for _, f := range graphql.CollectFields(oc, sel, nil) {
		if !staffFields[f.Name] {
			if !collectUserColumns(oc, f.Selections, cols, depth+1) {
				return false
			}
			continue
		}
		for _, uf := range graphql.CollectFields(oc, f.Selections, nil) {
			col, ok := profileColumns[uf.Name]
			switch {
			case ok:
				cols[col] = true
			case uf.Name != "__typename":
				return false
			}
		}
	}
	return true
}

// maxWalkDepth bounds collectUserColumns' recursion.
const maxWalkDepth = 64

// staff loads each course's members with their users, oldest membership
// first, in two queries for all the courses asked for.
func staff(client *ent.Client) fetchFunc[uuid.UUID, []*ent.CourseMember] {
	return func(ctx context.Context, keys []uuid.UUID) (map[uuid.UUID][]*ent.CourseMember, error) {
		members, err := client.CourseMember.Query().
			Where(coursemember.CourseIDIn(keys...)).
			Select(coursemember.FieldCourseID, coursemember.FieldUserID, coursemember.FieldRole).
			WithUser(func(q *ent.UserQuery) {
				cols := userColumns(ctx)
				q.Select(cols...)
				if slices.Contains(cols, user.FieldAvatarID) {
					q.WithAvatar()
				}
			}).
			Order(coursemember.ByCreatedAt(), coursemember.ByID()).
			All(cache.Keyed(ctx)) // the staff of courses the response read
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

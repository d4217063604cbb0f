package loader

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/google/uuid"

	"entgo.io/ent/dialect/sql"

	"lectern/ent"
	"lectern/ent/coursemember"
	"lectern/ent/schema"
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

// staffSelection is what the request's operation reads through
// staffFields: the user columns, and whether instructors are shown beside
// owners. A catalogue card showing its owner's name reads two columns of
// one user per course, not every profile column of every teacher (the
// users' timestamps alone cost more to scan than the rest of the page).
// Outside a GraphQL request, or when a field it does not know is
// selected, it reads every profile column of owners and instructors.
type staffSelection struct {
	columns     []string
	instructors bool
}

// selectStaff returns the staff selection of the operation in ctx.
func selectStaff(ctx context.Context) staffSelection {
	all := staffSelection{columns: slices.Sorted(maps.Values(profileColumns)), instructors: true}
	if !graphql.HasOperationContext(ctx) {
		return all
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil {
		return all
	}
	cols := map[string]bool{user.FieldID: true}
	var sel staffSelection
	if !collectStaff(oc, oc.Operation.SelectionSet, cols, &sel, 0) {
		return all
	}
	sel.columns = slices.Sorted(maps.Keys(cols))
	return sel
}

// collectStaff walks sel (fragments expanded): it adds to cols the columns
// of the fields selected under staffFields, and notes whether instructors
// are among them; false when one of the fields is not a profile column.
func collectStaff(oc *graphql.OperationContext, sel ast.SelectionSet, cols map[string]bool, staff *staffSelection, depth int) bool {
	if depth > maxWalkDepth { // validated documents are far shallower
		return false
	}
	for _, f := range graphql.CollectFields(oc, sel, nil) {
		if !staffFields[f.Name] {
			if !collectStaff(oc, f.Selections, cols, staff, depth+1) {
				return false
			}
			continue
		}
		if f.Name == "instructors" {
			staff.instructors = true
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

// maxWalkDepth bounds collectStaff's recursion.
const maxWalkDepth = 64

// staff loads the teaching staff of each course with their users, oldest
// membership first, in one query for all the courses asked for: users
// joined to their memberships, each table under its row rule (ent applies
// the users' rule, the memberships' is added to the join). It reads the
// owners, and the instructors only when the operation shows them;
// assistants are never read, as nothing shows them. Loading the
// memberships and then their users by ID took two statements, and with
// some eighty users' IDs as parameters PostgreSQL scanned the whole users
// table, comparing every row with each ID.
func staff(client *ent.Client) fetchFunc[uuid.UUID, []*ent.CourseMember] {
	return func(ctx context.Context, keys []uuid.UUID) (map[uuid.UUID][]*ent.CourseMember, error) {
		sel := selectStaff(ctx)
		roles := []any{sql.Raw("'" + string(coursemember.RoleOWNER) + "'")}
		if sel.instructors {
			roles = append(roles, sql.Raw("'"+string(coursemember.RoleINSTRUCTOR)+"'"))
		}
		q := client.User.Query()
		q.Select(sel.columns...)
		if slices.Contains(sel.columns, user.FieldAvatarID) {
			q.WithAvatar()
		}
		q.Modify(func(s *sql.Selector) {
			m := sql.Table(coursemember.Table).As("staff_m")
			s.Join(m).On(s.C(user.FieldID), m.C(coursemember.FieldUserID))
			s.Where(sql.And(
				sql.In(m.C(coursemember.FieldCourseID), values(keys)...),
				sql.In(m.C(coursemember.FieldRole), roles...),
			))
			if p := schema.CourseMembersVisible(ctx, s, m); p != nil {
				s.Where(p)
			}
			s.AppendSelectAs(m.C(coursemember.FieldCourseID), staffCourse)
			s.AppendSelectAs(m.C(coursemember.FieldRole), staffRole)
			s.OrderBy(m.C(coursemember.FieldCreatedAt), m.C(coursemember.FieldID))
		})
		users, err := q.All(cache.Keyed(ctx)) // the staff of courses the response read
		if err != nil {
			return nil, fmt.Errorf("load course staff: %w", err)
		}
		byCourse := make(map[uuid.UUID][]*ent.CourseMember, len(keys))
		for _, u := range users {
			m, err := membership(u)
			if err != nil {
				return nil, fmt.Errorf("load course staff: %w", err)
			}
			byCourse[m.CourseID] = append(byCourse[m.CourseID], m)
		}
		return byCourse, nil
	}
}

// Names of the membership columns the staff query selects beside the
// users' own.
const (
	staffCourse = "staff_course_id"
	staffRole   = "staff_role"
)

// membership is the membership a staff query row stands for, holding its
// user.
func membership(u *ent.User) (*ent.CourseMember, error) {
	course, err := u.Value(staffCourse)
	if err != nil {
		return nil, err
	}
	role, err := u.Value(staffRole)
	if err != nil {
		return nil, err
	}
	m := &ent.CourseMember{UserID: u.ID, Role: coursemember.Role(asString(role))}
	if err := m.CourseID.Scan(course); err != nil {
		return nil, fmt.Errorf("staff course ID: %w", err)
	}
	m.Edges.User = u
	return m, nil
}

// asString is a text column's value as the driver scanned it.
func asString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// values turns keys into query arguments.
func values[T any](keys []T) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

package catalog

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	"lectern/ent"
	"lectern/ent/coursemember"
	"lectern/internal/cache"
)

// The bounded lists of a course page (sections ≤ 50, lessons ≤ 100 per
// section, FAQ ≤ 50, tags ≤ 10) come eager-loaded, one query per nesting
// level; the database returns positioned rows in order (see the schema's
// inPositionOrder). These functions never return nil, so GraphQL shows an
// empty list rather than null. A list loaded here rather than eagerly is
// cache.Keyed: a child joining or leaving a course publishes the course's
// tag, which the parent row already gave the response.

// Sections returns c's sections in position order.
func Sections(ctx context.Context, c *ent.Course) ([]*ent.Section, error) {
	return nonNil(c.Sections(cache.Keyed(ctx)))
}

// Lessons returns s's lessons in position order.
func Lessons(ctx context.Context, s *ent.Section) ([]*ent.Lesson, error) {
	return nonNil(s.Lessons(cache.Keyed(ctx)))
}

// FAQ returns c's FAQ entries in position order.
func FAQ(ctx context.Context, c *ent.Course) ([]*ent.FAQEntry, error) {
	return nonNil(c.Faq(cache.Keyed(ctx)))
}

// Tags returns c's tags by name (then ID, which is always loaded, so the
// order is stable even when the client did not select names).
func Tags(ctx context.Context, c *ent.Course) ([]*ent.Tag, error) {
	tags, err := nonNil(c.Tags(cache.Keyed(ctx)))
	if err != nil {
		return nil, err
	}
	tags = slices.Clone(tags)
	slices.SortFunc(tags, func(a, b *ent.Tag) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), bytes.Compare(a.ID[:], b.ID[:]))
	})
	return tags, nil
}

func nonNil[T any](items []T, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []T{}
	}
	return items, nil
}

// Instructors returns the users who teach a course, owner first, from its
// staff list (see loader.Staff), leaving out assistants.
func Instructors(staff []*ent.CourseMember) []*ent.User {
	users := make([]*ent.User, 0, len(staff))
	for _, m := range staff {
		if m.Role == coursemember.RoleOWNER && m.Edges.User != nil {
			users = append(users, m.Edges.User)
		}
	}
	for _, m := range staff {
		if m.Role == coursemember.RoleINSTRUCTOR && m.Edges.User != nil {
			users = append(users, m.Edges.User)
		}
	}
	return users
}

// Owner returns the owner among a course's staff, or nil if none is loaded.
func Owner(staff []*ent.CourseMember) *ent.User {
	for _, m := range staff {
		if m.Role == coursemember.RoleOWNER {
			return m.Edges.User
		}
	}
	return nil
}

package cache

import (
	"context"

	"github.com/google/uuid"

	"lectern/ent"
)

// Intercept tags the response being computed (see Record) with every row
// an ent query reads for it: the row's own tag and the tags of the rows it
// points at (a lesson tags its course, a review its course and author), so
// a row hidden by its parent (a draft course, an unverified author) is
// tracked through that parent. A query that is not Keyed also records
// Catalogue; a query of a table anonymous callers cannot read refuses the
// response. internal/database installs it on every client; outside a
// cacheable request it does nothing.
func Intercept() ent.Interceptor {
	return ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			v, err := next.Query(ctx, q)
			r := recorderFrom(ctx)
			if r == nil || err != nil {
				return v, err
			}
			if !public(q) {
				r.mu.Lock()
				r.refused = true
				r.mu.Unlock()
				return v, err
			}
			tags, known := rowTags(v)
			if !known || !keyed(ctx) {
				tags = append(tags, Catalogue)
			}
			r.add(tags...)
			return v, err
		})
	})
}

// public reports whether q reads a table anonymous callers may read.
func public(q ent.Query) bool {
	switch q.(type) {
	case *ent.CourseQuery, *ent.SectionQuery, *ent.LessonQuery, *ent.FAQEntryQuery, *ent.ReviewQuery,
		*ent.CourseTagQuery, *ent.TagQuery, *ent.CourseMemberQuery, *ent.UserQuery, *ent.AssetQuery:
		return true
	}
	return false
}

// rowTags returns the tags of the rows in v; known is false when v is not
// a list of rows (a count, IDs, selected columns), whose tags the caller
// cannot know.
func rowTags(v ent.Value) (tags []string, known bool) {
	add := func(tag func(uuid.UUID) string, id uuid.UUID) {
		if id == uuid.Nil { // a column left out of the query: unattributable
			tags = append(tags, Catalogue)
			return
		}
		tags = append(tags, tag(id))
	}
	switch rows := v.(type) {
	case []*ent.Course:
		for _, c := range rows {
			add(Course, c.ID)
		}
	case []*ent.Section:
		for _, s := range rows {
			add(Course, s.CourseID)
		}
	case []*ent.Lesson:
		for _, l := range rows {
			add(Course, l.CourseID)
		}
	case []*ent.FAQEntry:
		for _, f := range rows {
			add(Course, f.CourseID)
		}
	case []*ent.Review:
		for _, rv := range rows {
			add(Course, rv.CourseID)
			add(User, rv.UserID)
		}
	case []*ent.CourseTag:
		for _, ct := range rows {
			add(Course, ct.CourseID)
			add(Tag, ct.TagID)
		}
	case []*ent.CourseMember:
		for _, m := range rows {
			add(Course, m.CourseID)
			add(User, m.UserID)
		}
	case []*ent.Asset:
		// A cover or attachment shows on its course's pages, an avatar on
		// its owner's profile.
		for _, a := range rows {
			if a.CourseID != nil {
				add(Course, *a.CourseID)
			} else {
				add(User, a.OwnerID)
			}
		}
	case []*ent.Tag:
		for _, t := range rows {
			add(Tag, t.ID)
		}
	case []*ent.User:
		for _, u := range rows {
			add(User, u.ID)
		}
	default:
		return nil, false
	}
	return tags, true
}

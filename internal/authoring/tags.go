package authoring

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/coursetag"
	"lectern/ent/tag"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/cache"
	"lectern/internal/database"
)

// maxTags is how many tags a course may carry.
const maxTags = 10

// SetCourseTags replaces a course's tags with the tags of the given slugs
// (existing tags only; an unknown slug is INVALID at its index). Owners and
// instructors of the course (and MFA administrators).
func (s *Service) SetCourseTags(ctx context.Context, courseID uuid.UUID, slugs []string) (*ent.Course, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	// Bounded before any work: the list comes from the client.
	if len(slugs) > 2*maxTags {
		return nil, apperr.Problem(apperr.UserInvalid, fmt.Sprintf("a course carries at most %d tags", maxTags), "tags")
	}
	var clean []string
	seen := map[string]bool{}
	for _, sl := range slugs {
		sl = strings.ToLower(strings.TrimSpace(sl))
		if !seen[sl] {
			seen[sl] = true
			clean = append(clean, sl)
		}
	}
	if len(clean) > maxTags {
		return nil, apperr.Problem(apperr.UserInvalid, fmt.Sprintf("a course carries at most %d tags", maxTags), "tags")
	}
	var out *ent.Course
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		c, err := s.course(ctx, tx, v, courseID, access.EditCourse, "courseId")
		if err != nil {
			return err
		}
		tags, err := tx.Tag.Query().Where(tag.SlugIn(clean...)).All(ctx)
		if err != nil {
			return err
		}
		// Problems point at the slug as the client sent it, by its index
		// in their list (duplicates included).
		var p problems
		for i, sl := range slugs {
			sl = strings.ToLower(strings.TrimSpace(sl))
			if !slices.ContainsFunc(tags, func(t *ent.Tag) bool { return t.Slug == sl }) {
				p.add(apperr.UserInvalid, fmt.Sprintf("no tag %q", sl), "tags", fmt.Sprint(i))
			}
		}
		if err := p.err(); err != nil {
			return err
		}
		// The links change the course and every tag it leaves or joins.
		old, err := tx.CourseTag.Query().Where(coursetag.CourseID(courseID)).All(ctx)
		if err != nil {
			return err
		}
		touched := []string{cache.Course(courseID)}
		for _, l := range old {
			touched = append(touched, cache.Tag(l.TagID))
		}
		for _, t := range tags {
			touched = append(touched, cache.Tag(t.ID))
		}
		tx.Touch(touched...)
		if _, err := tx.CourseTag.Delete().Where(coursetag.CourseID(courseID)).Exec(ctx); err != nil {
			return err
		}
		for _, t := range tags {
			if err := tx.CourseTag.Create().SetCourseID(courseID).SetTagID(t.ID).Exec(ctx); err != nil {
				return err
			}
		}
		out, err = tx.Course.UpdateOne(c).AddVersion(1).Save(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set course tags: %w", err)
	}
	return out, nil
}

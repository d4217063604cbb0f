package authoring

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/lesson"
	"lectern/ent/section"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/cache"
	"lectern/internal/database"
)

// CreateCourse creates a draft course owned by the caller. A taken slug is
// SLUG_TAKEN.
func (s *Service) CreateCourse(ctx context.Context, in CourseInput) (*ent.Course, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.check(true); err != nil {
		return nil, err
	}
	var out *ent.Course
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		create := tx.Course.Create().SetTitle(*in.Title).SetSlug(*in.Slug).
			SetNillableSummary(in.Summary).SetNillableDescription(in.Description).
			SetNillableLanguage(in.Language).SetNillableLevel(in.Level)
		if in.SetRequirements {
			create.SetRequirements(in.Requirements)
		}
		if in.SetTakeaways {
			create.SetTakeaways(in.Takeaways)
		}
		c, err := create.Save(ctx)
		if ent.IsConstraintError(err) {
			return slugTaken()
		}
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(c.ID))
		if err := tx.CourseMember.Create().SetCourseID(c.ID).SetUserID(v.UserID).SetRole("OWNER").Exec(ctx); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create course: %w", err)
	}
	return out, nil
}

func slugTaken() error {
	return apperr.Problem(apperr.UserSlugTaken, "another course uses this slug", "slug")
}

// UpdateCourse changes a course's details when expectedVersion is still
// its version (otherwise CONFLICT: someone changed it since the caller
// read it) and returns it with the next version. Owners and instructors of
// the course may; administrators from an MFA session too.
func (s *Service) UpdateCourse(ctx context.Context, id uuid.UUID, expectedVersion int, in CourseInput) (*ent.Course, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.check(false); err != nil {
		return nil, err
	}
	var out *ent.Course
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		if _, err := s.course(ctx, tx, v, id, access.EditCourse, "id"); err != nil {
			return err
		}
		tx.Touch(cache.Course(id))
		upd := tx.Course.Update().Where(course.ID(id), course.Version(expectedVersion)).AddVersion(1).
			SetNillableTitle(in.Title).SetNillableSlug(in.Slug).SetNillableSummary(in.Summary).
			SetNillableDescription(in.Description).SetNillableLanguage(in.Language).SetNillableLevel(in.Level)
		if in.SetRequirements {
			upd.SetRequirements(in.Requirements)
		}
		if in.SetTakeaways {
			upd.SetTakeaways(in.Takeaways)
		}
		n, err := upd.Save(ctx)
		if ent.IsConstraintError(err) {
			return slugTaken()
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.Problem(apperr.UserConflict, "the course changed since you read it; reload it and apply your change again", "expectedVersion")
		}
		out, err = tx.Course.Get(ctx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update course: %w", err)
	}
	return out, nil
}

// PublishCourse puts a course in the catalogue. It needs a title and a
// summary and at least one section with a published lesson
// (NOT_PUBLISHABLE otherwise). The first publication sets publishedAt;
// publishing an archived course brings it back. Owners only (and MFA
// administrators); audited.
func (s *Service) PublishCourse(ctx context.Context, id uuid.UUID) (*ent.Course, error) {
	return s.setStatus(ctx, id, course.StatusPUBLISHED, audit.CoursePublish, func(ctx context.Context, tx *database.Tx, c *ent.Course) error {
		var missing []string
		if c.Summary == "" {
			missing = append(missing, "a summary")
		}
		ready, err := tx.Section.Query().Where(section.CourseID(c.ID),
			section.HasLessonsWith(lesson.StatusEQ(lesson.StatusPUBLISHED))).Exist(ctx)
		if err != nil {
			return err
		}
		if !ready {
			missing = append(missing, "a section with at least one published lesson")
		}
		if len(missing) > 0 {
			return apperr.Problem(apperr.UserNotPublishable, fmt.Sprintf("a course needs %s before it can be published", joinAnd(missing)), "id")
		}
		return nil
	})
}

// ArchiveCourse withdraws a published course from the catalogue; enrolled
// learners keep their enrolments. A draft was never in the catalogue and
// cannot be archived (NOT_PUBLISHED). Owners only (and MFA
// administrators); audited.
func (s *Service) ArchiveCourse(ctx context.Context, id uuid.UUID) (*ent.Course, error) {
	return s.setStatus(ctx, id, course.StatusARCHIVED, audit.CourseArchive, func(_ context.Context, _ *database.Tx, c *ent.Course) error {
		if c.Status == course.StatusDRAFT {
			return apperr.Problem(apperr.UserNotPublished, "a draft is not in the catalogue; there is nothing to archive", "id")
		}
		return nil
	})
}

// setStatus moves a course to status after check, bumping its version.
// Setting the status it has already is harmless and not audited.
func (s *Service) setStatus(ctx context.Context, id uuid.UUID, status course.Status, action string,
	check func(context.Context, *database.Tx, *ent.Course) error) (*ent.Course, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Course
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		c, err := s.course(ctx, tx, v, id, access.ManageCourse, "id")
		if err != nil {
			return err
		}
		if c.Status == status {
			out = c
			return nil
		}
		if check != nil {
			if err := check(ctx, tx, c); err != nil {
				return err
			}
		}
		tx.Touch(cache.Course(c.ID))
		upd := tx.Course.UpdateOne(c).SetStatus(status).AddVersion(1)
		if status == course.StatusPUBLISHED && c.PublishedAt == nil {
			upd.SetPublishedAt(s.now().UTC())
		}
		if out, err = upd.Save(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, v, action, c, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("course status: %w", err)
	}
	return out, nil
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	out := items[0]
	for _, it := range items[1 : len(items)-1] {
		out += ", " + it
	}
	return out + " and " + items[len(items)-1]
}

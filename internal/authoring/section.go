package authoring

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/lesson"
	"lectern/ent/section"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/cache"
	"lectern/internal/counter"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// CreateSection appends a section titled title to a course. Owners and
// instructors of the course; at most 50 sections.
func (s *Service) CreateSection(ctx context.Context, courseID uuid.UUID, title string) (*ent.Section, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	var p problems
	p.text(&title, 1, 200, "title")
	if err := p.err(); err != nil {
		return nil, err
	}
	var out *ent.Section
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		if _, err := s.course(ctx, tx, v, courseID, access.EditCourse, "courseId"); err != nil {
			return err
		}
		tx.Touch(cache.Course(courseID))
		n, err := tx.Section.Query().Where(section.CourseID(courseID)).Count(ctx)
		if err != nil {
			return err
		}
		if n >= maxSections {
			return apperr.Problem(apperr.UserInvalid, fmt.Sprintf("a course holds at most %d sections", maxSections), "courseId")
		}
		out, err = tx.Section.Create().SetCourseID(courseID).SetTitle(title).SetPosition(n).Save(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create section: %w", err)
	}
	return out, nil
}

// section loads a section for an editor of its course.
func (s *Service) section(ctx context.Context, tx *database.Tx, v viewer.Viewer, id uuid.UUID, field ...string) (*ent.Section, error) {
	sec, err := tx.Section.Query().Where(section.ID(id)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Problem(apperr.UserNotFound, "no such section", field...)
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.course(ctx, tx, v, sec.CourseID, access.EditCourse, field...); err != nil {
		return nil, err
	}
	// Read again under the course lock (a concurrent delete or move).
	sec, err = tx.Section.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.Problem(apperr.UserNotFound, "no such section", field...)
	}
	return sec, err
}

// UpdateSection renames a section.
func (s *Service) UpdateSection(ctx context.Context, id uuid.UUID, title string) (*ent.Section, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	var p problems
	p.text(&title, 1, 200, "title")
	if err := p.err(); err != nil {
		return nil, err
	}
	var out *ent.Section
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		sec, err := s.section(ctx, tx, v, id, "id")
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(sec.CourseID))
		out, err = tx.Section.UpdateOne(sec).SetTitle(title).Save(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update section: %w", err)
	}
	return out, nil
}

// MoveSection puts a section at position (0 first; past the end means
// last); the other sections close up, so positions stay 0..n-1.
func (s *Service) MoveSection(ctx context.Context, id uuid.UUID, position int) (*ent.Section, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Section
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		sec, err := s.section(ctx, tx, v, id, "id")
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(sec.CourseID))
		ids, err := tx.Section.Query().Where(section.CourseID(sec.CourseID)).Order(ent.Asc(section.FieldPosition)).IDs(ctx)
		if err != nil {
			return err
		}
		if err := renumber(ctx, tx, section.Table, placeAt(ids, id, position)); err != nil {
			return err
		}
		out, err = tx.Section.Get(ctx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("move section: %w", err)
	}
	return out, nil
}

// DeleteSection deletes a section with its lessons (and learners' progress
// on them); the counters of the course follow.
func (s *Service) DeleteSection(ctx context.Context, id uuid.UUID) error {
	v, err := s.author(ctx)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *database.Tx) error {
		sec, err := s.section(ctx, tx, v, id, "id")
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(sec.CourseID))
		if err := s.discardAttachments(ctx, tx, lesson.SectionID(sec.ID)); err != nil {
			return err
		}
		if err := tx.Section.DeleteOne(sec).Exec(ctx); err != nil {
			return err
		}
		ids, err := tx.Section.Query().Where(section.CourseID(sec.CourseID)).Order(ent.Asc(section.FieldPosition)).IDs(ctx)
		if err != nil {
			return err
		}
		if err := renumber(ctx, tx, section.Table, ids); err != nil {
			return err
		}
		return counter.SettleCourse(ctx, tx, s.now().UTC(), sec.CourseID)
	})
}

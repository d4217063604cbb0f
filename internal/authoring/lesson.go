package authoring

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

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

// LessonInput is a lesson's editable content. For updates, nil fields are
// left as they are.
type LessonInput struct {
	Title, Slug, Body *string
	Access            *lesson.Access
}

func (in *LessonInput) check(create bool) error {
	var p problems
	if create && in.Title == nil {
		p.add(apperr.UserRequired, "a lesson needs a title", "title")
	}
	p.text(in.Title, 1, 200, "title")
	if create && in.Slug == nil {
		p.add(apperr.UserRequired, "a lesson needs a slug", "slug")
	}
	if in.Slug != nil {
		*in.Slug = strings.TrimSpace(*in.Slug)
		if utf8.RuneCountInString(*in.Slug) > 80 || !slugPattern.MatchString(*in.Slug) {
			p.add(apperr.UserInvalid, "use lowercase letters, digits and single hyphens (at most 80 characters)", "slug")
		}
	}
	if in.Body != nil && utf8.RuneCountInString(*in.Body) > 200_000 {
		p.add(apperr.UserTooLong, "use at most 200,000 characters", "body")
	}
	return p.err()
}

// readingMinutes estimates reading time at 200 words a minute.
func readingMinutes(body string) int {
	words := len(strings.Fields(body))
	return (words + 199) / 200
}

// CreateLesson appends a draft lesson to a section. Its slug is unique
// within the course (SLUG_TAKEN); a course holds at most 100 lessons.
func (s *Service) CreateLesson(ctx context.Context, sectionID uuid.UUID, in LessonInput) (*ent.Lesson, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.check(true); err != nil {
		return nil, err
	}
	var out *ent.Lesson
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		sec, err := s.section(ctx, tx, v, sectionID, "sectionId")
		if err != nil {
			return err
		}
		total, err := tx.Lesson.Query().Where(lesson.CourseID(sec.CourseID)).Count(ctx)
		if err != nil {
			return err
		}
		if total >= maxLessonsPerCourse {
			return apperr.Problem(apperr.UserInvalid, fmt.Sprintf("a course holds at most %d lessons", maxLessonsPerCourse), "sectionId")
		}
		n, err := tx.Lesson.Query().Where(lesson.SectionID(sec.ID)).Count(ctx)
		if err != nil {
			return err
		}
		body := ""
		if in.Body != nil {
			body = *in.Body
		}
		tx.Touch(cache.Course(sec.CourseID))
		// The course is the section's: the database cannot tie the two
		// (no composite key), so the service does.
		out, err = tx.Lesson.Create().SetCourseID(sec.CourseID).SetSectionID(sec.ID).SetTitle(*in.Title).SetSlug(*in.Slug).
			SetBody(body).SetReadingMinutes(readingMinutes(body)).SetNillableAccess(in.Access).SetPosition(n).Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.Problem(apperr.UserSlugTaken, "another lesson of this course uses this slug", "slug")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create lesson: %w", err)
	}
	return out, nil
}

// lessonFor loads a lesson for an editor of its course.
func (s *Service) lessonFor(ctx context.Context, tx *database.Tx, v viewer.Viewer, id uuid.UUID, field ...string) (*ent.Lesson, error) {
	l, err := tx.Lesson.Query().Where(lesson.ID(id)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Problem(apperr.UserNotFound, "no such lesson", field...)
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.course(ctx, tx, v, l.CourseID, access.EditCourse, field...); err != nil {
		return nil, err
	}
	// Read again under the course lock: a concurrent move may have
	// changed its section, a concurrent delete removed it.
	l, err = tx.Lesson.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.Problem(apperr.UserNotFound, "no such lesson", field...)
	}
	return l, err
}

// UpdateLesson changes a lesson's title, slug, body or access.
func (s *Service) UpdateLesson(ctx context.Context, id uuid.UUID, in LessonInput) (*ent.Lesson, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.check(false); err != nil {
		return nil, err
	}
	var out *ent.Lesson
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		l, err := s.lessonFor(ctx, tx, v, id, "id")
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(l.CourseID))
		upd := tx.Lesson.UpdateOne(l).SetNillableTitle(in.Title).SetNillableSlug(in.Slug).SetNillableAccess(in.Access)
		if in.Body != nil {
			upd.SetBody(*in.Body).SetReadingMinutes(readingMinutes(*in.Body))
		}
		out, err = upd.Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.Problem(apperr.UserSlugTaken, "another lesson of this course uses this slug", "slug")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update lesson: %w", err)
	}
	return out, nil
}

// MoveLesson puts a lesson at position in a section of the same course
// (its own when sectionID is nil); both sections close up, so positions
// stay 0..n-1. A section of another course is NOT_FOUND.
func (s *Service) MoveLesson(ctx context.Context, id uuid.UUID, sectionID *uuid.UUID, position int) (*ent.Lesson, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Lesson
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		l, err := s.lessonFor(ctx, tx, v, id, "id")
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(l.CourseID)) // sections of the same course only
		from, to := l.SectionID, l.SectionID
		if sectionID != nil {
			to = *sectionID
			ok, err := tx.Section.Query().Where(section.ID(to), section.CourseID(l.CourseID)).Exist(ctx)
			if err != nil {
				return err
			}
			if !ok {
				return apperr.Problem(apperr.UserNotFound, "no such section in this course", "sectionId")
			}
		}
		if from != to {
			// Park the lesson past every position of its new section, then
			// renumber both sections.
			if err := tx.Lesson.UpdateOne(l).SetSectionID(to).SetPosition(positionOffset * 2).Exec(ctx); err != nil {
				return err
			}
			left, err := tx.Lesson.Query().Where(lesson.SectionID(from)).Order(ent.Asc(lesson.FieldPosition)).IDs(ctx)
			if err != nil {
				return err
			}
			if err := renumber(ctx, tx, lesson.Table, left); err != nil {
				return err
			}
		}
		ids, err := tx.Lesson.Query().Where(lesson.SectionID(to)).Order(ent.Asc(lesson.FieldPosition)).IDs(ctx)
		if err != nil {
			return err
		}
		if err := renumber(ctx, tx, lesson.Table, placeAt(ids, id, position)); err != nil {
			return err
		}
		out, err = tx.Lesson.Get(ctx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("move lesson: %w", err)
	}
	return out, nil
}

// DeleteLesson deletes a lesson (and learners' progress on it); the
// section closes up and the course's counters and enrolments follow.
func (s *Service) DeleteLesson(ctx context.Context, id uuid.UUID) error {
	v, err := s.author(ctx)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *database.Tx) error {
		l, err := s.lessonFor(ctx, tx, v, id, "id")
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(l.CourseID))
		if err := s.discardAttachments(ctx, tx, lesson.ID(l.ID)); err != nil {
			return err
		}
		if err := tx.Lesson.DeleteOne(l).Exec(ctx); err != nil {
			return err
		}
		ids, err := tx.Lesson.Query().Where(lesson.SectionID(l.SectionID)).Order(ent.Asc(lesson.FieldPosition)).IDs(ctx)
		if err != nil {
			return err
		}
		if err := renumber(ctx, tx, lesson.Table, ids); err != nil {
			return err
		}
		return counter.SettleCourse(ctx, tx, s.now().UTC(), l.CourseID)
	})
}

// PublishLesson makes a draft lesson visible to everyone who can see its
// course; the course's lesson count and its learners' progress follow.
// Publishing a published lesson is harmless.
func (s *Service) PublishLesson(ctx context.Context, id uuid.UUID) (*ent.Lesson, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Lesson
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		l, err := s.lessonFor(ctx, tx, v, id, "id")
		if err != nil {
			return err
		}
		if l.Status == lesson.StatusPUBLISHED {
			out = l
			return nil
		}
		tx.Touch(cache.Course(l.CourseID))
		now := s.now().UTC()
		if out, err = tx.Lesson.UpdateOne(l).SetStatus(lesson.StatusPUBLISHED).SetPublishedAt(now).Save(ctx); err != nil {
			return err
		}
		return counter.SettleCourse(ctx, tx, now, l.CourseID)
	})
	if err != nil {
		return nil, fmt.Errorf("publish lesson: %w", err)
	}
	return out, nil
}

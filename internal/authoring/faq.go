package authoring

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/faqentry"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/cache"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// FAQInput is a question and its Markdown answer. For updates, nil fields
// are left as they are.
type FAQInput struct {
	Question, Answer *string
}

func (in *FAQInput) check(create bool) error {
	var p problems
	if create && in.Question == nil {
		p.add(apperr.UserRequired, "an FAQ entry needs a question", "question")
	}
	if create && in.Answer == nil {
		p.add(apperr.UserRequired, "an FAQ entry needs an answer", "answer")
	}
	p.text(in.Question, 1, 300, "question")
	p.text(in.Answer, 1, 5000, "answer")
	return p.err()
}

// CreateFAQEntry appends a question and answer to a course's FAQ (at most
// 50 entries).
func (s *Service) CreateFAQEntry(ctx context.Context, courseID uuid.UUID, in FAQInput) (*ent.FAQEntry, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.check(true); err != nil {
		return nil, err
	}
	var out *ent.FAQEntry
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		if _, err := s.course(ctx, tx, v, courseID, access.EditCourse, "courseId"); err != nil {
			return err
		}
		tx.Touch(cache.Course(courseID))
		n, err := tx.FAQEntry.Query().Where(faqentry.CourseID(courseID)).Count(ctx)
		if err != nil {
			return err
		}
		if n >= maxFAQ {
			return apperr.Problem(apperr.UserInvalid, fmt.Sprintf("a course holds at most %d FAQ entries", maxFAQ), "courseId")
		}
		out, err = tx.FAQEntry.Create().SetCourseID(courseID).SetQuestion(*in.Question).SetAnswer(*in.Answer).SetPosition(n).Save(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create faq entry: %w", err)
	}
	return out, nil
}

// faqFor loads an FAQ entry for an editor of its course.
func (s *Service) faqFor(ctx context.Context, tx *database.Tx, v viewer.Viewer, id uuid.UUID, field ...string) (*ent.FAQEntry, error) {
	e, err := tx.FAQEntry.Query().Where(faqentry.ID(id)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Problem(apperr.UserNotFound, "no such FAQ entry", field...)
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.course(ctx, tx, v, e.CourseID, access.EditCourse, field...); err != nil {
		return nil, err
	}
	// Read again under the course lock (a concurrent delete or move).
	e, err = tx.FAQEntry.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.Problem(apperr.UserNotFound, "no such FAQ entry", field...)
	}
	return e, err
}

// UpdateFAQEntry changes a question or its answer.
func (s *Service) UpdateFAQEntry(ctx context.Context, id uuid.UUID, in FAQInput) (*ent.FAQEntry, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.check(false); err != nil {
		return nil, err
	}
	var out *ent.FAQEntry
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		e, err := s.faqFor(ctx, tx, v, id, "id")
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(e.CourseID))
		out, err = tx.FAQEntry.UpdateOne(e).SetNillableQuestion(in.Question).SetNillableAnswer(in.Answer).Save(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update faq entry: %w", err)
	}
	return out, nil
}

// MoveFAQEntry puts an entry at position; the others close up.
func (s *Service) MoveFAQEntry(ctx context.Context, id uuid.UUID, position int) (*ent.FAQEntry, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.FAQEntry
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		e, err := s.faqFor(ctx, tx, v, id, "id")
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(e.CourseID))
		ids, err := tx.FAQEntry.Query().Where(faqentry.CourseID(e.CourseID)).Order(ent.Asc(faqentry.FieldPosition)).IDs(ctx)
		if err != nil {
			return err
		}
		if err := renumber(ctx, tx, faqentry.Table, placeAt(ids, id, position)); err != nil {
			return err
		}
		out, err = tx.FAQEntry.Get(ctx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("move faq entry: %w", err)
	}
	return out, nil
}

// DeleteFAQEntry deletes an entry; the others close up.
func (s *Service) DeleteFAQEntry(ctx context.Context, id uuid.UUID) error {
	v, err := s.author(ctx)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *database.Tx) error {
		e, err := s.faqFor(ctx, tx, v, id, "id")
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(e.CourseID))
		if err := tx.FAQEntry.DeleteOne(e).Exec(ctx); err != nil {
			return err
		}
		ids, err := tx.FAQEntry.Query().Where(faqentry.CourseID(e.CourseID)).Order(ent.Asc(faqentry.FieldPosition)).IDs(ctx)
		if err != nil {
			return err
		}
		return renumber(ctx, tx, faqentry.Table, ids)
	})
}

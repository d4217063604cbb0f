package authoring

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/asset"
	"lectern/ent/predicate"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/cache"
	"lectern/internal/database"
)

// maxAttachments bounds the files of one lesson.
const maxAttachments = 20

// SetCourseCover makes the caller's completed COURSE_COVER upload the
// course's cover; the cover it replaces is deleted. Course staff who may
// edit the course only.
func (s *Service) SetCourseCover(ctx context.Context, courseID, uploadID uuid.UUID) (*ent.Course, error) {
	return s.changeCover(ctx, courseID, &uploadID)
}

// RemoveCourseCover deletes the course's cover, if any.
func (s *Service) RemoveCourseCover(ctx context.Context, courseID uuid.UUID) (*ent.Course, error) {
	return s.changeCover(ctx, courseID, nil)
}

func (s *Service) changeCover(ctx context.Context, courseID uuid.UUID, uploadID *uuid.UUID) (*ent.Course, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Course
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		c, err := s.course(ctx, tx, v, courseID, access.EditCourse, "courseId")
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(courseID))
		if uploadID == nil && c.CoverID == nil || uploadID != nil && c.CoverID != nil && *c.CoverID == *uploadID {
			out = c // nothing to do: no cover to remove, or already the cover
			return nil
		}
		var next *ent.Asset
		if uploadID != nil {
			if next, err = s.files.Claim(ctx, tx, v.UserID, *uploadID, asset.PurposeCOURSE_COVER, "uploadId"); err != nil {
				return err
			}
			if err := tx.Asset.UpdateOne(next).SetCourseID(courseID).SetAttachedAt(s.now().UTC()).Exec(ctx); err != nil {
				return err
			}
		}
		if c.CoverID != nil {
			old, err := tx.Asset.Get(ctx, *c.CoverID)
			if err != nil {
				return err
			}
			if err := s.files.Discard(ctx, tx, old); err != nil {
				return err
			}
		}
		upd := tx.Course.UpdateOneID(courseID).AddVersion(1)
		if next != nil {
			upd.SetCoverID(next.ID)
		} else {
			upd.ClearCover()
		}
		out, err = upd.Save(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set course cover: %w", err)
	}
	return out, nil
}

// AddLessonAttachment attaches the caller's completed LESSON_ATTACHMENT
// upload to a lesson under title (1–200 characters), after the lesson's
// other attachments (at most 20).
func (s *Service) AddLessonAttachment(ctx context.Context, lessonID, uploadID uuid.UUID, title string) (*ent.Lesson, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	title = strings.TrimSpace(title)
	if n := utf8.RuneCountInString(title); !utf8.ValidString(title) || n < 1 || n > 200 || strings.ContainsFunc(title, isControl) {
		return nil, apperr.Problem(apperr.UserInvalid, "a title of 1 to 200 characters, without control characters", "title")
	}
	var out *ent.Lesson
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		l, err := s.lessonFor(ctx, tx, v, lessonID, "lessonId")
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(l.CourseID))
		n, err := tx.Asset.Query().Where(asset.LessonID(l.ID)).Count(ctx)
		if err != nil {
			return err
		}
		if n >= maxAttachments {
			return apperr.Problem(apperr.UserInvalid, fmt.Sprintf("a lesson holds at most %d attachments", maxAttachments), "lessonId")
		}
		a, err := s.files.Claim(ctx, tx, v.UserID, uploadID, asset.PurposeLESSON_ATTACHMENT, "uploadId")
		if err != nil {
			return err
		}
		err = tx.Asset.UpdateOne(a).SetCourseID(l.CourseID).SetLessonID(l.ID).SetTitle(title).
			SetAttachedAt(s.now().UTC()).Exec(ctx)
		out = l
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("add lesson attachment: %w", err)
	}
	return out, nil
}

// RemoveLessonAttachment deletes an attachment, its file after commit.
func (s *Service) RemoveLessonAttachment(ctx context.Context, id uuid.UUID) (*ent.Lesson, error) {
	v, err := s.author(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Lesson
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		a, err := tx.Asset.Query().Where(asset.ID(id), asset.LessonIDNotNil()).Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.Problem(apperr.UserNotFound, "no such attachment", "id")
		}
		if err != nil {
			return err
		}
		l, err := s.lessonFor(ctx, tx, v, *a.LessonID, "id")
		if err != nil {
			return err
		}
		tx.Touch(cache.Course(l.CourseID))
		// Read again under the course lock: a concurrent remove.
		a, err = tx.Asset.Query().Where(asset.ID(id), asset.LessonID(l.ID)).Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.Problem(apperr.UserNotFound, "no such attachment", "id")
		}
		if err != nil {
			return err
		}
		out = l
		return s.files.Discard(ctx, tx, a)
	})
	if err != nil {
		return nil, fmt.Errorf("remove lesson attachment: %w", err)
	}
	return out, nil
}

// discardAttachments deletes the attachments of the lessons where holds
// (one lesson, a section's lessons) before they go: their rows would go by
// cascade, but their files need a job. The caller, on the course's staff,
// sees every attachment of it.
func (s *Service) discardAttachments(ctx context.Context, tx *database.Tx, where predicate.Lesson) error {
	as, err := tx.Asset.Query().Where(asset.HasLessonWith(where)).All(ctx)
	if err != nil {
		return err
	}
	return s.files.Discard(ctx, tx, as...)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

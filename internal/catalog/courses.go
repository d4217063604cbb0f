package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	"golang.org/x/text/language"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/lesson"
	"lectern/ent/predicate"
	"lectern/ent/tag"
	"lectern/internal/apperr"
	"lectern/internal/cache"
	"lectern/internal/loader"
)

// CourseFilter is the allowlist of course filters. Every field maps to an
// indexed column; nothing else can be filtered.
type CourseFilter struct {
	Status          *course.Status
	Level           *course.Level
	Language        *string
	Tag             *string
	PublishedAfter  *time.Time
	PublishedBefore *time.Time
	Search          *string
}

// Page is a Relay pagination request.
type Page struct {
	After  *entgql.Cursor[uuid.UUID]
	First  *int
	Before *entgql.Cursor[uuid.UUID]
	Last   *int
}

// Courses returns a page of the courses visible to the caller that match f,
// in the given order (ties broken by ID). It fails with BAD_USER_INPUT for
// an invalid filter.
func (s *Service) Courses(ctx context.Context, f CourseFilter, page Page, order []*ent.CourseOrder) (*ent.CourseConnection, error) {
	preds, err := s.coursePredicates(f)
	if err != nil {
		return nil, err
	}
	q := s.client.Course.Query().Where(preds...)
	selectCourse(ctx, q, "edges", "node")
	conn, err := q.Paginate(withLessonColumns(ctx), page.After, page.First, page.Before, page.Last, ent.WithCourseOrder(order))
	if err != nil {
		return nil, fmt.Errorf("list courses: %w", err)
	}
	return conn, nil
}

func (s *Service) coursePredicates(f CourseFilter) ([]predicate.Course, error) {
	var preds []predicate.Course
	if f.Status != nil {
		preds = append(preds, course.StatusEQ(*f.Status))
	}
	if f.Level != nil {
		preds = append(preds, levelIs(s.dialect, *f.Level))
	}
	if f.Language != nil {
		tag, err := language.Parse(*f.Language)
		if err != nil {
			return nil, apperr.Newf(apperr.BadUserInput, "where.language: %q is not a BCP 47 language tag", truncate(*f.Language, 40))
		}
		preds = append(preds, course.Language(tag.String()))
	}
	if f.Tag != nil {
		preds = append(preds, course.HasTagsWith(tag.Slug(*f.Tag)))
	}
	if f.PublishedAfter != nil {
		preds = append(preds, course.PublishedAtGTE(*f.PublishedAfter))
	}
	if f.PublishedBefore != nil {
		preds = append(preds, course.PublishedAtLT(*f.PublishedBefore))
	}
	if f.Search != nil {
		term := strings.TrimSpace(*f.Search)
		if n := utf8.RuneCountInString(term); n < MinSearchLen || n > MaxSearchLen {
			return nil, apperr.Newf(apperr.BadUserInput, "where.search: must be %d to %d characters", MinSearchLen, MaxSearchLen)
		}
		preds = append(preds, search(s.dialect, term))
	}
	return preds, nil
}

// levelIs is "the course has level l". On SQLite the column is written
// as +level, which keeps the (status, level) index out of an ordered
// page's plan: SQLite's planner preferred it, and then read and sorted
// every course of the level (3.8 ms for 591 of 2,000 courses, each row
// read in full) where walking the page's sort index reads about the page
// (0.1 ms). A level holds a third of the catalogue, too many for its index
// to pay for a page; counts still scan it as a covering index (0.2 ms).
// PostgreSQL weighs the two plans from its statistics and needs no help.
func levelIs(dia string, l course.Level) predicate.Course {
	if dia == dialect.Postgres {
		return course.LevelEQ(l)
	}
	return predicate.Course(func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("+" + s.C(course.FieldLevel) + " = ").Arg(string(l))
		}))
	})
}

// Bounds of a text search term, in characters.
const (
	MinSearchLen = 2
	MaxSearchLen = 100
)

// Course returns the course with slug, or nil when there is none the caller
// may see.
func (s *Service) Course(ctx context.Context, slug string) (*ent.Course, error) {
	q := s.client.Course.Query().Where(course.Slug(slug))
	selectCourse(ctx, q)
	prime := loader.FromContext(ctx).JoinViewerEnrollment(ctx, q)
	c, err := q.CollectFields(ctx)
	if err != nil {
		return nil, fmt.Errorf("course %q: %w", slug, err)
	}
	found, err := c.Only(cache.Keyed(withLessonColumns(ctx)))
	if found != nil && prime != nil {
		if err := prime(found); err != nil {
			return nil, fmt.Errorf("course %q: %w", slug, err)
		}
	}
	return lookedUp(ctx, found, err)
}

// Lesson returns the lesson lessonSlug of course courseSlug, or nil when
// there is none the caller may see.
func (s *Service) Lesson(ctx context.Context, courseSlug, lessonSlug string) (*ent.Lesson, error) {
	q, err := s.client.Lesson.Query().
		Where(lesson.Slug(lessonSlug), lesson.HasCourseWith(course.Slug(courseSlug))).
		CollectFields(ctx)
	if err != nil {
		return nil, fmt.Errorf("lesson %q/%q: %w", courseSlug, lessonSlug, err)
	}
	found, err := q.Only(cache.Keyed(withLessonColumns(ctx)))
	return lookedUp(ctx, found, err)
}

// Tags returns a page of all tags.
func (s *Service) Tags(ctx context.Context, page Page, order *ent.TagOrder) (*ent.TagConnection, error) {
	conn, err := s.client.Tag.Query().
		Paginate(ctx, page.After, page.First, page.Before, page.Last, ent.WithTagOrder(order))
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	return conn, nil
}

// lookedUp is onlyOrNil for a lookup by key made with cache.Keyed: the
// row found tags the response itself; finding none depends on every
// course, so the response is tagged with the whole catalogue.
func lookedUp[T any](ctx context.Context, v *T, err error) (*T, error) {
	v, err = onlyOrNil(v, err)
	if v == nil && err == nil {
		cache.Record(ctx, cache.Catalogue)
	}
	return v, err
}

// onlyOrNil maps "no such row" to a nil result, which GraphQL shows as null.
func onlyOrNil[T any](v *T, err error) (*T, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return v, err
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

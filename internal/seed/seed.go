// Package seed fills a database with the demo catalogue (dev) or with a
// deterministic synthetic dataset of any size (benchmarks).
package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/coursemember"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/ent/user"
	"lectern/internal/counter"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// Demo loads the demo catalogue into an empty database in one transaction.
// It reports false, doing nothing, when the database already has users (so a
// restart never duplicates or overwrites anything).
func Demo(ctx context.Context, client *ent.Client, now time.Time) (bool, error) {
	ctx = viewer.SystemContext(ctx)
	n, err := client.User.Query().Count(ctx)
	if err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	err = database.InTx(ctx, client, func(tx *ent.Tx) error {
		return loadDemo(ctx, tx, now)
	})
	if err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	return true, nil
}

// demoLoader carries the IDs created so far, by natural key.
type demoLoader struct {
	tx      *ent.Tx
	now     time.Time
	users   map[string]uuid.UUID // by email
	tags    map[string]uuid.UUID // by slug
	courses map[string]uuid.UUID // by slug
	lessons map[string][]uuid.UUID
}

func loadDemo(ctx context.Context, tx *ent.Tx, now time.Time) error {
	l := &demoLoader{tx: tx, now: now, users: map[string]uuid.UUID{}, tags: map[string]uuid.UUID{},
		courses: map[string]uuid.UUID{}, lessons: map[string][]uuid.UUID{}}
	steps := []func(context.Context) error{l.loadUsers, l.loadTags, l.loadCourses, l.loadEnrollments, l.loadReviews}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return counter.RecountCourses(ctx, tx)
}

func (l *demoLoader) loadUsers(ctx context.Context) error {
	for _, u := range demoUsers {
		created, err := l.tx.User.Create().SetEmail(u.Email).SetDisplayName(u.DisplayName).
			SetRole(user.Role(u.Role)).SetBio(u.Bio).SetEmailVerifiedAt(l.now).Save(ctx)
		if err != nil {
			return fmt.Errorf("user %s: %w", u.Email, err)
		}
		l.users[u.Email] = created.ID
	}
	return nil
}

func (l *demoLoader) loadTags(ctx context.Context) error {
	for _, t := range demoTags {
		created, err := l.tx.Tag.Create().SetSlug(t.Slug).SetName(t.Name).Save(ctx)
		if err != nil {
			return fmt.Errorf("tag %s: %w", t.Slug, err)
		}
		l.tags[t.Slug] = created.ID
	}
	return nil
}

func (l *demoLoader) loadCourses(ctx context.Context) error {
	for _, c := range demoCourses {
		if err := l.loadCourse(ctx, c); err != nil {
			return fmt.Errorf("course %s: %w", c.Slug, err)
		}
	}
	return nil
}

func (l *demoLoader) loadCourse(ctx context.Context, c demoCourse) error {
	published := l.now.AddDate(0, 0, -c.PublishedDaysAgo)
	create := l.tx.Course.Create().SetSlug(c.Slug).SetTitle(c.Title).SetSummary(c.Summary).
		SetDescription(c.Description).SetLevel(course.Level(c.Level)).SetLanguage(c.Language).
		SetStatus(course.Status(c.Status)).SetRequirements(c.Requirements).SetTakeaways(c.Takeaways).
		SetCreatedAt(published.AddDate(0, 0, -30))
	if c.Status != string(course.StatusDRAFT) {
		create.SetPublishedAt(published)
	}
	for _, slug := range c.Tags {
		create.AddTagIDs(l.tags[slug])
	}
	created, err := create.Save(ctx)
	if err != nil {
		return err
	}
	l.courses[c.Slug] = created.ID
	if err := l.loadStaff(ctx, created.ID, c); err != nil {
		return err
	}
	if err := l.loadSections(ctx, created.ID, c, published); err != nil {
		return err
	}
	for i, f := range c.FAQ {
		if err := l.tx.FAQEntry.Create().SetCourseID(created.ID).SetQuestion(f.Question).
			SetAnswer(f.Answer).SetPosition(i).Exec(ctx); err != nil {
			return fmt.Errorf("faq %d: %w", i, err)
		}
	}
	return nil
}

func (l *demoLoader) loadStaff(ctx context.Context, courseID uuid.UUID, c demoCourse) error {
	add := func(email string, role coursemember.Role) error {
		return l.tx.CourseMember.Create().SetCourseID(courseID).SetUserID(l.users[email]).SetRole(role).Exec(ctx)
	}
	if err := add(c.Owner, coursemember.RoleOWNER); err != nil {
		return fmt.Errorf("owner: %w", err)
	}
	for _, email := range c.Instructors {
		if err := add(email, coursemember.RoleINSTRUCTOR); err != nil {
			return fmt.Errorf("instructor %s: %w", email, err)
		}
	}
	for _, email := range c.Assistants {
		if err := add(email, coursemember.RoleASSISTANT); err != nil {
			return fmt.Errorf("assistant %s: %w", email, err)
		}
	}
	return nil
}

func (l *demoLoader) loadSections(ctx context.Context, courseID uuid.UUID, c demoCourse, published time.Time) error {
	for i, s := range c.Sections {
		section, err := l.tx.Section.Create().SetCourseID(courseID).SetTitle(s.Title).SetPosition(i).Save(ctx)
		if err != nil {
			return fmt.Errorf("section %q: %w", s.Title, err)
		}
		for j, d := range s.Lessons {
			create := l.tx.Lesson.Create().SetCourseID(courseID).SetSectionID(section.ID).
				SetSlug(d.Slug).SetTitle(d.Title).SetBody(d.Body).SetReadingMinutes(d.ReadingMinutes).
				SetPosition(j).SetAccess(lesson.Access(d.Access))
			if !d.Draft {
				create.SetStatus(lesson.StatusPUBLISHED).SetPublishedAt(published)
			}
			created, err := create.Save(ctx)
			if err != nil {
				return fmt.Errorf("lesson %s: %w", d.Slug, err)
			}
			if !d.Draft {
				l.lessons[c.Slug] = append(l.lessons[c.Slug], created.ID)
			}
		}
	}
	return nil
}

func (l *demoLoader) loadEnrollments(ctx context.Context) error {
	for i, e := range demoEnrollments {
		published := l.lessons[e.Course]
		enrolledAt := l.now.AddDate(0, 0, -(i + 1))
		create := l.tx.Enrollment.Create().SetUserID(l.users[e.Learner]).
			SetCourseID(l.courses[e.Course]).SetCreatedAt(enrolledAt)
		if len(published) > 0 && e.CompletedLessons == len(published) {
			create.SetStatus(enrollment.StatusCOMPLETED).SetCompletedAt(enrolledAt.Add(72 * time.Hour))
		}
		created, err := create.Save(ctx)
		if err != nil {
			return fmt.Errorf("enrolment %s in %s: %w", e.Learner, e.Course, err)
		}
		for k, lessonID := range published[:e.CompletedLessons] {
			if err := l.tx.LessonProgress.Create().SetEnrollmentID(created.ID).SetLessonID(lessonID).
				SetCompletedAt(enrolledAt.Add(time.Duration(k+1) * time.Hour)).Exec(ctx); err != nil {
				return fmt.Errorf("progress of %s: %w", e.Learner, err)
			}
		}
	}
	return nil
}

func (l *demoLoader) loadReviews(ctx context.Context) error {
	for i, r := range demoReviews {
		if err := l.tx.Review.Create().SetUserID(l.users[r.Author]).SetCourseID(l.courses[r.Course]).
			SetRating(r.Rating).SetBody(r.Body).SetCreatedAt(l.now.AddDate(0, 0, -i)).Exec(ctx); err != nil {
			return fmt.Errorf("review by %s of %s: %w", r.Author, r.Course, err)
		}
	}
	return nil
}

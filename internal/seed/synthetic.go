package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
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

// Synthetic adds n generated courses, with their instructors, sections,
// lessons, learners, enrolments and reviews, for benchmarks and load tests.
// The same n and seed give the same data (IDs included) on every run; "now"
// anchors the generated timestamps. Emails and slugs carry the seed, so one
// database can hold datasets of several seeds.
func Synthetic(ctx context.Context, client *ent.Client, n int, seed uint64, now time.Time) error {
	if n < 1 || n > 100_000 {
		return fmt.Errorf("seed synthetic: course count %d outside 1..100000", n)
	}
	ctx = viewer.SystemContext(ctx)
	g := &generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), seed: seed, now: now}
	return database.InTx(ctx, client, func(tx *ent.Tx) error {
		if err := g.people(ctx, tx, n); err != nil {
			return err
		}
		if err := g.tagSet(ctx, tx); err != nil {
			return err
		}
		for start := 0; start < n; start += courseBatch {
			if err := g.courses(ctx, tx, start, min(start+courseBatch, n)); err != nil {
				return err
			}
		}
		return counter.RecountCourses(ctx, tx)
	})
}

// Sizes of the synthetic dataset, per course unless stated.
const (
	courseBatch       = 50
	bulkSize          = 400 // rows per INSERT, well inside both dialects' parameter limits
	learnersPerCourse = 4   // learners in the whole dataset, per course
	maxEnrollments    = 25
	tagCount          = 30
)

type generator struct {
	rng         *rand.Rand
	seed        uint64
	now         time.Time
	instructors []uuid.UUID
	learners    []uuid.UUID
	tags        []uuid.UUID
}

// id draws a version-4 UUID from the generator, so IDs are reproducible.
func (g *generator) id() uuid.UUID {
	var u uuid.UUID
	for i := 0; i < 16; i += 8 {
		v := g.rng.Uint64()
		for j := range 8 {
			u[i+j] = byte(v >> (8 * j))
		}
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func (g *generator) people(ctx context.Context, tx *ent.Tx, n int) error {
	instructors := max(1, n/10)
	learners := n * learnersPerCourse
	builders := make([]*ent.UserCreate, 0, instructors+learners)
	for i := range instructors + learners {
		role, kind := user.RoleINSTRUCTOR, "instructor"
		if i >= instructors {
			role, kind = user.RoleLEARNER, "learner"
		}
		id := g.id()
		builders = append(builders, tx.User.Create().SetID(id).SetRole(role).
			SetEmail(fmt.Sprintf("%s-%d-%d@synthetic.example.com", kind, g.seed, i)).
			SetDisplayName(g.name()).SetEmailVerifiedAt(g.now))
		if role == user.RoleINSTRUCTOR {
			g.instructors = append(g.instructors, id)
		} else {
			g.learners = append(g.learners, id)
		}
	}
	return bulk(ctx, builders, func(b []*ent.UserCreate) error { return tx.User.CreateBulk(b...).Exec(ctx) })
}

func (g *generator) tagSet(ctx context.Context, tx *ent.Tx) error {
	builders := make([]*ent.TagCreate, tagCount)
	for i := range builders {
		id := g.id()
		g.tags = append(g.tags, id)
		word := pick(g.rng, topics)
		builders[i] = tx.Tag.Create().SetID(id).SetSlug(fmt.Sprintf("%s-%d-%d", word, g.seed, i)).
			SetName(fmt.Sprintf("%s %d", strings.ToUpper(word[:1])+word[1:], i))
	}
	return tx.Tag.CreateBulk(builders...).Exec(ctx)
}

// batch collects the rows of a group of courses, inserted table by table.
type batch struct {
	courses     []*ent.CourseCreate
	members     []*ent.CourseMemberCreate
	sections    []*ent.SectionCreate
	lessons     []*ent.LessonCreate
	enrollments []*ent.EnrollmentCreate
	reviews     []*ent.ReviewCreate
}

func (g *generator) courses(ctx context.Context, tx *ent.Tx, from, to int) error {
	b := &batch{}
	for i := from; i < to; i++ {
		g.course(tx, b, i)
	}
	steps := []func() error{
		func() error {
			return bulk(ctx, b.courses, func(c []*ent.CourseCreate) error { return tx.Course.CreateBulk(c...).Exec(ctx) })
		},
		func() error {
			return bulk(ctx, b.members, func(c []*ent.CourseMemberCreate) error { return tx.CourseMember.CreateBulk(c...).Exec(ctx) })
		},
		func() error {
			return bulk(ctx, b.sections, func(c []*ent.SectionCreate) error { return tx.Section.CreateBulk(c...).Exec(ctx) })
		},
		func() error {
			return bulk(ctx, b.lessons, func(c []*ent.LessonCreate) error { return tx.Lesson.CreateBulk(c...).Exec(ctx) })
		},
		func() error {
			return bulk(ctx, b.enrollments, func(c []*ent.EnrollmentCreate) error { return tx.Enrollment.CreateBulk(c...).Exec(ctx) })
		},
		func() error {
			return bulk(ctx, b.reviews, func(c []*ent.ReviewCreate) error { return tx.Review.CreateBulk(c...).Exec(ctx) })
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("seed synthetic courses %d..%d: %w", from, to, err)
		}
	}
	return nil
}

func (g *generator) course(tx *ent.Tx, b *batch, i int) {
	id := g.id()
	status := course.StatusPUBLISHED
	switch r := g.rng.IntN(100); {
	case r < 7:
		status = course.StatusDRAFT
	case r < 10:
		status = course.StatusARCHIVED
	}
	title := g.title()
	published := g.now.Add(-time.Duration(g.rng.IntN(3*365*24)) * time.Hour)
	create := tx.Course.Create().SetID(id).SetStatus(status).SetTitle(title).
		SetSlug(fmt.Sprintf("%s-%d-%d", slugify(title), g.seed, i)).
		SetSummary(g.sentence(18)).SetDescription(g.paragraphs(3)).
		SetLevel(pick(g.rng, []course.Level{course.LevelBEGINNER, course.LevelINTERMEDIATE, course.LevelADVANCED})).
		SetLanguage(pick(g.rng, languages)).SetCreatedAt(published.AddDate(0, 0, -14)).
		SetRequirements([]string{g.sentence(8), g.sentence(8)}).SetTakeaways([]string{g.sentence(9), g.sentence(9), g.sentence(9)})
	if status != course.StatusDRAFT {
		create.SetPublishedAt(published)
	}
	for _, t := range g.rng.Perm(len(g.tags))[:1+g.rng.IntN(4)] {
		create.AddTagIDs(g.tags[t])
	}
	b.courses = append(b.courses, create)
	owner := pick(g.rng, g.instructors)
	b.members = append(b.members, tx.CourseMember.Create().SetCourseID(id).SetUserID(owner).SetRole(coursemember.RoleOWNER))
	if co := pick(g.rng, g.instructors); co != owner {
		b.members = append(b.members, tx.CourseMember.Create().SetCourseID(id).SetUserID(co).SetRole(coursemember.RoleINSTRUCTOR))
	}
	g.content(tx, b, id, published)
	if status != course.StatusDRAFT {
		g.learning(tx, b, id, published)
	}
}

func (g *generator) content(tx *ent.Tx, b *batch, courseID uuid.UUID, published time.Time) {
	lessonNo := 0
	for s := range 3 + g.rng.IntN(4) {
		sectionID := g.id()
		b.sections = append(b.sections, tx.Section.Create().SetID(sectionID).SetCourseID(courseID).
			SetTitle(g.title()).SetPosition(s))
		for p := range 3 + g.rng.IntN(6) {
			lessonNo++
			create := tx.Lesson.Create().SetID(g.id()).SetCourseID(courseID).SetSectionID(sectionID).
				SetSlug(fmt.Sprintf("lesson-%d", lessonNo)).SetTitle(g.title()).SetBody(g.paragraphs(4)).
				SetReadingMinutes(2 + g.rng.IntN(9)).SetPosition(p).
				SetAccess(pick(g.rng, []lesson.Access{lesson.AccessPUBLIC, lesson.AccessENROLLED, lesson.AccessENROLLED}))
			if g.rng.IntN(10) > 0 {
				create.SetStatus(lesson.StatusPUBLISHED).SetPublishedAt(published)
			}
			b.lessons = append(b.lessons, create)
		}
	}
}

func (g *generator) learning(tx *ent.Tx, b *batch, courseID uuid.UUID, published time.Time) {
	for _, k := range g.rng.Perm(len(g.learners))[:g.rng.IntN(min(maxEnrollments, len(g.learners))+1)] {
		at := published.Add(time.Duration(1+g.rng.IntN(24*90)) * time.Hour)
		b.enrollments = append(b.enrollments, tx.Enrollment.Create().SetID(g.id()).SetCourseID(courseID).
			SetUserID(g.learners[k]).SetStatus(enrollment.StatusACTIVE).SetCreatedAt(at))
		if g.rng.IntN(10) < 4 {
			b.reviews = append(b.reviews, tx.Review.Create().SetID(g.id()).SetCourseID(courseID).
				SetUserID(g.learners[k]).SetRating(1+g.rng.IntN(5)).SetBody(g.sentence(25)).
				SetCreatedAt(at.Add(240*time.Hour)))
		}
	}
}

// bulk inserts builders in chunks of bulkSize.
func bulk[T any](_ context.Context, builders []T, insert func([]T) error) error {
	for start := 0; start < len(builders); start += bulkSize {
		if err := insert(builders[start:min(start+bulkSize, len(builders))]); err != nil {
			return err
		}
	}
	return nil
}

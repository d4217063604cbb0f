package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/apitoken"
	"lectern/ent/asset"
	"lectern/ent/auditevent"
	"lectern/ent/course"
	"lectern/ent/coursemember"
	"lectern/ent/enrollment"
	entexport "lectern/ent/export"
	"lectern/ent/lesson"
	"lectern/ent/lessonprogress"
	"lectern/ent/review"
	"lectern/ent/session"
)

// myData writes everything Lectern holds about one user as one JSON
// object: the profile, then one array per kind of record, each read in
// pages in ID order. Every record is copied field by field into a view
// below that names what may go out, so a column added to the schema later
// (a secret, say) stays out until someone decides otherwise; password and
// TOTP material, token, session and recovery code hashes never appear.
type myData struct {
	db       *ent.Client
	userID   uuid.UUID
	now      func() time.Time
	pageSize int
}

// myDataFormat names the file's layout, for whoever reads it back.
const myDataFormat = "lectern-my-data"

// A section is one array of the file.
type section struct {
	name  string
	count func(ctx context.Context) (int, error)
	// page writes the records after the given ID (at most n), returning
	// how many it wrote and the last one's ID.
	page func(ctx context.Context, j *jsonWriter, after uuid.UUID, n int) (int, uuid.UUID, error)
}

// sectionOf builds a section from a query of its records.
func sectionOf[T any](name string, count func(context.Context) (int, error),
	fetch func(ctx context.Context, after uuid.UUID, n int) ([]T, error), id func(T) uuid.UUID, view func(T) any) section {
	return section{name: name, count: count, page: func(ctx context.Context, j *jsonWriter, after uuid.UUID, n int) (int, uuid.UUID, error) {
		rows, err := fetch(ctx, after, n)
		if err != nil {
			return 0, after, fmt.Errorf("read %s: %w", name, err)
		}
		for _, r := range rows {
			j.item(view(r))
			after = id(r)
		}
		return len(rows), after, j.err
	}}
}

func (m *myData) total(ctx context.Context) (int, error) {
	total := 1 // the profile
	for _, s := range m.sections() {
		n, err := s.count(ctx)
		if err != nil {
			return 0, fmt.Errorf("count %s: %w", s.name, err)
		}
		total += n
	}
	return total, nil
}

func (m *myData) write(ctx context.Context, w io.Writer, page func(rows int) error) (int, error) {
	u, err := m.db.User.Get(ctx, m.userID)
	if err != nil {
		return 0, fmt.Errorf("read profile: %w", err)
	}
	j := &jsonWriter{w: bufio.NewWriterSize(w, 32<<10)}
	j.raw(`{"format":"` + myDataFormat + `","version":1,"exported_at":`)
	j.value(m.now().UTC())
	j.raw(",\n\"profile\":")
	j.value(profileOf(u))
	rows := 1
	for _, s := range m.sections() {
		j.raw(",\n" + strconv.Quote(s.name) + ":[")
		j.first = true
		after := uuid.Nil
		for {
			n, last, err := s.page(ctx, j, after, m.pageSize)
			if err != nil {
				return rows, err
			}
			rows += n
			if n > 0 {
				if err := page(rows); err != nil {
					return rows, err
				}
			}
			if n < m.pageSize {
				break
			}
			after = last
		}
		j.raw("]")
	}
	j.raw("}\n")
	if j.err == nil {
		j.err = j.w.Flush()
	}
	return rows, j.err
}

// sections lists the file's arrays in the order they appear.
func (m *myData) sections() []section {
	db, uid := m.db, m.userID
	withCourse := func(q *ent.CourseQuery) { q.Select(course.FieldID, course.FieldSlug, course.FieldTitle) }
	roles := func() *ent.CourseMemberQuery { return db.CourseMember.Query().Where(coursemember.UserID(uid)) }
	enrolments := func() *ent.EnrollmentQuery { return db.Enrollment.Query().Where(enrollment.UserID(uid)) }
	progress := func() *ent.LessonProgressQuery {
		return db.LessonProgress.Query().Where(lessonprogress.HasEnrollmentWith(enrollment.UserID(uid)))
	}
	reviews := func() *ent.ReviewQuery { return db.Review.Query().Where(review.UserID(uid)) }
	sessions := func() *ent.SessionQuery { return db.Session.Query().Where(session.UserID(uid)) }
	tokens := func() *ent.APITokenQuery { return db.APIToken.Query().Where(apitoken.UserID(uid)) }
	uploads := func() *ent.AssetQuery { return db.Asset.Query().Where(asset.OwnerID(uid)) }
	exports := func() *ent.ExportQuery { return db.Export.Query().Where(entexport.UserID(uid)) }
	events := func() *ent.AuditEventQuery {
		return db.AuditEvent.Query().Where(auditevent.Or(auditevent.ActorID(uid),
			auditevent.And(auditevent.TargetType("User"), auditevent.TargetID(uid.String()))))
	}
	return []section{
		sectionOf("course_roles", roles().Count,
			func(ctx context.Context, after uuid.UUID, n int) ([]*ent.CourseMember, error) {
				return roles().Where(coursemember.IDGT(after)).Order(coursemember.ByID()).Limit(n).WithCourse(withCourse).All(ctx)
			}, func(r *ent.CourseMember) uuid.UUID { return r.ID }, roleOf),
		sectionOf("enrollments", enrolments().Count,
			func(ctx context.Context, after uuid.UUID, n int) ([]*ent.Enrollment, error) {
				return enrolments().Where(enrollment.IDGT(after)).Order(enrollment.ByID()).Limit(n).WithCourse(withCourse).All(ctx)
			}, func(r *ent.Enrollment) uuid.UUID { return r.ID }, enrolmentOf),
		sectionOf("lesson_progress", progress().Count,
			func(ctx context.Context, after uuid.UUID, n int) ([]*ent.LessonProgress, error) {
				return progress().Where(lessonprogress.IDGT(after)).Order(lessonprogress.ByID()).Limit(n).
					WithLesson(func(q *ent.LessonQuery) { q.Select(lesson.FieldID, lesson.FieldSlug, lesson.FieldTitle) }).All(ctx)
			}, func(r *ent.LessonProgress) uuid.UUID { return r.ID }, progressOf),
		sectionOf("reviews", reviews().Count,
			func(ctx context.Context, after uuid.UUID, n int) ([]*ent.Review, error) {
				return reviews().Where(review.IDGT(after)).Order(review.ByID()).Limit(n).WithCourse(withCourse).All(ctx)
			}, func(r *ent.Review) uuid.UUID { return r.ID }, reviewOf),
		sectionOf("sessions", sessions().Count,
			func(ctx context.Context, after uuid.UUID, n int) ([]*ent.Session, error) {
				return sessions().Where(session.IDGT(after)).Order(session.ByID()).Limit(n).All(ctx)
			}, func(r *ent.Session) uuid.UUID { return r.ID }, sessionOf),
		sectionOf("api_tokens", tokens().Count,
			func(ctx context.Context, after uuid.UUID, n int) ([]*ent.APIToken, error) {
				return tokens().Where(apitoken.IDGT(after)).Order(apitoken.ByID()).Limit(n).All(ctx)
			}, func(r *ent.APIToken) uuid.UUID { return r.ID }, tokenOf),
		sectionOf("uploads", uploads().Count,
			func(ctx context.Context, after uuid.UUID, n int) ([]*ent.Asset, error) {
				return uploads().Where(asset.IDGT(after)).Order(asset.ByID()).Limit(n).All(ctx)
			}, func(r *ent.Asset) uuid.UUID { return r.ID }, uploadOf),
		sectionOf("exports", exports().Count,
			func(ctx context.Context, after uuid.UUID, n int) ([]*ent.Export, error) {
				return exports().Where(entexport.IDGT(after)).Order(entexport.ByID()).Limit(n).All(ctx)
			}, func(r *ent.Export) uuid.UUID { return r.ID }, exportOf),
		sectionOf("audit_events", events().Count,
			func(ctx context.Context, after uuid.UUID, n int) ([]*ent.AuditEvent, error) {
				return events().Where(auditevent.IDGT(after)).Order(auditevent.ByID()).Limit(n).All(ctx)
			}, func(r *ent.AuditEvent) uuid.UUID { return r.ID }, func(e *ent.AuditEvent) any { return eventOf(e, uid) }),
	}
}

// jsonWriter writes JSON text piece by piece, keeping the first error.
type jsonWriter struct {
	w   *bufio.Writer
	err error
	// first says the next item opens its array (no comma before it).
	first bool
}

func (j *jsonWriter) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

func (j *jsonWriter) value(v any) {
	if j.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(b)
}

// item writes v as the next element of the open array, one per line.
func (j *jsonWriter) item(v any) {
	if j.first {
		j.raw("\n")
		j.first = false
	} else {
		j.raw(",\n")
	}
	j.value(v)
}

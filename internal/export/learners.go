package export

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/coursemember"
	entuser "lectern/ent/user"
)

// learners writes a course's enrolments as CSV (RFC 4180, with a header
// row), one row per enrolment in any status, in enrolment ID order.
type learners struct {
	db       *sql.DB
	courseID uuid.UUID
	// lessonCount is the course's published lessons, which progress is a
	// share of.
	lessonCount int
	// email adds the learners' addresses: for the course's owner and
	// administrators only.
	email    bool
	pageSize int
}

// learnersOf returns the source of e's file, or errAccessRevoked when its
// requester u no longer teaches the course (as OWNER or INSTRUCTOR) and is
// no administrator. Who may see the addresses is decided now too: the
// owner and administrators.
func (s *Service) learnersOf(ctx context.Context, e *ent.Export, u *ent.User) (source, error) {
	if e.CourseID == nil {
		return nil, fmt.Errorf("export %s: a learners export without a course", e.ID)
	}
	c, err := s.db.Ent.Course.Get(ctx, *e.CourseID)
	if ent.IsNotFound(err) {
		return nil, errNotRunning
	}
	if err != nil {
		return nil, err
	}
	m, err := c.QueryMembers().Where(coursemember.UserID(u.ID)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	admin := u.Role == entuser.RoleADMIN
	if !admin && (m == nil || !slices.Contains(exportRoles, m.Role)) {
		return nil, errAccessRevoked
	}
	owner := m != nil && m.Role == coursemember.RoleOWNER
	return &learners{db: s.db.SQL, courseID: c.ID, lessonCount: c.LessonCount, email: owner || admin, pageSize: s.pageSize}, nil
}

func (l *learners) total(ctx context.Context) (int, error) {
	var n int
	if err := l.db.QueryRowContext(ctx, `SELECT count(*) FROM enrollments WHERE course_id = $1`, l.courseID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count learners: %w", err)
	}
	return n, nil
}

// learnerRow is one enrolment with its learner.
type learnerRow struct {
	id                 uuid.UUID
	name, email        string
	enrolledAt         anyTime
	status             string
	completed          int
	changed, completes anyTime
}

// learnersPage reads the enrolments after the given ID, with their
// learner and latest lesson completion. The latest completion is a
// correlated MAX over the (enrollment_id, lesson_id) index, one probe per
// row.
const learnersPage = `SELECT e.id, u.display_name, u.email, e.created_at, e.status, e.completed_lesson_count, e.updated_at,
  (SELECT max(p.completed_at) FROM lesson_progresses p WHERE p.enrollment_id = e.id)
FROM enrollments e JOIN users u ON u.id = e.user_id
WHERE e.course_id = $1 AND e.id > $2
ORDER BY e.id
LIMIT $3`

func (l *learners) header() []string {
	h := []string{"Learner"}
	if l.email {
		h = append(h, "Email")
	}
	return append(h, "Enrolled at", "Status", "Progress", "Completed lessons", "Last activity")
}

func (l *learners) write(ctx context.Context, w io.Writer, page func(rows int) error) (int, error) {
	out := csv.NewWriter(w)
	out.UseCRLF = true // RFC 4180 ends records with CRLF
	if err := out.Write(l.header()); err != nil {
		return 0, err
	}
	rows := make([]learnerRow, 0, l.pageSize)
	record := make([]string, 0, 7)
	after, written := uuid.Nil, 0
	for {
		var err error
		rows, err = l.page(ctx, after, rows[:0])
		if err != nil {
			return written, err
		}
		for i := range rows {
			if err := out.Write(l.record(record[:0], &rows[i])); err != nil {
				return written, err
			}
		}
		out.Flush()
		if err := out.Error(); err != nil {
			return written, err
		}
		written += len(rows)
		if len(rows) > 0 {
			if err := page(written); err != nil {
				return written, err
			}
		}
		if len(rows) < l.pageSize {
			return written, nil
		}
		after = rows[len(rows)-1].id
	}
}

// page appends the page after the given enrolment ID to rows.
func (l *learners) page(ctx context.Context, after uuid.UUID, rows []learnerRow) ([]learnerRow, error) {
	res, err := l.db.QueryContext(ctx, learnersPage, l.courseID, after, l.pageSize)
	if err != nil {
		return rows, fmt.Errorf("read learners: %w", err)
	}
	defer res.Close()
	for res.Next() {
		var r learnerRow
		if err := res.Scan(&r.id, &r.name, &r.email, &r.enrolledAt, &r.status, &r.completed, &r.changed, &r.completes); err != nil {
			return rows, fmt.Errorf("read learners: %w", err)
		}
		rows = append(rows, r)
	}
	if err := res.Err(); err != nil {
		return rows, fmt.Errorf("read learners: %w", err)
	}
	return rows, nil
}

// record is r as CSV cells.
func (l *learners) record(dst []string, r *learnerRow) []string {
	dst = append(dst, Cell(r.name))
	if l.email {
		dst = append(dst, Cell(r.email))
	}
	last := r.changed.t
	if r.completes.t.After(last) {
		last = r.completes.t
	}
	return append(dst, stamp(r.enrolledAt.t), r.status, l.progress(r.completed), strconv.Itoa(r.completed), stamp(last))
}

// progress is the share of the course's lessons done, as Enrollment.progress
// gives it, to four decimals.
func (l *learners) progress(completed int) string {
	if l.lessonCount == 0 {
		return "0"
	}
	p := min(1, float64(completed)/float64(l.lessonCount))
	return strconv.FormatFloat(math.Round(p*10000)/10000, 'f', -1, 64)
}

// stamp formats t in UTC to the second, RFC 3339; "" for none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Cell returns s made safe as a spreadsheet cell: a value starting with
// =, +, -, @, a tab or a carriage return would be taken for a formula by
// spreadsheet programs (a learner named "=HYPERLINK(…)" would run in the
// instructor's spreadsheet), so it gets a leading apostrophe, which they
// show as text. Quoting is the CSV writer's job.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// anyTime scans a time the way either database returns it: a time, or
// for an aggregate on SQLite (which loses the column's type) the text
// Lectern stores times as; NULL is the zero time.
type anyTime struct{ t time.Time }

// sqliteTime is the layout Lectern's SQLite connections write times in
// (internal/database).
const sqliteTime = "2006-01-02 15:04:05.999999999-07:00"

func (a *anyTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		a.t = time.Time{}
	case time.Time:
		a.t = x
	case string:
		return a.parse(x)
	case []byte:
		return a.parse(string(x))
	default:
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	return nil
}

func (a *anyTime) parse(s string) error {
	for _, layout := range []string{sqliteTime, time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			a.t = t
			return nil
		}
	}
	return fmt.Errorf("scan time: unrecognised %q", s)
}

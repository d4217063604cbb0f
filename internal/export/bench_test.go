package export_test

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/course"
	"lectern/ent/coursemember"
	entexport "lectern/ent/export"
	"lectern/ent/user"
	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/export"
	"lectern/internal/jobs"
	"lectern/internal/mail"
	"lectern/internal/testenv"
)

// BenchmarkLearnersExport writes the learners of a course with 100,000
// enrolments (half of them with a completed lesson) to a file store, on
// each database, as the export job does. Besides time it reports rows per
// second and the process's peak RSS during the export over its RSS before
// it ("peak-rss-growth-MB"; the peak is reset through
// /proc/self/clear_refs first, so seeding does not count).
//
//	TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' \
//	  go test ./internal/export -run '^$' -bench LearnersExport -benchtime 3x
func BenchmarkLearnersExport(b *testing.B) {
	const learners = 100_000
	for _, dialect := range testenv.Dialects {
		b.Run(dialectName(dialect), func(b *testing.B) {
			if dialect == database.Postgres {
				testenv.Postgres(b)
			}
			db := testenv.Fresh(b, dialect)
			owner, courseID := seedLearners(b, db, learners)
			svc := benchService(b, db)
			ctx := context.Background()
			report := rssPeak(b)
			for b.Loop() {
				x, err := db.Ent.Export.Create().SetUserID(owner).SetKind(entexport.KindCOURSE_LEARNERS_CSV).SetCourseID(courseID).Save(sys())
				if err != nil {
					b.Fatal(err)
				}
				if err := svc.Run(ctx, x.ID, true); err != nil {
					b.Fatal(err)
				}
				done := db.Ent.Export.GetX(sys(), x.ID)
				if done.Status != entexport.StatusSUCCEEDED || *done.RowCount != learners {
					b.Fatalf("export = %s with %v rows, want SUCCEEDED with %d", done.Status, done.RowCount, learners)
				}
			}
			report()
			b.ReportMetric(float64(learners*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// benchService is an export service over db and a file store in a
// temporary directory.
func benchService(b *testing.B, db *database.DB) *export.Service {
	b.Helper()
	cfg := config.Config{HTTPAddr: "127.0.0.1:8080", Storage: config.StorageConfig{Driver: config.StorageFile, Dir: b.TempDir()}}
	store, err := app.OpenStore(context.Background(), cfg, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	queue, err := jobs.New(db, jobs.Config{})
	if err != nil {
		b.Fatal(err)
	}
	r, err := mail.NewRenderer("http://127.0.0.1:8080", "Lectern <no-reply@example.com>")
	if err != nil {
		b.Fatal(err)
	}
	return export.New(db, store, queue, r, nil, nil)
}

// seedRows is how many rows one bulk INSERT carries: well inside both
// dialects' limits on parameters.
const seedRows = 500

// seedLearners stores an instructor owning a published course of ten
// lessons, and n learners enrolled in it, every other one with a lesson
// done, in multi-row INSERTs in one transaction. It returns the owner's
// and the course's IDs.
func seedLearners(b *testing.B, db *database.DB, n int) (uuid.UUID, uuid.UUID) {
	b.Helper()
	ctx := sys()
	now := time.Now().UTC().Truncate(time.Microsecond)
	owner := db.Ent.User.Create().SetEmail("owner@bench.example").SetDisplayName("Owner").SetRole(user.RoleINSTRUCTOR).
		SetEmailVerifiedAt(now).SaveX(ctx)
	c := db.Ent.Course.Create().SetSlug("bench").SetTitle("Bench").SetStatus(course.StatusPUBLISHED).SetPublishedAt(now).
		SetLessonCount(10).SaveX(ctx)
	db.Ent.CourseMember.Create().SetCourseID(c.ID).SetUserID(owner.ID).SetRole(coursemember.RoleOWNER).ExecX(ctx)
	section := db.Ent.Section.Create().SetCourseID(c.ID).SetTitle("Only").SetPosition(0).SaveX(ctx)
	lesson := db.Ent.Lesson.Create().SetCourseID(c.ID).SetSectionID(section.ID).SetSlug("first").SetTitle("First").
		SetBody("Words.").SetPosition(0).SaveX(ctx)
	err := db.Transact(ctx, func(tx *database.Tx) error {
		for start := 0; start < n; start += seedRows {
			end := min(n, start+seedRows)
			var users, enrolments, progress [][]any
			for i := start; i < end; i++ {
				u, e := uuid.New(), uuid.New()
				users = append(users, []any{u, now, now, fmt.Sprintf("learner-%06d@bench.example", i), "Learner " + strconv.Itoa(i), now})
				done := i % 2
				enrolments = append(enrolments, []any{e, now, now, "ACTIVE", done, c.ID, u})
				if done == 1 {
					progress = append(progress, []any{uuid.New(), now.Add(time.Duration(i) * time.Second), e, lesson.ID})
				}
			}
			for _, ins := range []struct {
				table, cols string
				rows        [][]any
			}{
				{"users", "id, created_at, updated_at, email, display_name, email_verified_at", users},
				{"enrollments", "id, created_at, updated_at, status, completed_lesson_count, course_id, user_id", enrolments},
				{"lesson_progresses", "id, completed_at, enrollment_id, lesson_id", progress},
			} {
				if err := bulkInsert(ctx, tx, db.Dialect, ins.table, ins.cols, ins.rows); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("seed: %v", err)
	}
	if err := db.Analyze(ctx); err != nil {
		b.Fatal(err)
	}
	return owner.ID, c.ID
}

// bulkInsert inserts rows into table in one statement. SQLite gets
// anonymous placeholders: it looks each numbered one up by name, which
// made seeding quadratic in the statement's parameters.
func bulkInsert(ctx context.Context, tx *database.Tx, dialect, table, cols string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	var q strings.Builder
	args := make([]any, 0, len(rows)*len(rows[0]))
	q.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
	for i, row := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(")
		for j, v := range row {
			if j > 0 {
				q.WriteString(", ")
			}
			args = append(args, v)
			if dialect == database.SQLite {
				q.WriteString("?")
			} else {
				q.WriteString("$" + strconv.Itoa(len(args)))
			}
		}
		q.WriteString(")")
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}

// rssPeak resets the process's peak RSS and returns a function reporting
// how far the peak rose above the RSS of now, in MB.
func rssPeak(b *testing.B) func() {
	b.Helper()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("peak RSS not measured: %v", err)
		return func() {}
	}
	base := procStatus(b, "VmRSS")
	return func() {
		b.ReportMetric(float64(procStatus(b, "VmHWM")-base)/1024, "peak-rss-growth-MB")
	}
}

// procStatus returns a /proc/self/status value in kB.
func procStatus(b *testing.B, field string) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

func dialectName(d string) string {
	if d == database.Postgres {
		return "postgres"
	}
	return "sqlite"
}

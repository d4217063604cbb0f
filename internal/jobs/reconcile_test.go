package jobs_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"lectern/ent"
	"lectern/ent/auditevent"
	"lectern/internal/audit"
	"lectern/internal/counter"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// reconcileTables are the tables a reconciliation may write.
var reconcileTables = []string{"courses", "enrollments", "lesson_progresses", "reviews", "audit_events"}

// reconcileBundle is a seeded database with a reconcile worker that checks
// two courses per batch, so the demo catalogue takes several.
type reconcileBundle struct {
	db     *database.DB
	worker *jobs.ReconcileWorker
	log    *testenv.Buffer
	writes *testenv.RowWrites
}

func setupReconcile(t *testing.T, db *database.DB) *reconcileBundle {
	t.Helper()
	testenv.Seeded(t, db)
	b := &reconcileBundle{db: db, log: &testenv.Buffer{}}
	logger := slog.New(slog.NewTextHandler(b.log, nil))
	r := counter.NewReconciler(db, audit.New(logger), logger, func() time.Time { return testenv.Now }).WithBatch(2)
	b.worker = jobs.NewReconcileWorker(r, logger)
	b.writes = testenv.CountRowWrites(t, db, reconcileTables...)
	return b
}

// work runs the job once, as River would.
func (b *reconcileBundle) work(t *testing.T) {
	t.Helper()
	job := &river.Job[jobs.ReconcileArgs]{JobRow: &rivertype.JobRow{ID: 7, Attempt: 1, MaxAttempts: 3, Kind: "reconcile_counters"}}
	if err := b.worker.Work(context.Background(), job); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
}

// drift is what a recount of the whole database finds wrong.
func (b *reconcileBundle) drift(t *testing.T) []counter.Drift {
	t.Helper()
	d, err := counter.FindDrift(context.Background(), b.db.Ent)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (b *reconcileBundle) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	mustExecSQL(t, b.db, q, args...)
}

func (b *reconcileBundle) scanID(t *testing.T, q string, args ...any) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := b.db.SQL.QueryRow(q, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (b *reconcileBundle) number(t *testing.T, q string, args ...any) string {
	t.Helper()
	var v string
	if err := b.db.SQL.QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// repairs returns the counter.repair audit events, by target ID and
// counter.
func (b *reconcileBundle) repairs(t *testing.T) map[[2]string]*ent.AuditEvent {
	t.Helper()
	rows, err := b.db.Ent.AuditEvent.Query().Where(auditevent.Action(audit.CounterRepair)).
		All(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	out := map[[2]string]*ent.AuditEvent{}
	for _, r := range rows {
		out[[2]string{r.TargetID, r.Details["counter"]}] = r
	}
	if len(out) != len(rows) {
		t.Errorf("%d repair events for %d counters: one was recorded twice", len(rows), len(out))
	}
	return out
}

func TestReconcileCounters(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		b := setupReconcile(t, db)

		t.Run("ConsistentDatabaseWritesNothing", func(t *testing.T) {
			if d := b.drift(t); len(d) != 0 {
				t.Fatalf("the demo dataset drifts already: %+v", d)
			}
			b.writes.Take(t)
			b.work(t)
			if w := b.writes.Take(t); w.Total() != 0 {
				t.Errorf("a pass over a consistent database wrote %v", w)
			}
			if strings.Contains(b.log.String(), "counter repaired") {
				t.Errorf("a pass over a consistent database logged a repair:\n%s", b.log)
			}
		})

		// Drift of every kind, in the first batch and the last.
		var n int
		if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM courses`).Scan(&n); err != nil || n < 5 {
			t.Fatalf("%d courses (%v); the test needs more than two batches of two", n, err)
		}
		first := b.scanID(t, `SELECT id FROM courses ORDER BY id LIMIT 1`)
		second := b.scanID(t, `SELECT id FROM courses ORDER BY id LIMIT 1 OFFSET 1`)
		last := b.scanID(t, `SELECT id FROM courses ORDER BY id DESC LIMIT 1`)
		enrolments := b.number(t, `SELECT enrollment_count FROM courses WHERE id = $1`, first)
		average := b.number(t, `SELECT CAST(rating_average AS TEXT) FROM courses WHERE id = $1`, second)
		lessons := b.number(t, `SELECT lesson_count FROM courses WHERE id = $1`, last)
		progressed := b.scanID(t, `SELECT id FROM enrollments WHERE status <> 'CANCELLED' AND completed_lesson_count > 0 ORDER BY id LIMIT 1`)
		done := b.number(t, `SELECT completed_lesson_count FROM enrollments WHERE id = $1`, progressed)
		active := b.scanID(t, `SELECT e.id FROM enrollments e JOIN courses c ON c.id = e.course_id
WHERE e.status = 'ACTIVE' AND e.completed_lesson_count < c.lesson_count AND e.id <> $1 ORDER BY e.id LIMIT 1`, progressed)

		b.exec(t, `UPDATE courses SET enrollment_count = enrollment_count + 3 WHERE id = $1`, first)
		b.exec(t, `UPDATE courses SET rating_average = 1.5 WHERE id = $1`, second)
		b.exec(t, `UPDATE courses SET lesson_count = lesson_count + 1 WHERE id = $1`, last)
		b.exec(t, `UPDATE enrollments SET completed_lesson_count = 0 WHERE id = $1`, progressed)
		b.exec(t, `UPDATE enrollments SET status = 'COMPLETED', completed_at = $2 WHERE id = $1`, active, testenv.Now)
		if d := b.drift(t); len(d) != 5 {
			t.Fatalf("drift after the raw updates: %+v, want 5 counters", d)
		}

		t.Run("RepairsEveryCounterOnce", func(t *testing.T) {
			b.writes.Take(t)
			b.work(t)
			if d := b.drift(t); len(d) != 0 {
				t.Errorf("drift left after the pass: %+v", d)
			}
			w := b.writes.Take(t)
			want := testenv.RowCounts{"courses UPDATE": 3, "enrollments UPDATE": 2, "audit_events INSERT": 5}
			if len(w) != len(want) || w["courses UPDATE"] != 3 || w["enrollments UPDATE"] != 2 || w["audit_events INSERT"] != 5 {
				t.Errorf("the pass wrote %v, want %v: only the drifted rows and one event per repair", w, want)
			}
			wantEvents := map[[2]string][3]string{
				{first.String(), "enrollment_count"}:            {"Course", mustAdd(t, enrolments, 3), enrolments},
				{second.String(), "rating_average"}:             {"Course", "1.5", trimFloat(average)},
				{last.String(), "lesson_count"}:                 {"Course", mustAdd(t, lessons, 1), lessons},
				{progressed.String(), "completed_lesson_count"}: {"Enrollment", "0", done},
				{active.String(), counter.CounterStatus}:        {"Enrollment", "COMPLETED", "ACTIVE"},
			}
			events := b.repairs(t)
			if len(events) != len(wantEvents) {
				t.Errorf("%d repair events, want %d", len(events), len(wantEvents))
			}
			for key, want := range wantEvents {
				e := events[key]
				if e == nil {
					t.Errorf("no audit event for %v", key)
					continue
				}
				if e.TargetType != want[0] || e.Details["stored"] != want[1] || e.Details["recounted"] != want[2] || e.ActorID != nil {
					t.Errorf("event %v: %s %v by %v, want %s stored %s recounted %s by the system",
						key, e.TargetType, e.Details, e.ActorID, want[0], want[1], want[2])
				}
				if e.TargetType == "Enrollment" && e.Details["course"] == "" {
					t.Errorf("event %v does not name the enrolment's course", key)
				}
			}
			if got := strings.Count(b.log.String(), `level=WARN msg="counter repaired"`); got != 5 {
				t.Errorf("%d WARN lines for 5 repairs:\n%s", got, b.log)
			}
			var status string
			var completedAt *time.Time
			if err := db.SQL.QueryRow(`SELECT status, completed_at FROM enrollments WHERE id = $1`, active).Scan(&status, &completedAt); err != nil {
				t.Fatal(err)
			}
			if status != "ACTIVE" || completedAt != nil {
				t.Errorf("the falsely completed enrolment is %s (completed %v), want ACTIVE", status, completedAt)
			}
		})

		t.Run("SecondRunRepairsNothing", func(t *testing.T) {
			before := len(b.repairs(t))
			b.work(t)
			if w := b.writes.Take(t); w.Total() != 0 {
				t.Errorf("the second pass wrote %v", w)
			}
			if after := len(b.repairs(t)); after != before {
				t.Errorf("the second pass recorded %d more repairs", after-before)
			}
		})
	})
}

// TestReconcileJobRunsFromTheQueue: the job kind is worked by a queue like
// any other, and its repair commits.
func TestReconcileJobRunsFromTheQueue(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		testenv.Seeded(t, db)
		course := uuid.Nil
		if err := db.SQL.QueryRow(`SELECT id FROM courses ORDER BY id LIMIT 1`).Scan(&course); err != nil {
			t.Fatal(err)
		}
		mustExecSQL(t, db, `UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = $1`, course)
		workers := river.NewWorkers()
		logger := slog.New(slog.DiscardHandler)
		river.AddWorker(workers, jobs.NewReconcileWorker(counter.NewReconciler(db, audit.New(logger), logger, nil), logger))
		q, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 50 * time.Millisecond, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		// emailBundle's finished needs only the database.
		b := &emailBundle{ctx: viewer.SystemContext(context.Background()), db: db, queue: q}
		var id int64
		if err := db.Transact(b.ctx, func(tx *database.Tx) error {
			res, err := q.InsertTx(b.ctx, tx, jobs.ReconcileArgs{}, nil)
			if err == nil {
				id = res.Job.ID
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := q.Start(b.ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Stop(context.Background()) })
		if state, _ := b.finished(t, id); state != "completed" {
			t.Fatalf("reconcile job %s", state)
		}
		d, err := counter.FindDrift(context.Background(), db.Ent)
		if err != nil || len(d) != 0 {
			t.Errorf("drift after the job: %+v, %v", d, err)
		}
	})
}

// TestReconcileArgs pins what queued rows depend on: a renamed kind would
// strand the passes already waiting in the database.
func TestReconcileArgs(t *testing.T) {
	if (jobs.ReconcileArgs{}).Kind() != "reconcile_counters" {
		t.Errorf("kind %q, want reconcile_counters", jobs.ReconcileArgs{}.Kind())
	}
}

func mustAdd(t *testing.T, n string, d int) string {
	t.Helper()
	v, err := strconv.Atoi(n)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(v + d)
}

// trimFloat writes a stored average as the audit trail does.
func trimFloat(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

package counter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	"lectern/internal/audit"
	"lectern/internal/cache"
	"lectern/internal/database"
)

// ReconcileBatch is how many courses the reconciliation checks per step:
// one read of their counters, and for those that drifted one transaction
// that locks, recounts and repairs them.
const ReconcileBatch = 200

// Reconciler is the safety net under the writes that keep the counters
// exact: it recounts every course and enrolment from their rows and
// repairs whatever a bug or a hand-made change left wrong, recording each
// repair in the audit trail and as a WARN line. On a consistent database
// it reads and writes nothing else.
type Reconciler struct {
	db     *database.DB
	audit  *audit.Log
	logger *slog.Logger
	now    func() time.Time
	batch  int
}

// NewReconciler returns a Reconciler over db recording repairs in log and
// logging through logger (nil: slog.Default()); now (nil: time.Now) stamps
// the enrolments a repair completes.
func NewReconciler(db *database.DB, log *audit.Log, logger *slog.Logger, now func() time.Time) *Reconciler {
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &Reconciler{db: db, audit: log, logger: logger, now: now, batch: ReconcileBatch}
}

// WithBatch returns a copy of r that checks n courses per step (n > 0).
func (r *Reconciler) WithBatch(n int) *Reconciler {
	c := *r
	c.batch = max(n, 1)
	return &c
}

// Reconcile makes one pass over every course, in batches by ID (keyset,
// so courses created meanwhile are met or not, never twice), and returns
// how many counters it repaired. A batch is read in one statement per
// table without a lock; only a batch where something drifted opens a
// transaction, in which each drifted course is locked (LockCourse, as an
// author's write takes it), recounted again and repaired, so a learner's
// write that committed between the read and the lock is not taken for
// drift. A failure stops the pass; the batches before it stay repaired.
func (r *Reconciler) Reconcile(ctx context.Context) (int, error) {
	repaired := 0
	var after *uuid.UUID
	for {
		ids, err := r.nextCourses(ctx, after)
		if err != nil || len(ids) == 0 {
			return repaired, err
		}
		drift, err := FindDrift(ctx, r.db.Ent, ids...)
		if err != nil {
			return repaired, err
		}
		if len(drift) > 0 {
			n, err := r.repair(ctx, coursesOf(drift))
			repaired += n
			if err != nil {
				return repaired, err
			}
		}
		after = &ids[len(ids)-1]
	}
}

// nextCourses returns the IDs of the next batch of courses after after
// (from the first when nil), in ID order.
func (r *Reconciler) nextCourses(ctx context.Context, after *uuid.UUID) ([]uuid.UUID, error) {
	q, args := `SELECT id FROM courses ORDER BY id LIMIT $1`, []any{r.batch}
	if after != nil {
		q, args = `SELECT id FROM courses WHERE id > $2 ORDER BY id LIMIT $1`, []any{r.batch, *after}
	}
	rows, err := r.db.Ent.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reconcile: list courses: %w", err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("reconcile: list courses: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// coursesOf returns the courses drift is about, in ID order, the order
// the repair locks them in.
func coursesOf(drift []Drift) []uuid.UUID {
	var ids []uuid.UUID
	for _, d := range drift {
		ids = append(ids, d.CourseID)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return slices.Compact(ids)
}

// repair locks, recounts and repairs courses in one transaction and
// returns how many counters it repaired.
func (r *Reconciler) repair(ctx context.Context, courses []uuid.UUID) (int, error) {
	var all []Drift
	err := r.db.Transact(ctx, func(tx *database.Tx) error {
		all = all[:0]
		now := r.now().UTC()
		for _, id := range courses {
			if err := LockCourse(ctx, tx.SQL, r.db.Dialect, id); err != nil {
				if isNoRows(err) {
					continue // deleted since the read
				}
				return err
			}
			drift, err := Reconcile(ctx, tx, now, id)
			if err != nil {
				return err
			}
			if len(drift) == 0 {
				continue // a learner's write was in flight at the read
			}
			tx.Touch(cache.Course(id))
			for _, d := range drift {
				if err := r.record(ctx, tx, d); err != nil {
					return err
				}
			}
			all = append(all, drift...)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("reconcile: %w", err)
	}
	for _, d := range all {
		r.logger.WarnContext(ctx, "counter repaired", slog.String("target_type", d.Target),
			slog.String("target_id", d.ID.String()), slog.String("course_id", d.CourseID.String()),
			slog.String("counter", d.Counter), slog.String("stored", d.Stored), slog.String("recounted", d.Recounted))
	}
	return len(all), nil
}

// record writes the audit event of one repair in tx: the system acted, so
// there is no actor.
func (r *Reconciler) record(ctx context.Context, tx *database.Tx, d Drift) error {
	details := map[string]string{"counter": d.Counter, "stored": d.Stored, "recounted": d.Recounted}
	if d.Target != TargetCourse {
		details["course"] = d.CourseID.String()
	}
	return r.audit.Record(ctx, tx.Client, audit.Event{Action: audit.CounterRepair, TargetType: d.Target,
		TargetID: d.ID.String(), Details: details})
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

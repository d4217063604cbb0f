package counter

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Querier runs statements and reads rows: *ent.Client, *ent.Tx and
// database.Tx are all one.
type Querier interface {
	Execer
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Targets of a Drift, named as the audit trail names them.
const (
	TargetCourse     = "Course"
	TargetEnrollment = "Enrollment"
)

// CounterStatus is the Drift.Counter of an enrolment whose status
// (ACTIVE or COMPLETED) disagrees with its recounted progress.
const CounterStatus = "status"

// Drift is one stored counter that differs from a recount of the rows it
// summarises.
type Drift struct {
	// Target is TargetCourse or TargetEnrollment; ID is that row's, and
	// CourseID its course (the same as ID for a course).
	Target   string
	ID       uuid.UUID
	CourseID uuid.UUID
	// Counter is the column that drifted (enrollment_count, lesson_count,
	// rating_count, rating_sum, rating_average, completed_lesson_count)
	// or CounterStatus.
	Counter string
	// Stored is the value the row holds, Recounted the one its rows give,
	// both as text for the audit trail.
	Stored, Recounted string
}

// averageTolerance is how far a stored average may be from the recount
// and still agree: the delta writes compute it as sum/count, the recount
// as AVG, and the two may round the last bit differently.
const averageTolerance = 1e-9

// FindDrift returns every counter of the given courses (all courses when
// none are given) and of their enrolments that differs from a recount of
// the rows, without writing anything. Each table is read in one statement,
// so a counter and the rows it is compared with come from one snapshot
// and a committed learner write is never mistaken for drift. It fails
// only when the database does.
func FindDrift(ctx context.Context, db Querier, ids ...uuid.UUID) ([]Drift, error) {
	out, err := courseDrift(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	more, err := enrollmentDrift(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	return append(out, more...), nil
}

const driftCourses = `SELECT id,
  enrollment_count, ` + recountEnrollmentCount + `,
  lesson_count, ` + recountLessonCount + `,
  rating_count, ` + recountRatingCount + `,
  rating_sum, ` + recountRatingSum + `,
  rating_average, ` + recountRatingAverage + `
FROM courses`

func courseDrift(ctx context.Context, db Querier, ids []uuid.UUID) ([]Drift, error) {
	where, args := idFilter("id", ids)
	rows, err := db.QueryContext(ctx, driftCourses+where+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("find course drift: %w", err)
	}
	defer rows.Close()
	var out []Drift
	for rows.Next() {
		var id uuid.UUID
		var counts [8]int64 // stored, recounted × enrolments, lessons, ratings, rating sum
		var avg [2]float64
		if err := rows.Scan(&id, &counts[0], &counts[1], &counts[2], &counts[3], &counts[4], &counts[5],
			&counts[6], &counts[7], &avg[0], &avg[1]); err != nil {
			return nil, fmt.Errorf("find course drift: %w", err)
		}
		for i, name := range []string{"enrollment_count", "lesson_count", "rating_count", "rating_sum"} {
			if stored, recounted := counts[2*i], counts[2*i+1]; stored != recounted {
				out = append(out, courseDriftOf(id, name, strconv.FormatInt(stored, 10), strconv.FormatInt(recounted, 10)))
			}
		}
		if math.Abs(avg[0]-avg[1]) > averageTolerance {
			out = append(out, courseDriftOf(id, "rating_average", formatAverage(avg[0]), formatAverage(avg[1])))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find course drift: %w", err)
	}
	return out, nil
}

func courseDriftOf(id uuid.UUID, counter, stored, recounted string) Drift {
	return Drift{Target: TargetCourse, ID: id, CourseID: id, Counter: counter, Stored: stored, Recounted: recounted}
}

func formatAverage(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// driftEnrollments lists the enrolments whose progress count differs from
// its recount, or whose status SettleCourse would move (by its rules, on
// the recounted numbers): only those rows leave the database.
const driftEnrollments = `SELECT id, course_id, status, stored, recounted, lessons FROM (
  SELECT enrollments.id AS id, enrollments.course_id AS course_id, enrollments.status AS status,
    enrollments.completed_lesson_count AS stored,
    ` + recountCompleted + ` AS recounted,
    ` + recountLessonCount + ` AS lessons
  FROM enrollments JOIN courses ON courses.id = enrollments.course_id%s
) d
WHERE stored <> recounted
  OR (status = 'ACTIVE' AND lessons > 0 AND recounted >= lessons)
  OR (status = 'COMPLETED' AND recounted < lessons)
ORDER BY course_id, id`

func enrollmentDrift(ctx context.Context, db Querier, ids []uuid.UUID) ([]Drift, error) {
	where, args := idFilter("enrollments.course_id", ids)
	rows, err := db.QueryContext(ctx, fmt.Sprintf(driftEnrollments, where), args...)
	if err != nil {
		return nil, fmt.Errorf("find enrolment drift: %w", err)
	}
	defer rows.Close()
	var out []Drift
	for rows.Next() {
		var id, courseID uuid.UUID
		var status string
		var stored, recounted, lessons int64
		if err := rows.Scan(&id, &courseID, &status, &stored, &recounted, &lessons); err != nil {
			return nil, fmt.Errorf("find enrolment drift: %w", err)
		}
		d := Drift{Target: TargetEnrollment, ID: id, CourseID: courseID}
		if stored != recounted {
			d.Counter, d.Stored, d.Recounted = "completed_lesson_count", strconv.FormatInt(stored, 10), strconv.FormatInt(recounted, 10)
			out = append(out, d)
		}
		if settled := settledStatus(status, recounted, lessons); settled != status {
			d.Counter, d.Stored, d.Recounted = CounterStatus, status, settled
			out = append(out, d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find enrolment drift: %w", err)
	}
	return out, nil
}

// settledStatus is the status SettleCourse gives an enrolment that has
// done completed of the course's lessons published lessons: an ACTIVE one
// that has done them all (there being some) completes, a COMPLETED one
// that has not reopens, and anything else stays (CANCELLED always does).
func settledStatus(status string, completed, lessons int64) string {
	switch {
	case status == "ACTIVE" && lessons > 0 && completed >= lessons:
		return "COMPLETED"
	case status == "COMPLETED" && completed < lessons:
		return "ACTIVE"
	}
	return status
}

// Reconcile recounts course id and its enrolments and repairs, in db's
// transaction, every counter that differs from its recount, writing only
// the rows that differ: nothing at all when nothing drifted. It returns
// what it repaired. The caller holds LockCourse on id in the same
// transaction, so that no learner's delta lands between the recount and
// the repair; now stamps enrolments it completes.
func Reconcile(ctx context.Context, db Querier, now time.Time, id uuid.UUID) ([]Drift, error) {
	drift, err := FindDrift(ctx, db, id)
	if err != nil || len(drift) == 0 {
		return nil, err
	}
	var course, progress bool
	for _, d := range drift {
		course = course || d.Target == TargetCourse
		progress = progress || d.Counter == "completed_lesson_count"
	}
	if course {
		if _, err := db.ExecContext(ctx, recountCourses+" WHERE id = $1", id); err != nil {
			return nil, fmt.Errorf("repair course counters: %w", err)
		}
	}
	if progress {
		if _, err := db.ExecContext(ctx, repairProgress, id); err != nil {
			return nil, fmt.Errorf("repair enrolment progress: %w", err)
		}
	}
	// The guarded statements of SettleCourse move only the enrolments
	// whose status their progress no longer matches.
	if _, err := db.ExecContext(ctx, completeEnrollments, now, id); err != nil {
		return nil, fmt.Errorf("complete enrolments: %w", err)
	}
	if _, err := db.ExecContext(ctx, reopenEnrollments, id); err != nil {
		return nil, fmt.Errorf("reopen enrolments: %w", err)
	}
	return drift, nil
}

// repairProgress is recountEnrollments for the enrolments of one course
// whose count is wrong, leaving the others unwritten.
const repairProgress = recountEnrollments + `
WHERE course_id = $1 AND completed_lesson_count <> ` + recountCompleted

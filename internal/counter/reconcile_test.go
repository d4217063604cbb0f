package counter_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"lectern/internal/counter"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

// TestFindDrift: counters kept by the learners' deltas agree with a
// recount, however the two compute an average, and a drifted counter is
// reported with both values without being written.
func TestFindDrift(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		testenv.Seeded(t, db)
		ctx := context.Background()
		target, _ := pickCourses(t, db)

		// Three reviews through the delta path: the stored average is
		// sum/count, the recount's AVG; 13/3 has no exact binary form.
		for _, rating := range []int{5, 4, 4} {
			reviewer := userWithoutReview(t, db, target.ID)
			mustExec(t, db, `INSERT INTO reviews (id, created_at, updated_at, rating, body, course_id, user_id) VALUES ($1, $2, $2, $3, '', $4, $5)`,
				uuid.New(), testenv.Now, rating, target.ID, reviewer)
			if err := counter.MoveRatings(ctx, db.Ent, target.ID, 1, rating); err != nil {
				t.Fatal(err)
			}
		}
		if d, err := counter.FindDrift(ctx, db.Ent); err != nil || len(d) != 0 {
			t.Fatalf("drift after delta writes: %+v, %v", d, err)
		}

		mustExec(t, db, `UPDATE courses SET rating_count = rating_count + 1, rating_sum = rating_sum + 5 WHERE id = $1`, target.ID)
		writes := testenv.CountRowWrites(t, db, "courses", "enrollments")
		d, err := counter.FindDrift(ctx, db.Ent, target.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]counter.Drift{}
		for _, x := range d {
			got[x.Counter] = x
		}
		if len(d) != 2 || got["rating_count"].Target != counter.TargetCourse || got["rating_sum"].ID != target.ID {
			t.Fatalf("drift %+v, want rating_count and rating_sum of the course", d)
		}
		if c := got["rating_count"]; c.Stored == c.Recounted {
			t.Errorf("rating_count drift %+v has the same values", c)
		}
		if w := writes.Take(t); w.Total() != 0 {
			t.Errorf("finding drift wrote %v", w)
		}
	})
}

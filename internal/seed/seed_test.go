package seed_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/internal/database"
	"lectern/internal/seed"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// tables are every table the seeders write.
var tables = []string{
	"users", "tags", "courses", "course_tags", "course_members", "sections", "lessons",
	"faq_entries", "enrollments", "lesson_progresses", "reviews",
}

// rowCounts returns the number of rows of each table.
func rowCounts(t *testing.T, db *database.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range tables {
		var n int
		if err := db.SQL.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// fingerprint lists every user and course with its last change, so a
// rewrite that keeps the row counts still shows.
func fingerprint(t *testing.T, db *database.DB) []string {
	t.Helper()
	ctx := viewer.SystemContext(context.Background())
	var out []string
	users, err := db.Ent.User.Query().All(ctx)
	if err != nil {
		t.Fatalf("users: %v", err)
	}
	for _, u := range users {
		out = append(out, fmt.Sprintf("user %s %s %s", u.ID, u.Email, u.UpdatedAt.UTC()))
	}
	courses, err := db.Ent.Course.Query().All(ctx)
	if err != nil {
		t.Fatalf("courses: %v", err)
	}
	for _, c := range courses {
		out = append(out, fmt.Sprintf("course %s %s %s", c.ID, c.Slug, c.UpdatedAt.UTC()))
	}
	slices.Sort(out)
	return out
}

func TestDemo(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		loaded, err := seed.Demo(ctx, db.Ent, testenv.Now)
		if err != nil {
			t.Fatalf("first demo seed: %v", err)
		}
		if !loaded {
			t.Fatal("Demo on an empty database reported that it loaded nothing")
		}
		counts := rowCounts(t, db)
		for _, table := range tables {
			if counts[table] == 0 {
				t.Errorf("the demo dataset put no rows in %s", table)
			}
		}
		before := fingerprint(t, db)

		loaded, err = seed.Demo(ctx, db.Ent, testenv.Now.AddDate(0, 1, 0))
		if err != nil {
			t.Fatalf("second demo seed: %v", err)
		}
		if loaded {
			t.Fatal("Demo on a seeded database reported that it loaded data again")
		}
		if again := rowCounts(t, db); fmt.Sprint(again) != fmt.Sprint(counts) {
			t.Fatalf("row counts changed from %v to %v", counts, again)
		}
		if !slices.Equal(fingerprint(t, db), before) {
			t.Fatal("the second Demo changed users or courses")
		}
	})
}

func TestDemoSkipsDatabaseWithOtherData(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if err := seed.Synthetic(ctx, db.Ent, 1, 3, testenv.Now); err != nil {
			t.Fatalf("synthetic: %v", err)
		}
		counts := rowCounts(t, db)
		loaded, err := seed.Demo(ctx, db.Ent, testenv.Now)
		if err != nil || loaded {
			t.Fatalf("Demo on a database with users = %v, %v; want false, nil", loaded, err)
		}
		if again := rowCounts(t, db); fmt.Sprint(again) != fmt.Sprint(counts) {
			t.Fatalf("row counts changed from %v to %v", counts, again)
		}
	})
}

// courseRow is what must come out the same from the same seed.
type courseRow struct {
	ID, Slug, Status                              string
	Enrollments, Lessons, RatingCount, RatingSum  int
	RatingAverage                                 float64
	Sections, AllLessons, Reviews, EnrollmentRows int
}

func syntheticCourses(t *testing.T, db *database.DB) []courseRow {
	t.Helper()
	ctx := viewer.SystemContext(context.Background())
	courses, err := db.Ent.Course.Query().Order(ent.Asc(course.FieldID)).
		WithSections().WithLessons().WithReviews().WithEnrollments().All(ctx)
	if err != nil {
		t.Fatalf("courses: %v", err)
	}
	out := make([]courseRow, len(courses))
	for i, c := range courses {
		out[i] = courseRow{
			ID: c.ID.String(), Slug: c.Slug, Status: string(c.Status),
			Enrollments: c.EnrollmentCount, Lessons: c.LessonCount, RatingCount: c.RatingCount,
			RatingSum: c.RatingSum, RatingAverage: c.RatingAverage,
			Sections: len(c.Edges.Sections), AllLessons: len(c.Edges.Lessons),
			Reviews: len(c.Edges.Reviews), EnrollmentRows: len(c.Edges.Enrollments),
		}
	}
	return out
}

func TestSynthetic(t *testing.T) {
	for _, dialect := range testenv.Dialects {
		name := "sqlite"
		if dialect == database.Postgres {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) {
			t.Run("SameSeedGivesSameData", func(t *testing.T) {
				ctx := context.Background()
				first, second := testenv.Open(t, dialect), testenv.Open(t, dialect)
				for _, db := range []*database.DB{first, second} {
					if err := seed.Synthetic(ctx, db.Ent, 25, 7, testenv.Now); err != nil {
						t.Fatalf("synthetic: %v", err)
					}
				}
				a, b := syntheticCourses(t, first), syntheticCourses(t, second)
				if len(a) != 25 {
					t.Fatalf("got %d courses, want 25", len(a))
				}
				var reviewed int
				for _, c := range a {
					reviewed += c.RatingCount
				}
				if reviewed == 0 {
					t.Fatal("no course has a review; counters were not exercised")
				}
				if !slices.Equal(a, b) {
					for i := range a {
						if a[i] != b[i] {
							t.Errorf("course %d differs:\n first  %+v\n second %+v", i, a[i], b[i])
						}
					}
					t.FailNow()
				}
				if ca, cb := rowCounts(t, first), rowCounts(t, second); fmt.Sprint(ca) != fmt.Sprint(cb) {
					t.Fatalf("row counts differ: %v and %v", ca, cb)
				}
			})

			t.Run("SeedsCoexistInOneDatabase", func(t *testing.T) {
				ctx := context.Background()
				db := testenv.Open(t, dialect)
				if err := seed.Synthetic(ctx, db.Ent, 25, 7, testenv.Now); err != nil {
					t.Fatalf("seed 7: %v", err)
				}
				if err := seed.Synthetic(ctx, db.Ent, 25, 8, testenv.Now); err != nil {
					t.Fatalf("seed 8 beside seed 7: %v", err)
				}
				if n := rowCounts(t, db)["courses"]; n != 50 {
					t.Fatalf("got %d courses, want 50", n)
				}
			})

			t.Run("RejectsCourseCountOutsideRange", func(t *testing.T) {
				ctx := context.Background()
				db := testenv.Open(t, dialect)
				for _, n := range []int{0, -1, 100_001} {
					if err := seed.Synthetic(ctx, db.Ent, n, 7, testenv.Now); err == nil {
						t.Errorf("Synthetic(n=%d) succeeded; want an error", n)
					}
				}
				for table, n := range rowCounts(t, db) {
					if n != 0 {
						t.Errorf("a rejected Synthetic wrote %d rows to %s", n, table)
					}
				}
			})
		})
	}
}

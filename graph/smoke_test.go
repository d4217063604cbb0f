package graph_test

import (
	"testing"

	"lectern/internal/database"
	"lectern/internal/testenv"
)

func TestSmoke(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		c := testenv.NewClient(t, testenv.Seeded(t, db))
		r := c.Query(`{ courses { totalCount edges { node { slug } } } }`, nil)
		var out struct{ Courses struct{ TotalCount int } }
		r.Decode(t, &out)
		if out.Courses.TotalCount != 4 {
			t.Fatalf("totalCount = %d", out.Courses.TotalCount)
		}
	})
}

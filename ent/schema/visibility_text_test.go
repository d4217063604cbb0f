package schema

import (
	"fmt"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"lectern/internal/viewer"
)

// TestRuleTexts: the row rules written from their subqueries' texts, made
// once per dialect, are the statements ent's builder writes, for every
// rule that uses them, anonymous and signed in, beside arguments before
// and after them (placeholders keep their numbers and their values).
func TestRuleTexts(t *testing.T) {
	rules := map[string]rule{
		"courses": courseRule, "sections": inVisibleCourse, "lessons": lessonRule, "assets": assetRule,
	}
	signedIn := viewer.Viewer{UserID: uuid.New()}
	for _, d := range []string{dialect.Postgres, dialect.SQLite, dialect.MySQL} {
		for table, r := range rules {
			for _, anonymous := range []bool{true, false} {
				query := func() (string, []any) {
					s := sql.Dialect(d).Select("id", "title").From(sql.Table(table))
					s.Where(sql.InValues(s.C("section_id"), "a", "b"))
					r(signedIn, anonymous)(s)
					s.Where(sql.EQ(s.C("title"), "c"))
					return s.Query()
				}
				published, staff := publishedTexts, staffTexts
				publishedTexts, staffTexts = nil, nil
				want, wantArgs := query()
				publishedTexts, staffTexts = published, staff
				got, gotArgs := query()
				if got != want || fmt.Sprint(gotArgs) != fmt.Sprint(wantArgs) {
					t.Errorf("%s, %s, anonymous %v:\n got %s %v\nwant %s %v", d, table, anonymous, got, gotArgs, want, wantArgs)
				}
			}
		}
	}
}

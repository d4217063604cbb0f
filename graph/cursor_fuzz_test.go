package graph_test

import (
	"encoding/base64"
	"testing"

	"lectern/internal/database"
	"lectern/internal/testenv"
)

// FuzzCursor posts arbitrary cursors at a top-level and a nested connection:
// whatever a client sends, the answer is data or BAD_USER_INPUT, never an
// internal error.
func FuzzCursor(f *testing.F) {
	for _, seed := range []string{"", "x", "null", "gqFpxBA", base64.StdEncoding.EncodeToString([]byte("\x82\xa1i\xc4\x10")),
		base64.StdEncoding.EncodeToString([]byte{0x81, 0xa1, 0x69, 0xc4, 0x10, 1, 2, 3}), "\x00\xff", "%%%"} {
		f.Add(seed)
	}
	db := testenv.Seeded(f, testenv.Open(f, database.SQLite))
	c := testenv.NewClient(f, db)
	const doc = `query($c: Cursor) {
		courses(first: 2, after: $c) { totalCount }
		course(slug: "backend-development-from-first-principles") { reviews(last: 2, before: $c) { totalCount } }
	}`
	f.Fuzz(func(t *testing.T, cursor string) {
		r := c.For(t).Query(doc, map[string]any{"c": cursor})
		for _, e := range r.Errors {
			switch e.Extensions.Code {
			case "BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED":
			default:
				t.Fatalf("cursor %q: error %+v", cursor, e)
			}
		}
	})
}

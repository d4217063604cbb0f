package database_test

import (
	"testing"

	"lectern/internal/database"
)

func TestWrittenTable(t *testing.T) {
	for q, want := range map[string]string{
		`INSERT INTO "courses" ("id") VALUES ($1) RETURNING "id"`: "courses",
		"INSERT INTO `lessons` (`id`) VALUES (?)":                 "lessons",
		`UPDATE "users" SET "bio" = $1 WHERE "id" = $2`:           "users",
		"  update courses SET enrollment_count = 1":               "courses",
		`DELETE FROM "course_tags" WHERE "course_id" = $1`:        "course_tags",
		"DELETE FROM reviews":                                     "reviews",
		`SELECT "id" FROM "courses" FOR UPDATE`:                   "",
		"UPDATEX courses":                                         "",
		"":                                                        "",
		"INSERT INTO":                                             "",
	} {
		if got := database.WrittenTable(q); got != want {
			t.Errorf("WrittenTable(%q) = %q, want %q", q, got, want)
		}
	}
}

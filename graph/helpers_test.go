package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"lectern/ent/course"
	"lectern/ent/lesson"
	"lectern/internal/database"
	"lectern/internal/seed"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// syntheticSeed is the generator seed of every synthetic dataset in these
// tests, so a failure can be reproduced with the same rows.
const syntheticSeed = 42

// seedSynthetic loads n generated courses into db and returns db.
func seedSynthetic(t testing.TB, db *database.DB, n int) *database.DB {
	t.Helper()
	if err := seed.Synthetic(context.Background(), db.Ent, n, syntheticSeed, testenv.Now); err != nil {
		t.Fatalf("seed synthetic: %v", err)
	}
	return db
}

// requireErrorCode fails unless r carries errors, every one of them with
// code and a request ID, and no data for the failed root field.
func requireErrorCode(t testing.TB, r testenv.Response, code string) {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("want error %s, got none; data: %s", code, r.Data)
	}
	for _, e := range r.Errors {
		if e.Extensions.Code != code {
			t.Errorf("error code = %q (message %q), want %q", e.Extensions.Code, e.Message, code)
		}
		if e.Extensions.RequestID == "" {
			t.Errorf("error %q has no extensions.requestId", e.Message)
		}
	}
}

// requireNoErrors fails when r carries any error.
func requireNoErrors(t testing.TB, r testenv.Response) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
}

// statementSummary lists the statements of a response, one a line, for
// failure messages.
func statementSummary(r testenv.Response) string {
	var b strings.Builder
	for i, s := range r.Extensions.Debug.SQLQueries {
		if len(s) > 300 {
			s = s[:300] + "…"
		}
		fmt.Fprintf(&b, "\n  %d: %s", i+1, s)
	}
	return b.String()
}

// relayPageInfo is the decoded PageInfo of a connection.
type relayPageInfo struct {
	HasNextPage     bool    `json:"hasNextPage"`
	HasPreviousPage bool    `json:"hasPreviousPage"`
	StartCursor     *string `json:"startCursor"`
	EndCursor       *string `json:"endCursor"`
}

// system is a context that sees every row, for reading the database behind
// the API's back.
func asSystem() context.Context { return viewer.SystemContext(context.Background()) }

// courseGlobalID returns the global ID of the course with slug, read from
// the database as the system (so drafts have one too).
func courseGlobalID(t testing.TB, db *database.DB, slug string) string {
	t.Helper()
	c, err := db.Ent.Course.Query().Where(course.Slug(slug)).Only(asSystem())
	if err != nil {
		t.Fatalf("course %s: %v", slug, err)
	}
	return c.GlobalID().String()
}

// lessonGlobalID returns the global ID of a lesson, read as the system.
func lessonGlobalID(t testing.TB, db *database.DB, courseSlug, lessonSlug string) string {
	t.Helper()
	l, err := db.Ent.Lesson.Query().
		Where(lesson.Slug(lessonSlug), lesson.HasCourseWith(course.Slug(courseSlug))).Only(asSystem())
	if err != nil {
		t.Fatalf("lesson %s/%s: %v", courseSlug, lessonSlug, err)
	}
	return l.GlobalID().String()
}

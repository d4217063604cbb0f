package learning_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/internal/gid"
	"lectern/internal/testenv"
)

// The learning mutations, as a client of graph/learning.graphqls sends
// them, and what the tests read of their payloads.

// userError is one entry of a payload's userErrors.
type userError struct {
	Code    string
	Field   []string
	Message string
}

// enrollmentOut is the Enrollment fields the tests read back.
type enrollmentOut struct {
	ID                   string
	Status               string
	CompletedLessonCount int
	CompletedAt          *time.Time
	Progress             float64
	Course               struct {
		ID   string
		Slug string
	}
}

type enrollmentPayload struct {
	Enrollment *enrollmentOut
	UserErrors []userError
}

type reviewOut struct {
	ID     string
	Rating int
	Body   string
	Author struct{ ID string }
	Course struct {
		ID          string
		RatingCount int
	}
}

type reviewPayload struct {
	Review     *reviewOut
	UserErrors []userError
}

type deletePayload struct {
	ReviewID   *string
	UserErrors []userError
}

const (
	enrollmentFields = `id status completedLessonCount completedAt progress course { id slug }`
	reviewFields     = `id rating body author { id } course { id ratingCount }`
	userErrorFields  = `userErrors { code field message }`

	enrollDoc       = `mutation($id: ID!) { enroll(courseId: $id) { enrollment { ` + enrollmentFields + ` } ` + userErrorFields + ` } }`
	unenrollDoc     = `mutation($id: ID!) { unenroll(courseId: $id) { enrollment { ` + enrollmentFields + ` } ` + userErrorFields + ` } }`
	completeDoc     = `mutation($id: ID!) { completeLesson(lessonId: $id) { enrollment { ` + enrollmentFields + ` } ` + userErrorFields + ` } }`
	uncompleteDoc   = `mutation($id: ID!) { uncompleteLesson(lessonId: $id) { enrollment { ` + enrollmentFields + ` } ` + userErrorFields + ` } }`
	createReviewDoc = `mutation($course: ID!, $rating: Int!, $body: String!) {
  createReview(input: {courseId: $course, rating: $rating, body: $body}) { review { ` + reviewFields + ` } ` + userErrorFields + ` } }`
	updateReviewDoc = `mutation($id: ID!, $rating: Int!, $body: String!) {
  updateReview(input: {id: $id, rating: $rating, body: $body}) { review { ` + reviewFields + ` } ` + userErrorFields + ` } }`
	deleteReviewDoc = `mutation($id: ID!) { deleteReview(id: $id) { reviewId ` + userErrorFields + ` } }`
)

// mutate posts a one-field mutation and decodes that field into out,
// failing on top-level errors.
func (c *caller) mutate(t testing.TB, doc string, vars map[string]any, out any) {
	t.Helper()
	var data map[string]json.RawMessage
	c.Query(t, doc, vars).Decode(t, &data)
	if len(data) != 1 {
		t.Fatalf("want one root field, got %v", data)
	}
	for _, raw := range data {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}
}

func (c *caller) enroll(t testing.TB, courseID string) enrollmentPayload {
	t.Helper()
	var p enrollmentPayload
	c.mutate(t, enrollDoc, map[string]any{"id": courseID}, &p)
	return p
}

func (c *caller) unenroll(t testing.TB, courseID string) enrollmentPayload {
	t.Helper()
	var p enrollmentPayload
	c.mutate(t, unenrollDoc, map[string]any{"id": courseID}, &p)
	return p
}

func (c *caller) complete(t testing.TB, lessonID string) enrollmentPayload {
	t.Helper()
	var p enrollmentPayload
	c.mutate(t, completeDoc, map[string]any{"id": lessonID}, &p)
	return p
}

func (c *caller) uncomplete(t testing.TB, lessonID string) enrollmentPayload {
	t.Helper()
	var p enrollmentPayload
	c.mutate(t, uncompleteDoc, map[string]any{"id": lessonID}, &p)
	return p
}

func (c *caller) createReview(t testing.TB, courseID string, rating int, body string) reviewPayload {
	t.Helper()
	var p reviewPayload
	c.mutate(t, createReviewDoc, map[string]any{"course": courseID, "rating": rating, "body": body}, &p)
	return p
}

func (c *caller) updateReview(t testing.TB, id string, rating int, body string) reviewPayload {
	t.Helper()
	var p reviewPayload
	c.mutate(t, updateReviewDoc, map[string]any{"id": id, "rating": rating, "body": body}, &p)
	return p
}

func (c *caller) deleteReview(t testing.TB, id string) deletePayload {
	t.Helper()
	var p deletePayload
	c.mutate(t, deleteReviewDoc, map[string]any{"id": id}, &p)
	return p
}

// requireOK fails when a payload reports user errors.
func requireOK(t testing.TB, what string, errs []userError) {
	t.Helper()
	if len(errs) > 0 {
		t.Fatalf("%s: unexpected userErrors %+v", what, errs)
	}
}

// requireUserError fails unless errs is exactly one error with code on
// field (nil for none).
func requireUserError(t testing.TB, errs []userError, code string, field ...string) {
	t.Helper()
	if len(errs) != 1 || errs[0].Code != code || !slices.Equal(errs[0].Field, field) {
		t.Fatalf("userErrors = %+v, want one %s on %q", errs, code, field)
	}
	if errs[0].Message == "" {
		t.Errorf("user error %s has no message", code)
	}
}

// requireErrorCode fails unless the response is refused with a top-level
// error carrying code and no data for the root field.
func requireErrorCode(t testing.TB, r testenv.Reply, code string) {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("want error %s, got none; data: %s", code, r.Data)
	}
	for _, e := range r.Errors {
		if e.Extensions.Code != code {
			t.Errorf("error code = %q (message %q), want %q", e.Extensions.Code, e.Message, code)
		}
	}
	if d := string(r.Data); d != "" && d != "null" {
		t.Errorf("data = %s, want null", d)
	}
}

// idOf returns the global ID clients see for a row.
func idOf(typ string, id uuid.UUID) string { return gid.New(typ, id).String() }

// parseID returns the row ID behind a global ID of type typ.
func parseID(t testing.TB, s, typ string) uuid.UUID {
	t.Helper()
	id, err := gid.Parse(s)
	if err != nil || id.Type != typ {
		t.Fatalf("%q is not a %s ID (%v)", s, typ, err)
	}
	return id.UUID
}

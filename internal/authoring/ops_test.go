package authoring_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/auditevent"
	"lectern/ent/lesson"
	"lectern/internal/gid"
)

// The course mutations and reads, as a client of graph/authoring.graphqls
// sends them.

// userError is one entry of a payload's userErrors.
type userError struct {
	Code    string   `json:"code"`
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

// courseOut is the course of a payload.
type courseOut struct {
	ID           string     `json:"id"`
	Slug         string     `json:"slug"`
	Title        string     `json:"title"`
	Summary      string     `json:"summary"`
	Description  string     `json:"description"`
	Level        string     `json:"level"`
	Language     string     `json:"language"`
	Status       string     `json:"status"`
	PublishedAt  *time.Time `json:"publishedAt"`
	Requirements []string   `json:"requirements"`
	Takeaways    []string   `json:"takeaways"`
	Version      int        `json:"version"`
	Tags         []struct {
		Slug string `json:"slug"`
	} `json:"tags"`
}

// coursePayload is a CoursePayload, with its JSON as the server sent it.
type coursePayload struct {
	Course     *courseOut  `json:"course"`
	UserErrors []userError `json:"userErrors"`
	Raw        json.RawMessage
}

const payloadSelection = `course { id slug title summary description level language status publishedAt
	requirements takeaways version tags { slug } } userErrors { code field message }`

// op is one authoring mutation: its root field and a document taking
// either $input or $id.
type op struct{ field, doc string }

var (
	createCourse       = inputOp("createCourse", "CreateCourseInput")
	updateCourse       = inputOp("updateCourse", "UpdateCourseInput")
	addCourseMember    = inputOp("addCourseMember", "AddCourseMemberInput")
	removeCourseMember = inputOp("removeCourseMember", "RemoveCourseMemberInput")
	setCourseTags      = inputOp("setCourseTags", "SetCourseTagsInput")
	publishCourse      = idOp("publishCourse")
	archiveCourse      = idOp("archiveCourse")
)

func inputOp(field, inputType string) op {
	return op{field, fmt.Sprintf(`mutation($input: %s!) { %s(input: $input) { %s } }`, inputType, field, payloadSelection)}
}

func idOp(field string) op {
	return op{field, fmt.Sprintf(`mutation($id: ID!) { %s(id: $id) { %s } }`, field, payloadSelection)}
}

// input wraps a mutation's input object as its variables.
func input(fields map[string]any) map[string]any { return map[string]any{"input": fields} }

// byID is the variables of a mutation taking a course ID.
func byID(courseID string) map[string]any { return map[string]any{"id": courseID} }

// call runs o as c and returns its payload, failing on GraphQL errors.
func (c *caller) call(t testing.TB, o op, vars map[string]any) coursePayload {
	t.Helper()
	r := c.Query(t, o.doc, vars)
	var data map[string]json.RawMessage
	r.Decode(t, &data)
	var p coursePayload
	if err := json.Unmarshal(data[o.field], &p); err != nil {
		t.Fatalf("%s payload %s: %v", o.field, data[o.field], err)
	}
	p.Raw = data[o.field]
	return p
}

// refused runs o as c and requires it to fail as a whole with the error
// code, leaving no payload.
func (c *caller) refused(t testing.TB, o op, vars map[string]any, code string) {
	t.Helper()
	r := c.Query(t, o.doc, vars)
	if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != code {
		t.Fatalf("%s: want one %s error, got %+v (data %s)", o.field, code, r.Errors, r.Data)
	}
	if d := strings.TrimSpace(string(r.Data)); d != "null" && d != "" && !strings.Contains(d, `"`+o.field+`":null`) {
		t.Fatalf("%s: refused, but data is %s", o.field, d)
	}
}

// requireOK fails when p carries user errors or no course.
func requireOK(t testing.TB, what string, p coursePayload) *courseOut {
	t.Helper()
	if len(p.UserErrors) > 0 || p.Course == nil {
		t.Fatalf("%s: want success, got %s", what, p.Raw)
	}
	return p.Course
}

// requireUserError fails unless p is exactly one user error with code at
// field (nil for none) and no course.
func requireUserError(t testing.TB, p coursePayload, code string, field ...string) {
	t.Helper()
	if len(p.UserErrors) != 1 || p.UserErrors[0].Code != code || !slices.Equal(p.UserErrors[0].Field, field) {
		t.Fatalf("want user error %s at %q, got %s", code, field, p.Raw)
	}
	if p.Course != nil {
		t.Fatalf("a %s user error comes with a course: %s", code, p.Raw)
	}
	if p.UserErrors[0].Message == "" {
		t.Fatalf("user error %s has no message", code)
	}
}

// sees reports whether c can look up the course by slug.
func (c *caller) sees(t testing.TB, slug string) bool {
	t.Helper()
	var out struct{ Course *struct{ Slug string } }
	c.Query(t, `query($s: String!) { course(slug: $s) { slug } }`, map[string]any{"s": slug}).Decode(t, &out)
	return out.Course != nil
}

// instructors lists the IDs of the people c is shown as teaching the
// course with slug, in the order given.
func (c *caller) instructors(t testing.TB, slug string) []string {
	t.Helper()
	var out struct {
		Course *struct{ Instructors []struct{ ID string } }
	}
	c.Query(t, `query($s: String!) { course(slug: $s) { instructors { id } } }`, map[string]any{"s": slug}).Decode(t, &out)
	if out.Course == nil {
		t.Fatalf("%s cannot see %s", c.Email, slug)
	}
	var ids []string
	for _, u := range out.Course.Instructors {
		ids = append(ids, u.ID)
	}
	return ids
}

// catalogue lists the slugs of the courses c is shown by `courses`.
func (c *caller) catalogue(t testing.TB) []string {
	t.Helper()
	var out struct {
		Courses struct {
			Edges []struct{ Node struct{ Slug string } }
		}
	}
	c.Query(t, `{ courses(first: 100) { edges { node { slug } } } }`, nil).Decode(t, &out)
	var slugs []string
	for _, e := range out.Courses.Edges {
		slugs = append(slugs, e.Node.Slug)
	}
	return slugs
}

// courseGID is the global ID of a course ID.
func courseGID(id uuid.UUID) string { return gid.New("Course", id).String() }

// userGID is the global ID of a user ID.
func userGID(id uuid.UUID) string { return gid.New("User", id).String() }

// parseCourseID returns the row ID behind a Course global ID.
func parseCourseID(t testing.TB, s string) uuid.UUID {
	t.Helper()
	id, err := gid.Parse(s)
	if err != nil || id.Type != "Course" {
		t.Fatalf("%q is not a Course ID (%v)", s, err)
	}
	return id.UUID
}

// draft creates a course as c through the API, with a summary, and
// returns its global ID.
func (c *caller) draft(t testing.TB, slug string) string {
	t.Helper()
	p := c.call(t, createCourse, input(map[string]any{"title": "Course " + slug, "slug": slug,
		"summary": "What " + slug + " is about."}))
	return requireOK(t, "createCourse "+slug, p).ID
}

// publishable creates a course as c with a summary and a section holding
// a published lesson, and returns its global ID.
func (e *env) publishable(t testing.TB, c *caller, slug string) string {
	t.Helper()
	id := c.draft(t, slug)
	e.addSection(t, parseCourseID(t, id), lesson.StatusPUBLISHED)
	return id
}

// requireAudit fails unless the course has exactly n events of action, the
// last by actor with details.
func (e *env) requireAudit(t testing.TB, action string, courseID uuid.UUID, n int, actor uuid.UUID, details map[string]string) {
	t.Helper()
	rows, err := e.db.Ent.AuditEvent.Query().
		Where(auditevent.Action(action), auditevent.TargetID(courseID.String())).
		Order(ent.Asc(auditevent.FieldCreatedAt), ent.Asc(auditevent.FieldID)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("%d %s events for the course, want %d", len(rows), action, n)
	}
	if n == 0 {
		return
	}
	last := rows[n-1]
	if last.ActorID == nil || *last.ActorID != actor {
		t.Errorf("%s actor = %v, want %v", action, last.ActorID, actor)
	}
	if last.TargetType != "Course" {
		t.Errorf("%s target type = %q, want Course", action, last.TargetType)
	}
	if len(last.Details) != len(details) {
		t.Errorf("%s details = %v, want %v", action, last.Details, details)
	}
	for k, v := range details {
		if last.Details[k] != v {
			t.Errorf("%s details = %v, want %v", action, last.Details, details)
		}
	}
}

// sameInstant compares times to the microsecond, the precision PostgreSQL
// keeps.
func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

// requireUnchanged fails when the stored course differs from before in
// anything a refused write could have changed.
func requireUnchanged(t testing.TB, e *env, before *ent.Course) {
	t.Helper()
	after := e.courseByID(t, before.ID)
	if after.Title != before.Title || after.Slug != before.Slug || after.Summary != before.Summary ||
		after.Description != before.Description || after.Level != before.Level || after.Language != before.Language ||
		after.Status != before.Status || !sameInstant(after.PublishedAt, before.PublishedAt) ||
		!slices.Equal(after.Requirements, before.Requirements) || !slices.Equal(after.Takeaways, before.Takeaways) ||
		after.Version != before.Version {
		t.Fatalf("the course changed:\nbefore %+v\n after %+v", before, after)
	}
}

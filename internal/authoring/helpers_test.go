package authoring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/auditevent"
	"lectern/ent/course"
	"lectern/ent/coursemember"
	"lectern/ent/coursetag"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/ent/section"
	"lectern/ent/user"
	"lectern/internal/auth/password"
	"lectern/internal/auth/totp"
	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/seed"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// Demo catalogue facts the tests build on (internal/seed/democontent.go).
const (
	// Published; owned by Amara, Daniel co-teaches it, Priya assists.
	backendCourse = "backend-development-from-first-principles"
	// Published; owned by Claire, Amara co-teaches it, Hannah assists.
	graphqlCourse = "graphql-api-design"
	// Draft with a summary and a section of published lessons, so it
	// qualifies for publishing; owned by Amara, Daniel co-teaches it.
	draftCourse = "event-driven-systems"

	adminEmail  = "admin@example.com"           // global ADMIN
	amaraEmail  = "amara.osei@example.com"      // global INSTRUCTOR
	priyaEmail  = "priya.raman@example.com"     // global LEARNER
	danielEmail = "daniel.kowalski@example.com" // global INSTRUCTOR
	hannahEmail = "hannah.berg@example.com"     // global LEARNER
	kenjiEmail  = "kenji.watanabe@example.com"  // global LEARNER, on no course's staff
)

// testPassword signs in every account that has no demo password.
const testPassword = "a long passphrase only these tests use"

// env is one seeded database with the application handler over it.
type env struct {
	db  *database.DB
	app *testenv.Client
	// hash is testPassword hashed once, so each extra account costs no
	// Argon2 work until it signs in.
	hash string
}

// setup loads the demo catalogue into db, gives the demo accounts their
// known passwords and builds the handler the server runs.
func setup(t *testing.T, db *database.DB) *env {
	t.Helper()
	testenv.Seeded(t, db)
	hasher, err := password.NewHasher(password.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.SetDemoPasswords(context.Background(), db.Ent, hasher.Hash); err != nil {
		t.Fatalf("demo passwords: %v", err)
	}
	hash, err := hasher.Hash(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, app: testenv.NewClient(t, db), hash: hash}
	t.Cleanup(func() {
		if t.Failed() {
			logs := e.app.Logs.String()
			if len(logs) > 20_000 {
				logs = "…" + logs[len(logs)-20_000:]
			}
			t.Logf("app log (tail):\n%s", logs)
		}
	})
	return e
}

// sys is a context that sees every row, for reading what was stored.
func sys() context.Context { return viewer.SystemContext(context.Background()) }

// caller is one API client: anonymous, or signed in with a session token
// sent as `Authorization: Bearer`.
type caller struct {
	app   *testenv.Client
	id    uuid.UUID
	email string
	token string
}

func (e *env) anonymous() *caller { return &caller{app: e.app} }

// as signs in as the account at email over the API. Demo accounts use their
// demo password; any other account gets testPassword first.
func (e *env) as(t testing.TB, email string) *caller {
	t.Helper()
	pw := testPassword
	for _, a := range seed.DemoAccounts {
		if a.Email == email {
			pw = a.Password
		}
	}
	u := e.user(t, email)
	if pw == testPassword && u.PasswordHash == nil {
		if err := e.db.Ent.User.UpdateOne(u).SetPasswordHash(e.hash).Exec(sys()); err != nil {
			t.Fatalf("password for %s: %v", email, err)
		}
	}
	var out struct {
		LogIn struct {
			Token       string
			MfaRequired bool
			UserErrors  []userError
		}
	}
	e.anonymous().do(t, `mutation($e: String!, $p: String!) {
		logIn(input: {email: $e, password: $p, transport: TOKEN}) { token mfaRequired userErrors { code field message } } }`,
		map[string]any{"e": email, "p": pw}).Decode(t, &out)
	if out.LogIn.Token == "" || out.LogIn.MfaRequired || len(out.LogIn.UserErrors) > 0 {
		t.Fatalf("logIn as %s: %+v", email, out.LogIn)
	}
	return &caller{app: e.app, id: u.ID, email: email, token: out.LogIn.Token}
}

// newUser stores an account with testPassword and the global role; an
// unverified one has never confirmed its address.
func (e *env) newUser(t testing.TB, name string, role user.Role, verified bool) *ent.User {
	t.Helper()
	create := e.db.Ent.User.Create().SetEmail(fmt.Sprintf("%s-%s@example.com", name, uuid.NewString()[:8])).
		SetDisplayName(name).SetRole(role).SetPasswordHash(e.hash)
	if verified {
		create.SetEmailVerifiedAt(time.Now())
	}
	u, err := create.Save(sys())
	if err != nil {
		t.Fatalf("user %s: %v", name, err)
	}
	return u
}

// newCaller is newUser, signed in.
func (e *env) newCaller(t testing.TB, name string, role user.Role, verified bool) *caller {
	t.Helper()
	return e.as(t, e.newUser(t, name, role, verified).Email)
}

// mfaAdmin returns a new administrator signed in with a TOTP code, so the
// session has passed two-factor sign-in.
func (e *env) mfaAdmin(t testing.TB) *caller {
	t.Helper()
	secret, err := totp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	u := e.newUser(t, "mfa-admin", user.RoleADMIN, true)
	if err := e.db.Ent.User.UpdateOne(u).SetTotpSecret(testenv.SealTOTP(t, u.ID, secret)).SetMfaEnabledAt(time.Now()).Exec(sys()); err != nil {
		t.Fatalf("enable mfa: %v", err)
	}
	var in struct {
		LogIn struct {
			MfaRequired  bool
			MfaChallenge string
		}
	}
	e.anonymous().do(t, `mutation($e: String!, $p: String!) {
		logIn(input: {email: $e, password: $p, transport: TOKEN}) { mfaRequired mfaChallenge } }`,
		map[string]any{"e": u.Email, "p": testPassword}).Decode(t, &in)
	if !in.LogIn.MfaRequired || in.LogIn.MfaChallenge == "" {
		t.Fatalf("logIn with MFA on: %+v", in.LogIn)
	}
	code, err := totp.Code(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		VerifyMfa struct {
			Token      string
			UserErrors []userError
		}
	}
	e.anonymous().do(t, `mutation($c: String!, $code: String!) {
		verifyMfa(input: {challenge: $c, code: $code, transport: TOKEN}) { token userErrors { code field message } } }`,
		map[string]any{"c": in.LogIn.MfaChallenge, "code": code}).Decode(t, &out)
	if out.VerifyMfa.Token == "" {
		t.Fatalf("verifyMfa: %+v", out.VerifyMfa)
	}
	c := &caller{app: e.app, id: u.ID, email: u.Email, token: out.VerifyMfa.Token}
	var v struct{ Viewer struct{ SessionMfa bool } }
	c.do(t, `{ viewer { sessionMfa } }`, nil).Decode(t, &v)
	if !v.Viewer.SessionMfa {
		t.Fatal("the session from verifyMfa does not count as MFA")
	}
	return c
}

// do posts a GraphQL document as c.
func (c *caller) do(t testing.TB, doc string, vars map[string]any) testenv.Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": doc, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.app.For(t).Do(req)
}

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
	r := c.do(t, o.doc, vars)
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
	r := c.do(t, o.doc, vars)
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
	c.do(t, `query($s: String!) { course(slug: $s) { slug } }`, map[string]any{"s": slug}).Decode(t, &out)
	return out.Course != nil
}

// instructors lists the IDs of the people c is shown as teaching the
// course with slug, in the order given.
func (c *caller) instructors(t testing.TB, slug string) []string {
	t.Helper()
	var out struct {
		Course *struct{ Instructors []struct{ ID string } }
	}
	c.do(t, `query($s: String!) { course(slug: $s) { instructors { id } } }`, map[string]any{"s": slug}).Decode(t, &out)
	if out.Course == nil {
		t.Fatalf("%s cannot see %s", c.email, slug)
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
	c.do(t, `{ courses(first: 100) { edges { node { slug } } } }`, nil).Decode(t, &out)
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

func (e *env) user(t testing.TB, email string) *ent.User {
	t.Helper()
	u, err := e.db.Ent.User.Query().Where(user.Email(email)).Only(sys())
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u
}

// course reads the stored course with slug.
func (e *env) course(t testing.TB, slug string) *ent.Course {
	t.Helper()
	c, err := e.db.Ent.Course.Query().Where(course.Slug(slug)).Only(sys())
	if err != nil {
		t.Fatalf("course %s: %v", slug, err)
	}
	return c
}

// courseByID reads the stored course with id.
func (e *env) courseByID(t testing.TB, id uuid.UUID) *ent.Course {
	t.Helper()
	c, err := e.db.Ent.Course.Get(sys(), id)
	if err != nil {
		t.Fatalf("course %s: %v", id, err)
	}
	return c
}

// courseCount counts every stored course.
func (e *env) courseCount(t testing.TB) int {
	t.Helper()
	n, err := e.db.Ent.Course.Query().Count(sys())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// slugExists reports whether any stored course has slug.
func (e *env) slugExists(t testing.TB, slug string) bool {
	t.Helper()
	ok, err := e.db.Ent.Course.Query().Where(course.Slug(slug)).Exist(sys())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// staff returns the stored course roles of a course by user.
func (e *env) staff(t testing.TB, courseID uuid.UUID) map[uuid.UUID]coursemember.Role {
	t.Helper()
	rows, err := e.db.Ent.CourseMember.Query().Where(coursemember.CourseID(courseID)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	out := map[uuid.UUID]coursemember.Role{}
	for _, m := range rows {
		out[m.UserID] = m.Role
	}
	return out
}

// enrollments counts a course's stored enrolments.
func (e *env) enrollments(t testing.TB, courseID uuid.UUID) int {
	t.Helper()
	n, err := e.db.Ent.Enrollment.Query().Where(enrollment.CourseID(courseID)).Count(sys())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// tagSlugs returns the slugs of a course's stored tags, sorted.
func (e *env) tagSlugs(t testing.TB, courseID uuid.UUID) []string {
	t.Helper()
	rows, err := e.db.Ent.CourseTag.Query().Where(coursetag.CourseID(courseID)).WithTag().All(sys())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Edges.Tag.Slug)
	}
	slices.Sort(out)
	return out
}

// audits returns the audit events of action about a course, oldest first.
func (e *env) audits(t testing.TB, action string, courseID uuid.UUID) []*ent.AuditEvent {
	t.Helper()
	rows, err := e.db.Ent.AuditEvent.Query().
		Where(auditevent.Action(action), auditevent.TargetID(courseID.String())).
		Order(ent.Asc(auditevent.FieldCreatedAt), ent.Asc(auditevent.FieldID)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// requireAudit fails unless the course has exactly n events of action, the
// last by actor with details.
func (e *env) requireAudit(t testing.TB, action string, courseID uuid.UUID, n int, actor uuid.UUID, details map[string]string) {
	t.Helper()
	rows := e.audits(t, action, courseID)
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

// addSection stores a section at the end of a course with one lesson per
// status given, written behind the API's back to shape a course's content.
func (e *env) addSection(t testing.TB, courseID uuid.UUID, statuses ...lesson.Status) {
	t.Helper()
	n, err := e.db.Ent.Section.Query().Where(section.CourseID(courseID)).Count(sys())
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.db.Ent.Section.Create().SetCourseID(courseID).SetTitle(fmt.Sprintf("Section %d", n+1)).
		SetPosition(n).Save(sys())
	if err != nil {
		t.Fatalf("section: %v", err)
	}
	for i, st := range statuses {
		create := e.db.Ent.Lesson.Create().SetCourseID(courseID).SetSectionID(s.ID).
			SetSlug(fmt.Sprintf("lesson-%s-%d", s.ID.String()[:8], i)).SetTitle("A lesson").
			SetBody("Some text.").SetPosition(i).SetStatus(st)
		if st == lesson.StatusPUBLISHED {
			create.SetPublishedAt(time.Now())
		}
		if err := create.Exec(sys()); err != nil {
			t.Fatalf("lesson: %v", err)
		}
	}
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

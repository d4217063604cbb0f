package learning_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/ent/lessonprogress"
	"lectern/ent/review"
	"lectern/ent/user"
	"lectern/internal/auth/password"
	"lectern/internal/auth/totp"
	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// Demo catalogue facts the tests build on (internal/seed/democontent.go).
const (
	// Published: 4 published lessons and 1 draft.
	indexingCourse = "postgresql-indexing-in-practice"
	// Published: 5 published lessons and 1 draft; Amara co-teaches it.
	graphqlCourse = "graphql-api-design"
	// Published: 5 published lessons.
	sqlCourse = "introduction-a-sql"
	// Published; Priya (a LEARNER globally) is one of its assistants.
	backendCourse = "backend-development-from-first-principles"
	// Draft, owned by Amara.
	draftCourse = "event-driven-systems"
	// Archived.
	archivedCourse = "legacy-monolith-migration"

	priyaEmail = "priya.raman@example.com"
	amaraEmail = "amara.osei@example.com"
	adminEmail = "admin@example.com"
	omarEmail  = "omar.haddad@example.com"
)

// testPassword signs in every account a test uses. It is hashed once per
// database, so each account costs one Argon2 verification at sign-in only.
const testPassword = "a long test passphrase nobody uses"

// env is one seeded database with the application handler over it.
type env struct {
	db   *database.DB
	c    *testenv.Client
	hash string
}

// setup loads the demo catalogue into db and builds the handler.
func setup(t *testing.T, db *database.DB) *env {
	t.Helper()
	hasher, err := password.NewHasher(password.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	hash, err := hasher.Hash(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Seeded(t, db)
	return &env{db: db, c: testenv.NewClient(t, db), hash: hash}
}

func sys() context.Context { return viewer.SystemContext(context.Background()) }

// caller is someone sending requests: a signed-in account (token set) or
// nobody.
type caller struct {
	ID    uuid.UUID
	Email string
	token string
	c     *testenv.Client
}

// anonymous returns a caller without credentials.
func (e *env) anonymous() *caller { return &caller{c: e.c} }

// newUser creates an account (verified or not) and signs in to it over HTTP.
func (e *env) newUser(t testing.TB, name string, verified bool) *caller {
	t.Helper()
	email := fmt.Sprintf("%s-%s@example.test", name, uuid.NewString()[:8])
	create := e.db.Ent.User.Create().SetEmail(email).SetDisplayName(name).
		SetRole(user.RoleLEARNER).SetPasswordHash(e.hash)
	if verified {
		create.SetEmailVerifiedAt(testenv.Now)
	}
	if _, err := create.Save(sys()); err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return e.signIn(t, email)
}

// learner is a new account with a verified address.
func (e *env) learner(t testing.TB, name string) *caller { return e.newUser(t, name, true) }

// seeded signs in to a demo account, giving it the test password first.
func (e *env) seeded(t testing.TB, email string) *caller {
	t.Helper()
	if err := e.db.Ent.User.Update().Where(user.Email(email)).SetPasswordHash(e.hash).Exec(sys()); err != nil {
		t.Fatalf("set password of %s: %v", email, err)
	}
	return e.signIn(t, email)
}

// seededWithMFA signs in to a demo account through its second factor: the
// account gets a TOTP secret, then logIn's challenge is answered with the
// current code, so the session is one that passed MFA.
func (e *env) seededWithMFA(t testing.TB, email string) *caller {
	t.Helper()
	secret, err := totp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.db.Ent.User.Query().Where(user.Email(email)).OnlyID(sys())
	if err != nil {
		t.Fatalf("find %s: %v", email, err)
	}
	if err := e.db.Ent.User.UpdateOneID(id).SetPasswordHash(e.hash).
		SetTotpSecret(testenv.SealTOTP(t, id, secret)).SetMfaEnabledAt(testenv.Now).Exec(sys()); err != nil {
		t.Fatalf("arm MFA of %s: %v", email, err)
	}
	var in struct {
		LogIn struct{ MfaChallenge string }
	}
	e.c.For(t).Query(`mutation($e: String!, $p: String!) {
  logIn(input: {email: $e, password: $p, transport: TOKEN}) { mfaChallenge }
}`, map[string]any{"e": email, "p": testPassword}).Decode(t, &in)
	code, err := totp.Code(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		VerifyMfa struct {
			Token  string
			Viewer struct{ User struct{ ID string } }
		}
	}
	e.c.For(t).Query(`mutation($ch: String!, $code: String!) {
  verifyMfa(input: {challenge: $ch, code: $code, transport: TOKEN}) { token viewer { user { id } } }
}`, map[string]any{"ch": in.LogIn.MfaChallenge, "code": code}).Decode(t, &out)
	if out.VerifyMfa.Token == "" {
		t.Fatalf("verifyMfa as %s failed", email)
	}
	return &caller{ID: parseID(t, out.VerifyMfa.Viewer.User.ID, "User"), Email: email, token: out.VerifyMfa.Token, c: e.c}
}

// signIn logs in with transport TOKEN, the way an API client does.
func (e *env) signIn(t testing.TB, email string) *caller {
	t.Helper()
	var out struct {
		LogIn struct {
			Token      string
			Viewer     struct{ User struct{ ID string } }
			UserErrors []userError
		}
	}
	e.c.For(t).Query(`mutation($e: String!, $p: String!) {
  logIn(input: {email: $e, password: $p, transport: TOKEN}) { token viewer { user { id } } userErrors { code field message } }
}`, map[string]any{"e": email, "p": testPassword}).Decode(t, &out)
	if out.LogIn.Token == "" {
		t.Fatalf("logIn as %s: %+v", email, out.LogIn.UserErrors)
	}
	return &caller{ID: parseID(t, out.LogIn.Viewer.User.ID, "User"), Email: email, token: out.LogIn.Token, c: e.c}
}

// query posts a GraphQL document as the caller.
func (c *caller) query(t testing.TB, doc string, vars map[string]any) testenv.Response {
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
	return c.c.For(t).Do(req)
}

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
	c.query(t, doc, vars).Decode(t, &data)
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
func requireErrorCode(t testing.TB, r testenv.Response, code string) {
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

func parseID(t testing.TB, s, typ string) uuid.UUID {
	t.Helper()
	id, err := gid.Parse(s)
	if err != nil || id.Type != typ {
		t.Fatalf("%q is not a %s ID (%v)", s, typ, err)
	}
	return id.UUID
}

// course reads a course's stored row, as the system.
func (e *env) course(t testing.TB, slug string) *ent.Course {
	t.Helper()
	c, err := e.db.Ent.Course.Query().Where(course.Slug(slug)).Only(sys())
	if err != nil {
		t.Fatalf("course %s: %v", slug, err)
	}
	return c
}

func (e *env) courseGID(t testing.TB, slug string) string {
	t.Helper()
	return e.course(t, slug).GlobalID().String()
}

// lessons returns the global IDs of a course's published and draft lessons.
func (e *env) lessons(t testing.TB, slug string) (published, drafts []string) {
	t.Helper()
	all, err := e.db.Ent.Lesson.Query().Where(lesson.HasCourseWith(course.Slug(slug))).All(sys())
	if err != nil {
		t.Fatalf("lessons of %s: %v", slug, err)
	}
	for _, l := range all {
		if l.Status == lesson.StatusPUBLISHED {
			published = append(published, l.GlobalID().String())
		} else {
			drafts = append(drafts, l.GlobalID().String())
		}
	}
	return published, drafts
}

// enrollment reads the stored enrolment of a user in a course, or nil.
func (e *env) enrollment(t testing.TB, userID uuid.UUID, slug string) *ent.Enrollment {
	t.Helper()
	rows, err := e.db.Ent.Enrollment.Query().
		Where(enrollment.UserID(userID), enrollment.HasCourseWith(course.Slug(slug))).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	switch len(rows) {
	case 0:
		return nil
	case 1:
		return rows[0]
	}
	t.Fatalf("%d enrolments of %s in %s, want at most one", len(rows), userID, slug)
	return nil
}

// enrollmentCount counts every stored enrolment of a user, any status.
func (e *env) enrollmentCount(t testing.TB, userID uuid.UUID) int {
	t.Helper()
	n, err := e.db.Ent.Enrollment.Query().Where(enrollment.UserID(userID)).Count(sys())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// progressRows counts the stored lesson completions of a user, across
// all their enrolments.
func (e *env) progressRows(t testing.TB, userID uuid.UUID) int {
	t.Helper()
	n, err := e.db.Ent.LessonProgress.Query().
		Where(lessonprogress.HasEnrollmentWith(enrollment.UserID(userID))).Count(sys())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// reviews returns the stored reviews of a user in a course.
func (e *env) reviews(t testing.TB, userID uuid.UUID, slug string) []*ent.Review {
	t.Helper()
	rows, err := e.db.Ent.Review.Query().
		Where(review.UserID(userID), review.HasCourseWith(course.Slug(slug))).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// requireRatings fails unless the course's stored rating counters are
// count, sum and sum/count.
func (e *env) requireRatings(t testing.TB, slug string, count, sum int) {
	t.Helper()
	c := e.course(t, slug)
	want := 0.0
	if count > 0 {
		want = float64(sum) / float64(count)
	}
	if c.RatingCount != count || c.RatingSum != sum || !near(c.RatingAverage, want) {
		t.Fatalf("%s ratings = count %d, sum %d, average %v; want %d, %d, %v",
			slug, c.RatingCount, c.RatingSum, c.RatingAverage, count, sum, want)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// longText returns n characters of multi-byte text, so limits are shown
// to count characters rather than bytes.
func longText(n int) string { return strings.Repeat("é", n) }

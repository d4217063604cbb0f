package authoring_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/course"
	"lectern/ent/coursemember"
	"lectern/ent/coursetag"
	"lectern/ent/enrollment"
	"lectern/ent/lesson"
	"lectern/ent/section"
	"lectern/ent/user"
	"lectern/internal/database"
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

// env is a test's own database, holding the demo catalogue with the demo
// accounts' passwords set, and the handler the server runs over it.
type env struct {
	db  *database.DB
	app *testenv.Client
}

// setup builds the calling test's environment, one no other test shares.
func setup(t *testing.T, dialect string) *env {
	t.Helper()
	db := testenv.Fresh(t, dialect, testenv.DemoSignIn)
	e := &env{db: db, app: testenv.NewClient(t, db)}
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

// caller is one API client, anonymous or signed in with a session token
// sent as `Authorization: Bearer`, with the authoring operations it
// performs.
type caller struct{ *testenv.Caller }

func (e *env) anonymous() *caller { return &caller{e.app.NewCaller()} }

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
	if pw == testPassword && e.user(t, email).PasswordHash == nil {
		testenv.SetPassword(t, e.db, email, testPassword)
	}
	c := e.anonymous()
	c.SignIn(t, email, pw, testenv.TokenTransport)
	return c
}

// newUser stores an account with testPassword and the global role; an
// unverified one has never confirmed its address.
func (e *env) newUser(t testing.TB, name string, role user.Role, verified bool) *ent.User {
	t.Helper()
	a := testenv.Account{DisplayName: name, Role: role, Password: testPassword}
	if verified {
		a.VerifiedAt = time.Now()
	}
	return testenv.CreateAccount(t, e.db, a)
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
	u := e.newUser(t, "mfa-admin", user.RoleADMIN, true)
	secret := testenv.EnableTOTP(t, e.db, u.ID, time.Now())
	c := e.anonymous()
	c.SignInMFA(t, u.Email, testPassword, testenv.TOTPCode(t, secret, time.Now()), testenv.TokenTransport)
	var v struct{ Viewer struct{ SessionMfa bool } }
	c.Query(t, `{ viewer { sessionMfa } }`, nil).Decode(t, &v)
	if !v.Viewer.SessionMfa {
		t.Fatal("the session from verifyMfa does not count as MFA")
	}
	return c
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

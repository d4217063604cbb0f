package learning_test

import (
	"context"
	"math"
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
	"lectern/internal/database"
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

// testPassword signs in every account a test uses. testenv hashes it once
// per process, so each account costs one Argon2 verification at sign-in
// only.
const testPassword = "a long test passphrase nobody uses"

// env is a test's own database, holding the demo catalogue, and the handler
// the server runs over it.
type env struct {
	db *database.DB
	c  *testenv.Client
}

// setup builds the calling test's environment, one no other test shares.
func setup(t *testing.T, dialect string) *env {
	t.Helper()
	db := testenv.Fresh(t, dialect, testenv.Demo)
	return &env{db: db, c: testenv.NewClient(t, db)}
}

func sys() context.Context { return viewer.SystemContext(context.Background()) }

// caller is someone sending requests, signed in with a session token or
// nobody, with the learning operations they perform.
type caller struct{ *testenv.Caller }

// anonymous returns a caller without credentials.
func (e *env) anonymous() *caller { return &caller{e.c.NewCaller()} }

// newUser creates an account (verified or not) and signs in to it over HTTP.
func (e *env) newUser(t testing.TB, name string, verified bool) *caller {
	t.Helper()
	a := testenv.Account{DisplayName: name, Password: testPassword}
	if verified {
		a.VerifiedAt = testenv.Now
	}
	return e.signIn(t, testenv.CreateAccount(t, e.db, a).Email)
}

// learner is a new account with a verified address.
func (e *env) learner(t testing.TB, name string) *caller { return e.newUser(t, name, true) }

// seeded signs in to a demo account, giving it the test password first.
func (e *env) seeded(t testing.TB, email string) *caller {
	t.Helper()
	testenv.SetPassword(t, e.db, email, testPassword)
	return e.signIn(t, email)
}

// seededWithMFA signs in to a demo account through its second factor: the
// account gets a TOTP secret, then logIn's challenge is answered with the
// current code, so the session is one that passed MFA.
func (e *env) seededWithMFA(t testing.TB, email string) *caller {
	t.Helper()
	id := testenv.SetPassword(t, e.db, email, testPassword)
	secret := testenv.EnableTOTP(t, e.db, id, testenv.Now)
	c := e.anonymous()
	c.SignInMFA(t, email, testPassword, testenv.TOTPCode(t, secret, time.Now()), testenv.TokenTransport)
	return c
}

// signIn logs in with transport TOKEN, the way an API client does.
func (e *env) signIn(t testing.TB, email string) *caller {
	t.Helper()
	c := e.anonymous()
	c.SignIn(t, email, testPassword, testenv.TokenTransport)
	return c
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

package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"lectern/ent/apitoken"
	"lectern/ent/course"
	"lectern/ent/coursemember"
	"lectern/ent/lesson"
	"lectern/ent/session"
	"lectern/ent/user"
	"lectern/graph"
	"lectern/internal/apperr"
	"lectern/internal/auth/password"
	"lectern/internal/auth/secret"
	"lectern/internal/auth/totp"
	"lectern/internal/counter"
	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/seed"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// Kinds of caller of TestObjectAuthorization. Course roles are rows of
// course_members: the assistant, instructor and owner hold theirs in every
// course of the fixture.
const (
	asAnonymous       = "anonymous"
	asUnverified      = "unverified learner"
	asLearner         = "learner"
	asEnrolled        = "enrolled learner"
	asAssistant       = "course assistant"
	asInstructor      = "course instructor"
	asOwner           = "course owner"
	asOtherInstructor = "unrelated instructor"
	asAdmin           = "admin without MFA"
	asAdminMFA        = "admin with MFA"
	asReadToken       = "owner's READ token"
	// asAdminToken is a READ token of the administrator with MFA: a token
	// never passes MFA, so it never reads as an administrator.
	asAdminToken = "MFA admin's READ token"
)

// objCallers is every kind of caller; each row of the table decides all.
var objCallers = []string{asAnonymous, asUnverified, asLearner, asEnrolled, asAssistant, asInstructor,
	asOwner, asOtherInstructor, asAdmin, asAdminMFA, asReadToken, asAdminToken}

// Outcomes besides allow, unauth and forbid (authz_test.go): a payload
// whose userErrors carry the code.
const (
	notFound         = "userError NOT_FOUND"
	emailNotVerified = "userError EMAIL_NOT_VERIFIED"
	ownCourse        = "userError OWN_COURSE"
	notPublished     = "userError NOT_PUBLISHED"
	notEnrolled      = "userError NOT_ENROLLED"
)

var (
	// editCourse: a draft's owner and instructors change its details and
	// content; its assistant reads it and changes nothing; administrators
	// need a session that passed MFA, without which they cannot see other
	// people's drafts at all. Callers who cannot see a draft are told it
	// does not exist, and the answer must not tell them otherwise.
	// Writing needs the global INSTRUCTOR role (the policy refuses
	// learners before any row is read, so the answer says nothing about
	// the course) and a verified address. A READ token runs no mutation,
	// whoever owns it.
	editCourse = map[string]string{
		asAnonymous:       unauth,
		asUnverified:      forbid,
		asLearner:         forbid,
		asEnrolled:        forbid,
		asAssistant:       forbid,
		asInstructor:      allow,
		asOwner:           allow,
		asOtherInstructor: notFound,
		asAdmin:           notFound,
		asAdminMFA:        allow,
		asReadToken:       forbid,
		asAdminToken:      forbid,
	}
	// manageCourse: publishing, archiving and staffing are the owner's
	// alone among the course's staff.
	manageCourse = objWith(editCourse, asInstructor, forbid)
	// administer: administrators from a session that passed MFA; the
	// policy refuses everyone else before any row is read.
	administer = map[string]string{
		asAnonymous:       unauth,
		asUnverified:      forbid,
		asLearner:         forbid,
		asEnrolled:        forbid,
		asAssistant:       forbid,
		asInstructor:      forbid,
		asOwner:           forbid,
		asOtherInstructor: forbid,
		asAdmin:           forbid,
		asAdminMFA:        allow,
		asReadToken:       forbid,
		asAdminToken:      forbid,
	}
)

// objWith returns a copy of row with caller's outcome replaced.
func objWith(row map[string]string, caller, outcome string) map[string]string {
	out := maps.Clone(row)
	out[caller] = outcome
	return out
}

// objTarget names the object a case addresses: its type (for a random ID
// of the same type) and where the fixture keeps it.
type objTarget struct {
	typ  string
	pick func(*objFixture) uuid.UUID
}

var (
	objDraft      = objTarget{"Course", func(f *objFixture) uuid.UUID { return f.draft }}
	objSection    = objTarget{"Section", func(f *objFixture) uuid.UUID { return f.section }}
	objLesson     = objTarget{"Lesson", func(f *objFixture) uuid.UUID { return f.lesson }}
	objFAQ        = objTarget{"FAQEntry", func(f *objFixture) uuid.UUID { return f.faq }}
	objPublished  = objTarget{"Course", func(f *objFixture) uuid.UUID { return f.published }}
	objDoneLesson = objTarget{"Lesson", func(f *objFixture) uuid.UUID { return f.doneLesson }}
	objNextLesson = objTarget{"Lesson", func(f *objFixture) uuid.UUID { return f.nextLesson }}
	objReview     = objTarget{"Review", func(f *objFixture) uuid.UUID { return f.review }}
	objBystander  = objTarget{"User", func(f *objFixture) uuid.UUID { return f.bystander }}
)

// objCase is one row of the specification: a mutation on one object of
// the fixture and the outcome for every kind of caller.
type objCase struct {
	op string
	// doc addresses the object as $id (and a user as $user when user is
	// set); it selects the payload's object so an allowed call is seen to
	// return it.
	doc    string
	target objTarget
	user   func(*objFixture) uuid.UUID
	want   map[string]string
	// idempotent lists callers for whom the allowed call finds its work
	// already done in the fixture, so no row changes.
	idempotent []string
}

// objCases is the specification of object-level authorization. Course
// writes address the draft course; learning addresses the published one.
var objCases = []objCase{
	{op: "updateCourse", target: objDraft, want: editCourse,
		doc: `mutation($id: ID!) { updateCourse(input: {id: $id, expectedVersion: 1, title: "Renamed course"}) { course { id } userErrors { code field message } } }`},
	{op: "publishCourse", target: objDraft, want: manageCourse,
		doc: `mutation($id: ID!) { publishCourse(id: $id) { course { id } userErrors { code field message } } }`},
	// A draft was never in the catalogue: archiving it is refused even to
	// those who may archive.
	{op: "archiveCourse", target: objDraft, want: objWith(objWith(manageCourse, asOwner, notPublished), asAdminMFA, notPublished),
		doc: `mutation($id: ID!) { archiveCourse(id: $id) { course { id } userErrors { code field message } } }`},
	{op: "addCourseMember", target: objDraft, want: manageCourse, user: func(f *objFixture) uuid.UUID { return f.newMember },
		doc: `mutation($id: ID!, $user: ID!) { addCourseMember(input: {courseId: $id, userId: $user, role: ASSISTANT}) { course { id } userErrors { code field message } } }`},
	{op: "removeCourseMember", target: objDraft, want: manageCourse, user: func(f *objFixture) uuid.UUID { return f.assistant },
		doc: `mutation($id: ID!, $user: ID!) { removeCourseMember(input: {courseId: $id, userId: $user}) { course { id } userErrors { code field message } } }`},
	{op: "setCourseTags", target: objDraft, want: editCourse,
		doc: `mutation($id: ID!) { setCourseTags(input: {courseId: $id, tags: ["` + objTagSlug + `"]}) { course { id } userErrors { code field message } } }`},
	{op: "createSection", target: objDraft, want: editCourse,
		doc: `mutation($id: ID!) { createSection(input: {courseId: $id, title: "New section"}) { section { id } userErrors { code field message } } }`},
	{op: "updateSection", target: objSection, want: editCourse,
		doc: `mutation($id: ID!) { updateSection(input: {id: $id, title: "Renamed section"}) { section { id } userErrors { code field message } } }`},
	{op: "moveSection", target: objSection, want: editCourse,
		doc: `mutation($id: ID!) { moveSection(input: {id: $id, position: 1}) { section { id } userErrors { code field message } } }`},
	{op: "deleteSection", target: objSection, want: editCourse,
		doc: `mutation($id: ID!) { deleteSection(id: $id) { deletedId userErrors { code field message } } }`},
	{op: "createLesson", target: objSection, want: editCourse,
		doc: `mutation($id: ID!) { createLesson(input: {sectionId: $id, title: "New lesson", slug: "new-lesson"}) { lesson { id } userErrors { code field message } } }`},
	{op: "updateLesson", target: objLesson, want: editCourse,
		doc: `mutation($id: ID!) { updateLesson(input: {id: $id, title: "Renamed lesson"}) { lesson { id } userErrors { code field message } } }`},
	{op: "moveLesson", target: objLesson, want: editCourse,
		doc: `mutation($id: ID!) { moveLesson(input: {id: $id, position: 0}) { lesson { id } userErrors { code field message } } }`},
	{op: "deleteLesson", target: objLesson, want: editCourse,
		doc: `mutation($id: ID!) { deleteLesson(id: $id) { deletedId userErrors { code field message } } }`},
	{op: "publishLesson", target: objLesson, want: editCourse,
		doc: `mutation($id: ID!) { publishLesson(id: $id) { lesson { id } userErrors { code field message } } }`},
	{op: "createFaqEntry", target: objDraft, want: editCourse,
		doc: `mutation($id: ID!) { createFaqEntry(input: {courseId: $id, question: "Is there a certificate?", answer: "No."}) { faqEntry { id } userErrors { code field message } } }`},
	{op: "updateFaqEntry", target: objFAQ, want: editCourse,
		doc: `mutation($id: ID!) { updateFaqEntry(input: {id: $id, answer: "Yes, on completion."}) { faqEntry { id } userErrors { code field message } } }`},
	{op: "moveFaqEntry", target: objFAQ, want: editCourse,
		doc: `mutation($id: ID!) { moveFaqEntry(input: {id: $id, position: 1}) { faqEntry { id } userErrors { code field message } } }`},
	{op: "deleteFaqEntry", target: objFAQ, want: editCourse,
		doc: `mutation($id: ID!) { deleteFaqEntry(id: $id) { deletedId userErrors { code field message } } }`},
	// The draft has no cover: those who may remove one find nothing to do.
	{op: "removeCourseCover", target: objDraft, want: editCourse, idempotent: []string{asInstructor, asOwner, asAdminMFA},
		doc: `mutation($id: ID!) { removeCourseCover(courseId: $id) { course { id } userErrors { code field message } } }`},

	// Enrolling is for anyone with a verified address except the course's
	// staff; enrolling again changes nothing.
	{op: "enroll", target: objPublished, idempotent: []string{asEnrolled},
		doc: `mutation($id: ID!) { enroll(courseId: $id) { enrollment { id } userErrors { code field message } } }`,
		want: map[string]string{
			asAnonymous:       unauth,
			asUnverified:      emailNotVerified,
			asLearner:         allow,
			asEnrolled:        allow,
			asAssistant:       ownCourse,
			asInstructor:      ownCourse,
			asOwner:           ownCourse,
			asOtherInstructor: allow,
			asAdmin:           allow,
			asAdminMFA:        allow,
			asReadToken:       forbid,
			asAdminToken:      forbid,
		}},
	// Unenrolling without an enrolment is NOT_FOUND, for administrators too:
	// it acts on the caller's own enrolment only.
	{op: "unenroll", target: objPublished,
		doc: `mutation($id: ID!) { unenroll(courseId: $id) { enrollment { id } userErrors { code field message } } }`,
		want: map[string]string{
			asAnonymous:       unauth,
			asUnverified:      emailNotVerified,
			asLearner:         notFound,
			asEnrolled:        allow,
			asAssistant:       notFound,
			asInstructor:      notFound,
			asOwner:           notFound,
			asOtherInstructor: notFound,
			asAdmin:           notFound,
			asAdminMFA:        notFound,
			asReadToken:       forbid,
			asAdminToken:      forbid,
		}},
	// Progress needs an active enrolment in the lesson's course; the staff
	// see the published lesson but have none.
	{op: "completeLesson", target: objNextLesson, want: objProgress,
		doc: `mutation($id: ID!) { completeLesson(lessonId: $id) { enrollment { id } userErrors { code field message } } }`},
	{op: "uncompleteLesson", target: objDoneLesson, want: objProgress,
		doc: `mutation($id: ID!) { uncompleteLesson(lessonId: $id) { enrollment { id } userErrors { code field message } } }`},
	// Reviews need an enrolment and are never of a course one teaches.
	{op: "createReview", target: objPublished,
		doc: `mutation($id: ID!) { createReview(input: {courseId: $id, rating: 5, body: "Clear and well paced."}) { review { id } userErrors { code field message } } }`,
		want: map[string]string{
			asAnonymous:       unauth,
			asUnverified:      emailNotVerified,
			asLearner:         notEnrolled,
			asEnrolled:        allow,
			asAssistant:       ownCourse,
			asInstructor:      ownCourse,
			asOwner:           ownCourse,
			asOtherInstructor: notEnrolled,
			asAdmin:           notEnrolled,
			asAdminMFA:        notEnrolled,
			asReadToken:       forbid,
			asAdminToken:      forbid,
		}},
	// Only its author changes a review: anyone else's is NOT_FOUND, for
	// administrators too (they moderate by deleting).
	{op: "updateReview", target: objReview,
		doc: `mutation($id: ID!) { updateReview(input: {id: $id, rating: 5}) { review { id } userErrors { code field message } } }`,
		want: map[string]string{
			asAnonymous:       unauth,
			asUnverified:      emailNotVerified,
			asLearner:         notFound,
			asEnrolled:        allow,
			asAssistant:       notFound,
			asInstructor:      notFound,
			asOwner:           notFound,
			asOtherInstructor: notFound,
			asAdmin:           notFound,
			asAdminMFA:        notFound,
			asReadToken:       forbid,
			asAdminToken:      forbid,
		}},
	// Its author or an administrator from an MFA session deletes a review;
	// others see it and are refused.
	{op: "deleteReview", target: objReview,
		doc: `mutation($id: ID!) { deleteReview(id: $id) { reviewId userErrors { code field message } } }`,
		want: map[string]string{
			asAnonymous:       unauth,
			asUnverified:      emailNotVerified,
			asLearner:         forbid,
			asEnrolled:        allow,
			asAssistant:       forbid,
			asInstructor:      forbid,
			asOwner:           forbid,
			asOtherInstructor: forbid,
			asAdmin:           forbid,
			asAdminMFA:        allow,
			asReadToken:       forbid,
			asAdminToken:      forbid,
		}},

	// A course's learners are exported by its owner and instructors and
	// by administrators from an MFA session; to anyone else, the assistant
	// included, the course does not exist.
	{op: "requestExport", target: objPublished,
		doc: `mutation($id: ID!) { requestExport(input: {kind: COURSE_LEARNERS_CSV, courseId: $id}) { export { id } userErrors { code field message } } }`,
		want: map[string]string{
			asAnonymous:       unauth,
			asUnverified:      emailNotVerified,
			asLearner:         notFound,
			asEnrolled:        notFound,
			asAssistant:       notFound,
			asInstructor:      allow,
			asOwner:           allow,
			asOtherInstructor: notFound,
			asAdmin:           notFound,
			asAdminMFA:        allow,
			asReadToken:       forbid,
			asAdminToken:      forbid,
		}},

	{op: "setUserRole", target: objBystander, want: administer,
		doc: `mutation($id: ID!) { setUserRole(input: {userId: $id, role: INSTRUCTOR}) { user { id } userErrors { code field message } } }`},
	{op: "disableUser", target: objBystander, want: administer,
		doc: `mutation($id: ID!) { disableUser(id: $id) { user { id } userErrors { code field message } } }`},
}

// objProgress is completing or taking back a published lesson.
var objProgress = map[string]string{
	asAnonymous:       unauth,
	asUnverified:      emailNotVerified,
	asLearner:         notEnrolled,
	asEnrolled:        allow,
	asAssistant:       notEnrolled,
	asInstructor:      notEnrolled,
	asOwner:           notEnrolled,
	asOtherInstructor: notEnrolled,
	asAdmin:           notEnrolled,
	asAdminMFA:        notEnrolled,
	asReadToken:       forbid,
	asAdminToken:      forbid,
}

// objElsewhere are the mutations taking an object ID that this table
// leaves to other tests, with the reason.
var objElsewhere = map[string]string{
	"revokeSession":  "a caller's own credentials: anyone else's session is NOT_FOUND (internal/auth)",
	"revokeApiToken": "a caller's own credentials: anyone else's token is NOT_FOUND (internal/auth)",
	// Each caller needs an upload of their own, which this fixture does not
	// make; the course or lesson they name is decided by the same rule as
	// every course write (editCourse), through the same code.
	"completeUpload":         "an upload is its uploader's alone: anyone else's is NOT_FOUND (internal/media flow tests)",
	"setAvatar":              "the caller's own upload on the caller's own profile (internal/media flow tests)",
	"setCourseCover":         "the caller's own upload on a course they may edit (internal/media flow tests)",
	"addLessonAttachment":    "the caller's own upload on a lesson they may edit (internal/media flow tests)",
	"removeLessonAttachment": "an attachment of a lesson the caller may edit (internal/media flow tests)",
	// Jobs are River's rows, keyed by integers, not rows of this fixture.
	"retryJob":  "administration's rule over a job: every kind of caller signed in over HTTP in jobs_test.go (TestJobsAuthorization)",
	"cancelJob": "administration's rule over a job: every kind of caller signed in over HTTP in jobs_test.go (TestJobsAuthorization)",
}

// objBug is a cell where the code disagrees with its documentation: the
// table keeps the documented outcome, got is what the code answers.
type objBug struct {
	got  string
	note string
}

// objKnownBugs are reported as skipped while the code answers got; once it
// answers as documented the test fails until the entry is removed, so a fix
// cannot go unnoticed and a new divergence cannot hide here.
var objKnownBugs = map[[2]string]objBug{}

// objPassword signs every account of the test in.
const objPassword = "objects are decided by rows"

// objTagSlug is the tag setCourseTags gives the draft.
const objTagSlug = "object-rules"

// TestObjectAuthorization is the specification of who may do what to
// which object: every mutation that takes an object ID, against every kind
// of caller, signed in for real over HTTP. Each case starts from the same
// fixture; a refused call changes no row, an allowed one stores its change,
// and NOT_FOUND for a hidden object reads exactly like NOT_FOUND for a
// missing one.
func TestObjectAuthorization(t *testing.T) {
	checkObjTable(t)
	hasher, err := password.NewHasher(password.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	// One hash for every account: argon2 is slow on purpose, and each
	// account still signs in with the password it checks.
	hash, err := hasher.Hash(context.Background(), objPassword)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		env := newObjEnv(t, db, hash)
		for _, tc := range objCases {
			t.Run(tc.op, func(t *testing.T) {
				for _, caller := range objCallers {
					t.Run(caller, func(t *testing.T) { env.run(t, tc, caller) })
				}
			})
		}
		env.testReads(t)
	})
}

// checkObjTable fails unless every mutation taking an object ID has a row
// (or a reason to be elsewhere) and every row decides every caller.
func checkObjTable(t *testing.T) {
	t.Helper()
	rows := map[string]bool{}
	for _, tc := range objCases {
		if rows[tc.op] {
			t.Errorf("%s has two rows", tc.op)
		}
		rows[tc.op] = true
		for _, caller := range objCallers {
			if tc.want[caller] == "" {
				t.Errorf("%s: no outcome for %s", tc.op, caller)
			}
		}
		if len(tc.want) != len(objCallers) {
			t.Errorf("%s decides %d callers, want %d", tc.op, len(tc.want), len(objCallers))
		}
	}
	taking := mutationsTakingIDs()
	for _, op := range taking {
		if !rows[op] && objElsewhere[op] == "" {
			t.Errorf("Mutation.%s takes an object ID but has no row in the object authorization table", op)
		}
	}
	for op := range rows {
		if !slices.Contains(taking, op) {
			t.Errorf("row %s names no mutation that takes an object ID", op)
		}
	}
	for _, rc := range objReads {
		if len(rc.want) != len(objCallers) {
			t.Errorf("read %s decides %d callers, want %d", rc.name, len(rc.want), len(objCallers))
		}
	}
	for cell := range objKnownBugs {
		if !rows[cell[0]] || !slices.Contains(objCallers, cell[1]) {
			t.Errorf("known bug %v names no cell of the table", cell)
		}
	}
}

// mutationsTakingIDs lists the Mutation fields with an argument of type ID,
// directly or inside an input object.
func mutationsTakingIDs() []string {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	var out []string
	for _, f := range s.Types["Mutation"].Fields {
		for _, a := range f.Arguments {
			if takesID(s, a.Type, 0) {
				out = append(out, f.Name)
				break
			}
		}
	}
	return out
}

func takesID(s *ast.Schema, typ *ast.Type, depth int) bool {
	name := typ.Name()
	if name == "ID" {
		return true
	}
	def := s.Types[name]
	if def == nil || def.Kind != ast.InputObject || depth > 4 {
		return false
	}
	for _, f := range def.Fields {
		if takesID(s, f.Type, depth+1) {
			return true
		}
	}
	return false
}

// objEnv is one database with its signed-in callers and the fixture the
// next case starts from.
type objEnv struct {
	db     *database.DB
	client *testenv.Client
	// bearer is each caller's credential (none for anonymous).
	bearer map[string]string
	users  map[string]uuid.UUID
	f      *objFixture
	// pristine is the fixture's rows as built; dirty says a case changed
	// them, so the next case rebuilds.
	pristine objRows
	dirty    bool
}

// objAccount is a caller with an account of its own.
type objAccount struct {
	caller   string
	role     user.Role
	verified bool
	mfa      bool
}

var objAccounts = []objAccount{
	{asUnverified, user.RoleLEARNER, false, false},
	{asLearner, user.RoleLEARNER, true, false},
	{asEnrolled, user.RoleLEARNER, true, false},
	// The assistant is an instructor elsewhere, so only the course role
	// can refuse it.
	{asAssistant, user.RoleINSTRUCTOR, true, false},
	{asInstructor, user.RoleINSTRUCTOR, true, false},
	{asOwner, user.RoleINSTRUCTOR, true, false},
	{asOtherInstructor, user.RoleINSTRUCTOR, true, false},
	{asAdmin, user.RoleADMIN, true, false},
	{asAdminMFA, user.RoleADMIN, true, true},
}

// newObjEnv creates the accounts, signs each in over HTTP (a session token
// from logIn, through verifyMfa for the MFA administrator) and gives the
// owner a READ API token.
func newObjEnv(t *testing.T, db *database.DB, hash string) *objEnv {
	t.Helper()
	env := &objEnv{db: db, client: testenv.NewClient(t, db), bearer: map[string]string{}, users: map[string]uuid.UUID{}, dirty: true}
	now := time.Now().UTC()
	secrets := map[string]string{}
	for _, a := range objAccounts {
		id := uuid.New()
		create := db.Ent.User.Create().SetID(id).SetEmail(objEmail(a.caller)).SetDisplayName(a.caller).SetRole(a.role).SetPasswordHash(hash)
		if a.verified {
			create.SetEmailVerifiedAt(now)
		}
		if a.mfa {
			sec, err := totp.NewSecret()
			if err != nil {
				t.Fatal(err)
			}
			secrets[a.caller] = sec
			create.SetTotpSecret(testenv.SealTOTP(t, id, sec)).SetMfaEnabledAt(now)
		}
		u, err := create.Save(asSystem())
		if err != nil {
			t.Fatalf("account %s: %v", a.caller, err)
		}
		env.users[a.caller] = u.ID
	}
	for _, a := range objAccounts {
		if a.mfa {
			env.bearer[a.caller] = logInWithTOTP(t, env.client, objEmail(a.caller), secrets[a.caller])
		} else {
			env.bearer[a.caller] = logInForToken(t, env.client, seed.DemoAccount{Email: objEmail(a.caller), Password: objPassword})
		}
	}
	// The token is the owner's, so only its scope can refuse it.
	for token, owner := range map[string]string{asReadToken: asOwner, asAdminToken: asAdminMFA} {
		env.bearer[token] = objReadToken(t, db, env.users[owner], now)
		env.users[token] = env.users[owner]
	}
	if err := db.Ent.Tag.Create().SetSlug(objTagSlug).SetName("Object rules").Exec(asSystem()); err != nil {
		t.Fatal(err)
	}
	env.checkCallers(t)
	return env
}

// objReadToken gives account a READ API token and returns its secret.
func objReadToken(t *testing.T, db *database.DB, account uuid.UUID, now time.Time) string {
	t.Helper()
	tok, err := secret.New(secret.PersonalTokenPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ent.APIToken.Create().SetUserID(account).SetName("read only").SetScopes([]string{viewer.ScopeRead}).
		SetTokenHash(tok.Hash).SetExpiresAt(now.Add(24 * time.Hour)).Exec(asSystem()); err != nil {
		t.Fatal(err)
	}
	return tok.Plain
}

func objEmail(caller string) string {
	return strings.ToLower(strings.NewReplacer(" ", ".", "'", "").Replace(caller)) + "@example.com"
}

// logInWithTOTP signs in an account with two-factor sign-in on, answering
// the challenge with the current code, and returns the session token.
func logInWithTOTP(t *testing.T, c *testenv.Client, email, totpSecret string) string {
	t.Helper()
	var in struct {
		LogIn struct {
			MfaRequired  bool
			MfaChallenge string
		}
	}
	c.Query(`mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p, transport: TOKEN}) { mfaRequired mfaChallenge } }`,
		map[string]any{"e": email, "p": objPassword}).Decode(t, &in)
	if !in.LogIn.MfaRequired || in.LogIn.MfaChallenge == "" {
		t.Fatalf("logIn as %s with MFA on: %+v, want a challenge", email, in)
	}
	code, err := totp.Code(totpSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		VerifyMfa struct {
			Token      string
			UserErrors []struct{ Code string }
		}
	}
	c.Query(`mutation($ch: String!, $code: String!) { verifyMfa(input: {challenge: $ch, code: $code, transport: TOKEN}) { token userErrors { code } } }`,
		map[string]any{"ch": in.LogIn.MfaChallenge, "code": code}).Decode(t, &out)
	if out.VerifyMfa.Token == "" {
		t.Fatalf("verifyMfa as %s: %+v", email, out)
	}
	return out.VerifyMfa.Token
}

// checkCallers proves each credential stands for the caller it is named
// after: its account, whether that is verified, and (for sessions) whether
// the sign-in passed MFA.
func (e *objEnv) checkCallers(t *testing.T) {
	t.Helper()
	for _, a := range objAccounts {
		var out struct {
			Viewer struct {
				User struct {
					ID            string
					EmailVerified *bool
				}
				SessionMfa bool
			}
		}
		asBearer(t, e.client, e.bearer[a.caller], `{ viewer { user { id emailVerified } sessionMfa } }`, nil).Decode(t, &out)
		v := out.Viewer
		if v.User.ID != gid.New("User", e.users[a.caller]).String() || v.User.EmailVerified == nil ||
			*v.User.EmailVerified != a.verified || v.SessionMfa != a.mfa {
			t.Fatalf("%s signed in as %+v, want user %s, verified %v, MFA %v", a.caller, v, e.users[a.caller], a.verified, a.mfa)
		}
	}
	for _, token := range []string{asReadToken, asAdminToken} {
		var out struct {
			Viewer struct {
				User       struct{ ID string }
				SessionMfa bool
			}
		}
		asBearer(t, e.client, e.bearer[token], `{ viewer { user { id } sessionMfa } }`, nil).Decode(t, &out)
		if out.Viewer.User.ID != gid.New("User", e.users[token]).String() || out.Viewer.SessionMfa {
			t.Fatalf("%s stands for %+v, want its owner %s without MFA", token, out, e.users[token])
		}
	}
}

// run decides one cell: the call's outcome, then what it did to the rows.
func (e *objEnv) run(t *testing.T, tc objCase, caller string) {
	want := tc.want[caller]
	if want == "" {
		t.Fatalf("%s: no outcome for %s in the table", tc.op, caller)
	}
	if e.dirty {
		e.f = buildObjFixture(t, e.db, e.users)
		e.pristine = objDigest(t, e.db, e.f)
		e.dirty = false
	}
	target := gid.New(tc.target.typ, tc.target.pick(e.f))
	r := e.call(t, caller, tc, target)
	got := objOutcome(r, tc.op)
	changed := objDigest(t, e.db, e.f).changedFrom(e.pristine)
	e.dirty = len(changed) > 0

	bug, known := objKnownBugs[[2]string{tc.op, caller}]
	switch {
	case known && got == want:
		t.Errorf("%s as %s now answers %s as documented: remove its objKnownBugs entry", tc.op, caller, got)
	case known && got == bug.got:
		// Reported as skipped below, once the rows have been checked.
	case got != want:
		t.Errorf("%s as %s: got %s, want %s\n  errors: %+v\n  data: %s", tc.op, caller, got, want, r.Errors, r.Data)
	}

	if got == allow {
		requireObjReturned(t, r, tc.op)
		if len(changed) == 0 && !slices.Contains(tc.idempotent, caller) {
			t.Errorf("%s as %s was allowed, yet no row changed", tc.op, caller)
		}
	} else if len(changed) > 0 {
		t.Errorf("%s as %s was refused (%s), yet it changed %v", tc.op, caller, got, changed)
	}

	if got == notFound {
		// Hidden and missing must read the same, or NOT_FOUND leaks which
		// IDs exist.
		missing := e.call(t, caller, tc, gid.New(tc.target.typ, uuid.New()))
		if len(missing.Errors) > 0 || string(missing.Data) != string(r.Data) {
			t.Errorf("%s as %s tells its object from a missing %s:\n  object:  %s\n  missing: %s (errors %+v)",
				tc.op, caller, tc.target.typ, r.Data, missing.Data, missing.Errors)
		}
		if changed := objDigest(t, e.db, e.f).changedFrom(e.pristine); len(changed) > 0 {
			e.dirty = true
			t.Errorf("%s as %s with a missing ID changed %v", tc.op, caller, changed)
		}
	}
	if known && got == bug.got && !t.Failed() {
		t.Skipf("known bug (documented %s, got %s): %s", want, got, bug.note)
	}
}

// call posts the case's document for target as caller.
func (e *objEnv) call(t *testing.T, caller string, tc objCase, target gid.ID) testenv.Response {
	t.Helper()
	vars := map[string]any{"id": target.String()}
	if tc.user != nil {
		vars["user"] = gid.New("User", tc.user(e.f)).String()
	}
	if caller == asAnonymous {
		return e.client.For(t).Query(tc.doc, vars)
	}
	return asBearer(t, e.client, e.bearer[caller], tc.doc, vars)
}

// objOutcome names what a response says: a top-level refusal, the codes of
// the payload's userErrors, or allow.
func objOutcome(r testenv.Response, op string) string {
	if len(r.Errors) > 0 {
		code := r.Errors[0].Extensions.Code
		for _, e := range r.Errors[1:] {
			if e.Extensions.Code != code {
				return fmt.Sprintf("mixed errors %+v", r.Errors)
			}
		}
		switch code {
		case string(apperr.Unauthenticated):
			return unauth
		case string(apperr.Forbidden):
			return forbid
		}
		return fmt.Sprintf("error %s (%s)", code, r.Errors[0].Message)
	}
	var data map[string]struct {
		UserErrors []struct{ Code string }
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		return fmt.Sprintf("undecodable data %s: %v", r.Data, err)
	}
	p, ok := data[op]
	if !ok {
		return fmt.Sprintf("no %s payload in %s", op, r.Data)
	}
	if len(p.UserErrors) == 0 {
		return allow
	}
	var codes []string
	for _, ue := range p.UserErrors {
		if !slices.Contains(codes, ue.Code) {
			codes = append(codes, ue.Code)
		}
	}
	return "userError " + strings.Join(codes, ", ")
}

// requireObjReturned fails unless every field of the payload besides
// userErrors is set: an allowed call answers with its object.
func requireObjReturned(t *testing.T, r testenv.Response, op string) {
	t.Helper()
	var data map[string]map[string]json.RawMessage
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatalf("decode %s: %v", r.Data, err)
	}
	for field, v := range data[op] {
		if field != "userErrors" && string(v) == "null" {
			t.Errorf("%s was allowed but answered %s: null", op, field)
		}
	}
}

// objFixture is the state every case starts from, built as the system:
//   - draft: a DRAFT course ready to publish (a summary, and a published
//     lesson in its first section); its first section also holds a draft
//     lesson, a second section is empty, and it has two FAQ entries;
//   - published: a PUBLISHED course with two published lessons; the
//     enrolled learner is enrolled and has done the first;
//   - reviewed: a PUBLISHED course the enrolled learner is enrolled in and
//     has reviewed;
//   - bystander: a verified learner, the object of administration.
//
// The owner, instructor and assistant hold their roles in all three.
type objFixture struct {
	draft, published, reviewed uuid.UUID
	// Of the draft: its first section, that section's draft lesson, its
	// first FAQ entry.
	section, lesson, faq uuid.UUID
	// Of the published course.
	doneLesson, nextLesson uuid.UUID
	review                 uuid.UUID
	// The enrolled learner's enrolment in the published course and its
	// progress row.
	enrolment, progress uuid.UUID
	bystander           uuid.UUID
	// accounts are the callers' accounts; ownerSession is the owner's
	// session and ownerToken their READ token.
	accounts                 map[string]uuid.UUID
	ownerSession, ownerToken uuid.UUID
	// newMember is who addCourseMember adds; assistant who
	// removeCourseMember removes.
	newMember, assistant uuid.UUID
}

// objBuilder writes fixture rows in one transaction, keeping the first
// error so the steps read as a list.
type objBuilder struct {
	ctx context.Context
	tx  *database.Tx
	now time.Time
	err error
}

func (b *objBuilder) check(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

func objID[E interface{ GlobalID() gid.ID }](b *objBuilder, e E, err error) uuid.UUID {
	b.check(err)
	if err != nil {
		return uuid.Nil
	}
	return e.GlobalID().UUID
}

// buildObjFixture replaces every course row of the database with a fresh
// fixture (accounts, sessions and tags stay).
func buildObjFixture(t *testing.T, db *database.DB, users map[string]uuid.UUID) *objFixture {
	t.Helper()
	f := &objFixture{newMember: users[asLearner], assistant: users[asAssistant], accounts: users}
	err := db.Transact(asSystem(), func(tx *database.Tx) error {
		b := &objBuilder{ctx: asSystem(), tx: tx, now: time.Now().UTC()}
		b.clear()
		f.draft = b.course("draft-course", course.StatusDRAFT, users)
		f.section = b.section(f.draft, 0)
		b.lesson(f.draft, f.section, "ready", 0, true)
		f.lesson = b.lesson(f.draft, f.section, "unfinished", 1, false)
		b.section(f.draft, 1)
		f.faq = b.faq(f.draft, 0)
		b.faq(f.draft, 1)

		f.published = b.course("published-course", course.StatusPUBLISHED, users)
		ps := b.section(f.published, 0)
		f.doneLesson = b.lesson(f.published, ps, "first", 0, true)
		f.nextLesson = b.lesson(f.published, ps, "second", 1, true)
		f.enrolment = b.enrol(users[asEnrolled], f.published)
		p, err := tx.LessonProgress.Create().SetEnrollmentID(f.enrolment).SetLessonID(f.doneLesson).SetCompletedAt(b.now).Save(b.ctx)
		f.progress = objID(b, p, err)

		f.reviewed = b.course("reviewed-course", course.StatusPUBLISHED, users)
		b.lesson(f.reviewed, b.section(f.reviewed, 0), "only", 0, true)
		b.enrol(users[asEnrolled], f.reviewed)
		r, err := tx.Review.Create().SetUserID(users[asEnrolled]).SetCourseID(f.reviewed).SetRating(4).SetBody("Good.").Save(b.ctx)
		f.review = objID(b, r, err)

		u, err := tx.User.Create().SetEmail("bystander." + uuid.NewString() + "@example.com").SetDisplayName("Bystander").
			SetEmailVerifiedAt(b.now).Save(b.ctx)
		f.bystander = objID(b, u, err)
		f.ownerSession, err = tx.Session.Query().Where(session.UserID(users[asOwner])).OnlyID(b.ctx)
		b.check(err)
		f.ownerToken, err = tx.APIToken.Query().Where(apitoken.UserID(users[asOwner])).OnlyID(b.ctx)
		b.check(err)
		if b.err != nil {
			return b.err
		}
		return counter.RecountCourses(b.ctx, tx.SQL, f.draft, f.published, f.reviewed)
	})
	if err != nil {
		t.Fatalf("build fixture: %v", err)
	}
	return f
}

// clear deletes every course and the rows that hang off courses (exports
// included).
func (b *objBuilder) clear() {
	for _, del := range []interface {
		Exec(context.Context) (int, error)
	}{
		b.tx.Export.Delete(), b.tx.LessonProgress.Delete(), b.tx.Review.Delete(), b.tx.Enrollment.Delete(),
		b.tx.CourseTag.Delete(), b.tx.CourseMember.Delete(), b.tx.FAQEntry.Delete(),
		b.tx.Lesson.Delete(), b.tx.Section.Delete(), b.tx.Course.Delete(),
	} {
		_, err := del.Exec(b.ctx)
		b.check(err)
	}
}

// course creates a course with the staff every course of the fixture has.
func (b *objBuilder) course(slug string, status course.Status, users map[string]uuid.UUID) uuid.UUID {
	create := b.tx.Course.Create().SetSlug(slug).SetTitle(slug).SetSummary("A course of the object authorization fixture.").SetStatus(status)
	if status == course.StatusPUBLISHED {
		create.SetPublishedAt(b.now)
	}
	c, err := create.Save(b.ctx)
	id := objID(b, c, err)
	for caller, role := range map[string]coursemember.Role{asOwner: coursemember.RoleOWNER,
		asInstructor: coursemember.RoleINSTRUCTOR, asAssistant: coursemember.RoleASSISTANT} {
		b.check(b.tx.CourseMember.Create().SetCourseID(id).SetUserID(users[caller]).SetRole(role).Exec(b.ctx))
	}
	return id
}

func (b *objBuilder) section(courseID uuid.UUID, position int) uuid.UUID {
	s, err := b.tx.Section.Create().SetCourseID(courseID).SetTitle(fmt.Sprintf("Section %d", position+1)).SetPosition(position).Save(b.ctx)
	return objID(b, s, err)
}

func (b *objBuilder) lesson(courseID, sectionID uuid.UUID, slug string, position int, published bool) uuid.UUID {
	create := b.tx.Lesson.Create().SetCourseID(courseID).SetSectionID(sectionID).SetSlug(slug).SetTitle(slug).
		SetBody("Some words.").SetPosition(position)
	if published {
		create.SetStatus(lesson.StatusPUBLISHED).SetPublishedAt(b.now)
	}
	l, err := create.Save(b.ctx)
	return objID(b, l, err)
}

func (b *objBuilder) faq(courseID uuid.UUID, position int) uuid.UUID {
	e, err := b.tx.FAQEntry.Create().SetCourseID(courseID).SetQuestion(fmt.Sprintf("Question %d?", position+1)).
		SetAnswer("An answer.").SetPosition(position).Save(b.ctx)
	return objID(b, e, err)
}

func (b *objBuilder) enrol(userID, courseID uuid.UUID) uuid.UUID {
	e, err := b.tx.Enrollment.Create().SetUserID(userID).SetCourseID(courseID).Save(b.ctx)
	return objID(b, e, err)
}

// objRows is every row a case could touch, as sorted JSON lines per table.
type objRows map[string]string

// objDigest reads the fixture's rows as the system.
func objDigest(t *testing.T, db *database.DB, f *objFixture) objRows {
	t.Helper()
	ctx := asSystem()
	rows := objRows{}
	courses, err := db.Ent.Course.Query().All(ctx)
	objTable(t, rows, "courses", courses, err)
	members, err := db.Ent.CourseMember.Query().All(ctx)
	objTable(t, rows, "course_members", members, err)
	tags, err := db.Ent.CourseTag.Query().All(ctx)
	objTable(t, rows, "course_tags", tags, err)
	sections, err := db.Ent.Section.Query().All(ctx)
	objTable(t, rows, "sections", sections, err)
	lessons, err := db.Ent.Lesson.Query().All(ctx)
	objTable(t, rows, "lessons", lessons, err)
	faq, err := db.Ent.FAQEntry.Query().All(ctx)
	objTable(t, rows, "faq_entries", faq, err)
	enrolments, err := db.Ent.Enrollment.Query().All(ctx)
	objTable(t, rows, "enrollments", enrolments, err)
	progress, err := db.Ent.LessonProgress.Query().All(ctx)
	objTable(t, rows, "lesson_progress", progress, err)
	reviews, err := db.Ent.Review.Query().All(ctx)
	objTable(t, rows, "reviews", reviews, err)
	bystander, err := db.Ent.User.Query().Where(user.ID(f.bystander)).All(ctx)
	objTable(t, rows, "bystander", bystander, err)
	exports, err := db.Ent.Export.Query().All(ctx)
	objTable(t, rows, "exports", exports, err)
	return rows
}

func objTable[T any](t *testing.T, rows objRows, table string, all []T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	lines := make([]string, len(all))
	for i, row := range all {
		b, err := json.Marshal(row)
		if err != nil {
			t.Fatalf("encode %s: %v", table, err)
		}
		lines[i] = string(b)
	}
	sort.Strings(lines)
	rows[table] = strings.Join(lines, "\n")
}

// changedFrom lists the tables whose rows differ from before.
func (r objRows) changedFrom(before objRows) []string {
	var out []string
	for table, rows := range r {
		if before[table] != rows {
			out = append(out, table)
		}
	}
	sort.Strings(out)
	return out
}

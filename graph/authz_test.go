package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"lectern/ent/user"
	"lectern/graph"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/auth/password"
	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/seed"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
	"lectern/policy"
)

// Outcomes of the authorization matrix.
const (
	allow = "allow"
	// unauth: refused with UNAUTHENTICATED (sign in first).
	unauth = "unauthenticated"
	// forbid: refused with FORBIDDEN.
	forbid = "forbidden"
)

// Kinds of caller besides anonymous. Course-scoped roles are decided per
// object by the data layer, so a signed-in caller is its global role and
// the credential it presented.
const (
	learnerCookie    = "learner (cookie session)"
	instructorCookie = "instructor (cookie session)"
	adminCookie      = "admin (cookie session without MFA)"
	adminMFACookie   = "admin (cookie session that passed MFA)"
	learnerReadToken = "learner (API token READ)"
	learnerRWToken   = "learner (API token READ, WRITE)"
	// adminRWToken proves a token's limits hold whatever its owner's role.
	adminRWToken = "admin (API token READ, WRITE)"
	// adminMFAToken proves MFA counts only for a session: a token viewer
	// carrying the flag is still a token.
	adminMFAToken = "admin (API token READ, WRITE, flagged MFA)"
)

// sameAsAtPolicyLevel names the callers whose difference is a fact about
// an object (a course role, an enrolment, a verified address): the policy
// sees only their global role and credential, so here they share the
// decision of the caller named, and TestObjectAuthorization
// (authz_objects_test.go) decides them object by object.
var sameAsAtPolicyLevel = map[string]string{
	"unverified learner":   learnerCookie,
	"enrolled learner":     learnerCookie,
	"course assistant":     learnerCookie,
	"course instructor":    instructorCookie,
	"course owner":         instructorCookie,
	"unrelated instructor": instructorCookie,
}

func init() {
	for name, base := range sameAsAtPolicyLevel {
		v, _ := viewer.FromContext(callers[base])
		v.UserID, v.SessionID = uuid.New(), uuid.New()
		callers[name] = viewer.NewContext(context.Background(), v)
		for _, row := range matrix {
			if _, set := row[name]; !set {
				row[name] = row[base]
			}
		}
	}
}

// callers are the kinds of caller every operation is decided for.
var callers = map[string]context.Context{
	"anonymous":      context.Background(),
	learnerCookie:    cookieSession(viewer.RoleLearner),
	instructorCookie: cookieSession(viewer.RoleInstructor),
	adminCookie:      cookieSession(viewer.RoleAdmin),
	adminMFACookie: viewer.NewContext(context.Background(), viewer.Viewer{UserID: uuid.New(), Role: viewer.RoleAdmin,
		Credential: viewer.CredentialCookie, SessionID: uuid.New(), MFA: true}),
	learnerReadToken: apiToken(viewer.RoleLearner, viewer.ScopeRead),
	learnerRWToken:   apiToken(viewer.RoleLearner, viewer.ScopeRead, viewer.ScopeWrite),
	adminRWToken:     apiToken(viewer.RoleAdmin, viewer.ScopeRead, viewer.ScopeWrite),
	adminMFAToken: viewer.NewContext(context.Background(), viewer.Viewer{UserID: uuid.New(), Role: viewer.RoleAdmin,
		Credential: viewer.CredentialAPIToken, APITokenID: uuid.New(), Scopes: []string{viewer.ScopeRead, viewer.ScopeWrite}, MFA: true}),
}

func cookieSession(role viewer.Role) context.Context {
	return viewer.NewContext(context.Background(), viewer.Viewer{UserID: uuid.New(), Role: role,
		Credential: viewer.CredentialCookie, SessionID: uuid.New()})
}

func apiToken(role viewer.Role, scopes ...string) context.Context {
	return viewer.NewContext(context.Background(), viewer.Viewer{UserID: uuid.New(), Role: role,
		Credential: viewer.CredentialAPIToken, APITokenID: uuid.New(), Scopes: scopes})
}

// decide builds a matrix row from the decision for anonymous callers, for
// signed-in sessions, for read-only API tokens and for read-write ones.
func decide(anonymous, session, readToken, rwToken string) map[string]string {
	return map[string]string{
		"anonymous":      anonymous,
		learnerCookie:    session,
		instructorCookie: session,
		adminCookie:      session,
		adminMFACookie:   session,
		learnerReadToken: readToken,
		learnerRWToken:   rwToken,
		adminRWToken:     rwToken,
		adminMFAToken:    rwToken,
	}
}

var (
	// everyone allows every caller: queries, which any READ token may run.
	everyone = decide(allow, allow, allow, allow)
	// gettingIn is getting an account and signing in: open to anyone with
	// a browser, never to an API token (a token must not mint sessions or
	// accounts, and WRITE does not lift the policy's deny).
	gettingIn = decide(allow, allow, forbid, forbid)
	// ownAccount is managing one's own credentials: a signed-in session
	// only, so a leaked token cannot mint more tokens or lock its owner out.
	ownAccount = decide(unauth, allow, forbid, forbid)
	// learning is taking courses: any signed-in session, and API tokens
	// with WRITE (it manages no credentials).
	learning = decide(unauth, allow, forbid, allow)
	// courseCreation needs the global INSTRUCTOR role (or ADMIN); a token
	// with WRITE acts as its owner's role.
	courseCreation = func() map[string]string {
		row := decide(unauth, allow, forbid, forbid)
		row[learnerCookie] = forbid
		row[adminRWToken] = allow
		row[adminMFAToken] = allow
		return row
	}()
	// courseWriting needs the INSTRUCTOR role like courseCreation; which
	// course one may change is decided per course from database facts.
	courseWriting = courseCreation
	// administration: administrators only, from a session that passed MFA
	// (an API token never has), whatever the token's scopes.
	administration = func() map[string]string {
		row := decide(unauth, forbid, forbid, forbid)
		row[adminMFACookie] = allow
		return row
	}()
)

// matrix is the decision for every root field of the schema and every kind
// of caller. A field of the schema without a row fails the test, so no
// operation ships without an authorization decision.
//
// Query.node and Query.nodes are open to every caller; which objects they
// answer (null for one the caller may not read: other people's data to an
// administrator without MFA, sessions and API tokens to an API token) is
// decided per object by objReads in authz_object_reads_test.go.
var matrix = map[string]map[string]string{
	"Query.node":    everyone,
	"Query.nodes":   everyone,
	"Query.courses": everyone,
	"Query.course":  everyone,
	"Query.lesson":  everyone,
	"Query.tags":    everyone,
	"Query.viewer":  everyone,

	"Mutation.signUp":               gettingIn,
	"Mutation.verifyEmail":          gettingIn,
	"Mutation.logIn":                gettingIn,
	"Mutation.verifyMfa":            gettingIn,
	"Mutation.requestPasswordReset": gettingIn,
	"Mutation.resetPassword":        gettingIn,

	"Mutation.requestEmailVerification": ownAccount,
	"Mutation.logOut":                   ownAccount,
	"Mutation.revokeSession":            ownAccount,
	"Mutation.revokeOtherSessions":      ownAccount,
	"Mutation.changePassword":           ownAccount,
	"Mutation.changeEmail":              ownAccount,
	"Mutation.startTotpEnrollment":      ownAccount,
	"Mutation.confirmTotpEnrollment":    ownAccount,
	"Mutation.disableTotp":              ownAccount,
	"Mutation.regenerateRecoveryCodes":  ownAccount,
	"Mutation.createApiToken":           ownAccount,
	"Mutation.revokeApiToken":           ownAccount,

	"Mutation.enroll":           learning,
	"Mutation.unenroll":         learning,
	"Mutation.completeLesson":   learning,
	"Mutation.uncompleteLesson": learning,
	"Mutation.createReview":     learning,
	"Mutation.updateReview":     learning,
	"Mutation.deleteReview":     learning,

	"Mutation.createCourse":       courseCreation,
	"Mutation.updateCourse":       courseWriting,
	"Mutation.publishCourse":      courseWriting,
	"Mutation.archiveCourse":      courseWriting,
	"Mutation.addCourseMember":    courseWriting,
	"Mutation.removeCourseMember": courseWriting,
	"Mutation.setCourseTags":      courseWriting,
	"Mutation.createSection":      courseWriting,
	"Mutation.updateSection":      courseWriting,
	"Mutation.moveSection":        courseWriting,
	"Mutation.deleteSection":      courseWriting,
	"Mutation.createLesson":       courseWriting,
	"Mutation.updateLesson":       courseWriting,
	"Mutation.moveLesson":         courseWriting,
	"Mutation.deleteLesson":       courseWriting,
	"Mutation.publishLesson":      courseWriting,
	"Mutation.createFaqEntry":     courseWriting,
	"Mutation.updateFaqEntry":     courseWriting,
	"Mutation.moveFaqEntry":       courseWriting,
	"Mutation.deleteFaqEntry":     courseWriting,

	// Uploads are anyone's (an avatar); which purposes a role may upload
	// for, and where a file may go, is decided by the service.
	"Mutation.createUpload":           learning,
	"Mutation.completeUpload":         learning,
	"Mutation.setAvatar":              learning,
	"Mutation.removeAvatar":           learning,
	"Mutation.setCourseCover":         courseWriting,
	"Mutation.removeCourseCover":      courseWriting,
	"Mutation.addLessonAttachment":    courseWriting,
	"Mutation.removeLessonAttachment": courseWriting,

	// Exports are anyone's to ask for (their own data); which course's
	// learners, and whether from a token, is decided by the service.
	"Mutation.requestExport": learning,

	"Query.auditEvents":    administration,
	"Mutation.setUserRole": administration,
	"Mutation.disableUser": administration,

	// The job queue: administration's rule (River's table has no row
	// rules, so the service checks for an elevated administrator again).
	"Query.jobs":         administration,
	"Mutation.retryJob":  administration,
	"Mutation.cancelJob": administration,
}

func TestAuthorizationMatrix(t *testing.T) {
	enforcer, err := policy.New()
	if err != nil {
		t.Fatal(err)
	}
	authz := access.New(enforcer, nil)
	fields := rootFields()
	for _, op := range fields {
		row, ok := matrix[op]
		if !ok {
			t.Errorf("%s has no row in the authorization matrix", op)
			continue
		}
		for caller, ctx := range callers {
			want, ok := row[caller]
			if !ok {
				t.Errorf("%s: no decision for caller %s", op, caller)
				continue
			}
			if got := outcome(authz.Operation(ctx, op)); got != want {
				t.Errorf("%s as %s: got %s, want %s", op, caller, got, want)
			}
		}
	}
	for op := range matrix {
		if !slices.Contains(fields, op) {
			t.Errorf("matrix row %s names no field of the schema", op)
		}
	}
}

// TestAuthorizationEnforcedOverHTTP proves the decision is applied to real
// requests: anonymous callers reach every field the matrix allows them (the
// document runs without any error, so a typo in it cannot pass for an
// allowed call), are told to sign in for the others, and an operation
// missing from the policy is refused.
func TestAuthorizationEnforcedOverHTTP(t *testing.T) {
	db := testenv.Open(t, database.SQLite)
	c := testenv.NewClient(t, db)
	sessionID := gid.New("Session", uuid.New()).String()
	tokenID := gid.New("APIToken", uuid.New()).String()
	userID := gid.New("User", uuid.New()).String()
	courseID := gid.New("Course", uuid.New()).String()
	lessonID := gid.New("Lesson", uuid.New()).String()
	reviewID := gid.New("Review", uuid.New()).String()
	sectionID := gid.New("Section", uuid.New()).String()
	faqID := gid.New("FAQEntry", uuid.New()).String()
	uploadID := gid.New("Upload", uuid.New()).String()
	assetID := gid.New("Asset", uuid.New()).String()
	jobID := gid.NewInt(gid.Job, 1).String()
	docs := map[string]string{
		"Query.node":    `{ node(id: "Q291cnNlOpRqGRLdpElek3NAwsGSfws") { id } }`,
		"Query.nodes":   `{ nodes(ids: []) { id } }`,
		"Query.courses": `{ courses { totalCount } }`,
		"Query.course":  `{ course(slug: "none") { id } }`,
		"Query.lesson":  `{ lesson(courseSlug: "none", lessonSlug: "none") { id } }`,
		"Query.tags":    `{ tags { totalCount } }`,
		"Query.viewer":  `{ viewer { user { id } } }`,

		"Mutation.signUp":               `mutation { signUp(input: {email: "new.learner@example.com", password: "correct horse battery staple", displayName: "New Learner"}) { userErrors { code } } }`,
		"Mutation.verifyEmail":          `mutation { verifyEmail(token: "lct_eml_unknown") { userErrors { code } } }`,
		"Mutation.logIn":                `mutation { logIn(input: {email: "nobody@example.com", password: "not the password"}) { mfaRequired userErrors { code } } }`,
		"Mutation.verifyMfa":            `mutation { verifyMfa(input: {challenge: "lct_mfa_unknown", code: "123456"}) { mfaRequired userErrors { code } } }`,
		"Mutation.requestPasswordReset": `mutation { requestPasswordReset(email: "nobody@example.com") { userErrors { code } } }`,
		"Mutation.resetPassword":        `mutation { resetPassword(input: {token: "lct_eml_unknown", newPassword: "correct horse battery staple"}) { passwordChanged userErrors { code } } }`,

		"Mutation.requestEmailVerification": `mutation { requestEmailVerification { userErrors { code } } }`,
		"Mutation.logOut":                   `mutation { logOut { sessionId } }`,
		"Mutation.revokeSession":            `mutation { revokeSession(id: "` + sessionID + `") { sessionId } }`,
		"Mutation.revokeOtherSessions":      `mutation { revokeOtherSessions { revokedCount } }`,
		"Mutation.changePassword":           `mutation { changePassword(input: {currentPassword: "old password", newPassword: "correct horse battery staple"}) { userErrors { code } } }`,
		"Mutation.changeEmail":              `mutation { changeEmail(input: {password: "a password", newEmail: "elsewhere@example.com"}) { userErrors { code } } }`,
		"Mutation.startTotpEnrollment":      `mutation { startTotpEnrollment { secret } }`,
		"Mutation.confirmTotpEnrollment":    `mutation { confirmTotpEnrollment(code: "123456") { recoveryCodes } }`,
		"Mutation.disableTotp":              `mutation { disableTotp(input: {password: "a password", code: "123456"}) { userErrors { code } } }`,
		"Mutation.regenerateRecoveryCodes":  `mutation { regenerateRecoveryCodes(input: {password: "a password", code: "123456"}) { recoveryCodes } }`,
		"Mutation.createApiToken":           `mutation { createApiToken(input: {name: "ci", scopes: [READ]}) { token } }`,
		"Mutation.revokeApiToken":           `mutation { revokeApiToken(id: "` + tokenID + `") { apiTokenId } }`,

		"Mutation.enroll":           `mutation { enroll(courseId: "` + courseID + `") { userErrors { code } } }`,
		"Mutation.unenroll":         `mutation { unenroll(courseId: "` + courseID + `") { userErrors { code } } }`,
		"Mutation.completeLesson":   `mutation { completeLesson(lessonId: "` + lessonID + `") { userErrors { code } } }`,
		"Mutation.uncompleteLesson": `mutation { uncompleteLesson(lessonId: "` + lessonID + `") { userErrors { code } } }`,
		"Mutation.createReview":     `mutation { createReview(input: {courseId: "` + courseID + `", rating: 5}) { userErrors { code } } }`,
		"Mutation.updateReview":     `mutation { updateReview(input: {id: "` + reviewID + `", rating: 4}) { userErrors { code } } }`,
		"Mutation.deleteReview":     `mutation { deleteReview(id: "` + reviewID + `") { userErrors { code } } }`,

		"Mutation.createCourse":       `mutation { createCourse(input: {title: "T", slug: "t"}) { userErrors { code } } }`,
		"Mutation.updateCourse":       `mutation { updateCourse(input: {id: "` + courseID + `", expectedVersion: 1, title: "T"}) { userErrors { code } } }`,
		"Mutation.publishCourse":      `mutation { publishCourse(id: "` + courseID + `") { userErrors { code } } }`,
		"Mutation.archiveCourse":      `mutation { archiveCourse(id: "` + courseID + `") { userErrors { code } } }`,
		"Mutation.addCourseMember":    `mutation { addCourseMember(input: {courseId: "` + courseID + `", userId: "` + userID + `", role: ASSISTANT}) { userErrors { code } } }`,
		"Mutation.removeCourseMember": `mutation { removeCourseMember(input: {courseId: "` + courseID + `", userId: "` + userID + `"}) { userErrors { code } } }`,
		"Mutation.setCourseTags":      `mutation { setCourseTags(input: {courseId: "` + courseID + `", tags: []}) { userErrors { code } } }`,
		"Mutation.createSection":      `mutation { createSection(input: {courseId: "` + courseID + `", title: "S"}) { userErrors { code } } }`,
		"Mutation.updateSection":      `mutation { updateSection(input: {id: "` + sectionID + `", title: "S"}) { userErrors { code } } }`,
		"Mutation.moveSection":        `mutation { moveSection(input: {id: "` + sectionID + `", position: 0}) { userErrors { code } } }`,
		"Mutation.deleteSection":      `mutation { deleteSection(id: "` + sectionID + `") { userErrors { code } } }`,
		"Mutation.createLesson":       `mutation { createLesson(input: {sectionId: "` + sectionID + `", title: "L", slug: "l"}) { userErrors { code } } }`,
		"Mutation.updateLesson":       `mutation { updateLesson(input: {id: "` + lessonID + `", title: "L"}) { userErrors { code } } }`,
		"Mutation.moveLesson":         `mutation { moveLesson(input: {id: "` + lessonID + `", position: 0}) { userErrors { code } } }`,
		"Mutation.deleteLesson":       `mutation { deleteLesson(id: "` + lessonID + `") { userErrors { code } } }`,
		"Mutation.publishLesson":      `mutation { publishLesson(id: "` + lessonID + `") { userErrors { code } } }`,
		"Mutation.createFaqEntry":     `mutation { createFaqEntry(input: {courseId: "` + courseID + `", question: "Q", answer: "A"}) { userErrors { code } } }`,
		"Mutation.updateFaqEntry":     `mutation { updateFaqEntry(input: {id: "` + faqID + `", question: "Q"}) { userErrors { code } } }`,
		"Mutation.moveFaqEntry":       `mutation { moveFaqEntry(input: {id: "` + faqID + `", position: 0}) { userErrors { code } } }`,
		"Mutation.deleteFaqEntry":     `mutation { deleteFaqEntry(id: "` + faqID + `") { userErrors { code } } }`,

		"Mutation.createUpload":           `mutation { createUpload(input: {purpose: AVATAR, filename: "a.png", contentType: "image/png", byteSize: 10, checksumSha256: "` + strings.Repeat("ab", 32) + `"}) { userErrors { code } } }`,
		"Mutation.completeUpload":         `mutation { completeUpload(id: "` + uploadID + `") { userErrors { code } } }`,
		"Mutation.setAvatar":              `mutation { setAvatar(uploadId: "` + uploadID + `") { userErrors { code } } }`,
		"Mutation.removeAvatar":           `mutation { removeAvatar { userErrors { code } } }`,
		"Mutation.setCourseCover":         `mutation { setCourseCover(input: {courseId: "` + courseID + `", uploadId: "` + uploadID + `"}) { userErrors { code } } }`,
		"Mutation.removeCourseCover":      `mutation { removeCourseCover(courseId: "` + courseID + `") { userErrors { code } } }`,
		"Mutation.addLessonAttachment":    `mutation { addLessonAttachment(input: {lessonId: "` + lessonID + `", uploadId: "` + uploadID + `", title: "Slides"}) { userErrors { code } } }`,
		"Mutation.removeLessonAttachment": `mutation { removeLessonAttachment(id: "` + assetID + `") { userErrors { code } } }`,

		"Mutation.requestExport": `mutation { requestExport(input: {kind: COURSE_LEARNERS_CSV, courseId: "` + courseID + `"}) { userErrors { code } } }`,

		"Query.auditEvents":    `{ auditEvents(first: 5) { totalCount } }`,
		"Mutation.setUserRole": `mutation { setUserRole(input: {userId: "` + userID + `", role: ADMIN}) { userErrors { code } } }`,
		"Mutation.disableUser": `mutation { disableUser(id: "` + userID + `") { userErrors { code } } }`,

		"Query.jobs":         `{ jobs(first: 5) { edges { cursor } } }`,
		"Mutation.retryJob":  `mutation { retryJob(id: "` + jobID + `") { userErrors { code } } }`,
		"Mutation.cancelJob": `mutation { cancelJob(id: "` + jobID + `") { userErrors { code } } }`,
	}
	for _, op := range rootFields() {
		doc, ok := docs[op]
		if !ok {
			t.Errorf("%s: no request document in this test", op)
			continue
		}
		r := c.Query(doc, nil)
		got := allow
		for _, e := range r.Errors {
			switch e.Extensions.Code {
			case string(apperr.Unauthenticated):
				got = unauth
			case string(apperr.Forbidden):
				got = forbid
			}
		}
		want := matrix[op]["anonymous"]
		if got != want {
			t.Errorf("%s as anonymous over HTTP: got %s (%+v), want %s", op, got, r.Errors, want)
		}
		if want == allow && len(r.Errors) > 0 {
			t.Errorf("%s as anonymous over HTTP: allowed, yet the document failed: %+v", op, r.Errors)
		}
	}
	for doc := range docs {
		if !slices.Contains(rootFields(), doc) {
			t.Errorf("request document %s names no field of the schema", doc)
		}
	}
	enforcer, err := policy.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := access.New(enforcer, nil).Operation(context.Background(), "Query.notInPolicy"); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("an operation without a rule: got %v, want UNAUTHENTICATED (deny by default)", err)
	}
}

// TestAPITokenScopesOverHTTP sends real API tokens through the whole stack:
// a READ token runs queries but no mutation, and WRITE does not open the
// mutations that manage credentials. A refused mutation changes nothing.
func TestAPITokenScopesOverHTTP(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		testenv.Seeded(t, db)
		setDemoPasswords(t, db)
		c := testenv.NewClient(t, db)
		learner := testenv.DemoAccount(t, "LEARNER")
		session := logInForToken(t, c, learner)
		readToken := createToken(t, c, session, "read only", "READ")
		rwToken := createToken(t, c, session, "read write", "READ", "WRITE")
		tokens := func() int { return countOf(t, db.Ent.APIToken.Query()) }
		sessions := func() int { return countOf(t, db.Ent.Session.Query()) }
		users := func() int { return countOf(t, db.Ent.User.Query()) }
		usersBefore, hashBefore := users(), passwordHash(t, db, learner.Email)

		t.Run("ReadTokenRunsQueries", func(t *testing.T) {
			for _, tok := range []string{readToken, rwToken} {
				var out struct {
					Viewer  struct{ User struct{ Email string } }
					Courses struct{ TotalCount int }
				}
				asBearer(t, c, tok, `{ viewer { user { email } } courses { totalCount } }`, nil).Decode(t, &out)
				if out.Viewer.User.Email != learner.Email || out.Courses.TotalCount == 0 {
					t.Fatalf("query with an API token answered %+v, want the learner's email and the catalogue", out)
				}
			}
		})

		refused := []struct {
			name, token, doc string
			vars             map[string]any
		}{
			{"ReadTokenCreateApiToken", readToken, `mutation($s: [ApiTokenScope!]!) { createApiToken(input: {name: "minted", scopes: $s}) { token } }`, map[string]any{"s": []string{"READ", "WRITE"}}},
			{"ReadTokenRevokeOtherSessions", readToken, `mutation { revokeOtherSessions { revokedCount } }`, nil},
			{"ReadTokenSignUp", readToken, `mutation { signUp(input: {email: "bot@example.com", password: "correct horse battery staple", displayName: "Bot"}) { userErrors { code } } }`, nil},
			{"ReadWriteTokenCreateApiToken", rwToken, `mutation { createApiToken(input: {name: "minted", scopes: [READ, WRITE]}) { token } }`, nil},
			{"ReadWriteTokenChangePassword", rwToken, `mutation($pw: String!) { changePassword(input: {currentPassword: $pw, newPassword: "a brand new passphrase"}) { userErrors { code } } }`, map[string]any{"pw": learner.Password}},
			{"ReadWriteTokenLogOut", rwToken, `mutation { logOut { sessionId } }`, nil},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				r := asBearer(t, c, tt.token, tt.doc, tt.vars)
				requireErrorCode(t, r, string(apperr.Forbidden))
				if string(r.Data) != "null" {
					t.Errorf("a refused mutation answered data %s, want null", r.Data)
				}
				if got := tokens(); got != 2 {
					t.Errorf("API tokens after the refused mutation: %d, want 2", got)
				}
				if got := sessions(); got != 1 {
					t.Errorf("sessions after the refused mutation: %d, want 1", got)
				}
				if got := users(); got != usersBefore {
					t.Errorf("accounts after the refused mutation: %d, want %d", got, usersBefore)
				}
				if got := passwordHash(t, db, learner.Email); got != hashBefore {
					t.Error("the refused mutation changed the password")
				}
			})
		}

		t.Run("SessionStillWorks", func(t *testing.T) {
			var out struct {
				Viewer struct{ User struct{ Email string } }
			}
			asBearer(t, c, session, `{ viewer { user { email } } }`, nil).Decode(t, &out)
			if out.Viewer.User.Email != learner.Email {
				t.Fatalf("the session after the refused mutations answered %+v", out)
			}
		})
	})
}

func outcome(err error) string {
	var e *apperr.Error
	switch {
	case err == nil:
		return allow
	case errors.As(err, &e) && e.Code == apperr.Unauthenticated:
		return unauth
	case errors.As(err, &e) && e.Code == apperr.Forbidden:
		return forbid
	}
	return "error: " + err.Error()
}

// rootFields lists "Query.x" and "Mutation.y" for every root field of the
// executable schema.
func rootFields() []string {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	var out []string
	for _, def := range []string{"Query", "Mutation", "Subscription"} {
		if typ := s.Types[def]; typ != nil {
			for _, f := range typ.Fields {
				if len(f.Name) > 2 && f.Name[:2] == "__" {
					continue
				}
				out = append(out, def+"."+f.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// setDemoPasswords gives the seeded demo accounts their known passwords.
func setDemoPasswords(t testing.TB, db *database.DB) {
	t.Helper()
	hasher, err := password.NewHasher(password.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.SetDemoPasswords(context.Background(), db.Ent, hasher.Hash); err != nil {
		t.Fatal(err)
	}
}

// logInForToken signs a in with transport TOKEN and returns the session
// token.
func logInForToken(t testing.TB, c *testenv.Client, a seed.DemoAccount) string {
	t.Helper()
	var out struct {
		LogIn struct {
			Token      string
			UserErrors []struct{ Code string }
		}
	}
	c.Query(`mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p, transport: TOKEN}) { token userErrors { code } } }`,
		map[string]any{"e": a.Email, "p": a.Password}).Decode(t, &out)
	if out.LogIn.Token == "" || len(out.LogIn.UserErrors) > 0 {
		t.Fatalf("logIn as %s: %+v", a.Email, out)
	}
	return out.LogIn.Token
}

// createToken creates an API token with the session token and returns its
// secret.
func createToken(t testing.TB, c *testenv.Client, session, name string, scopes ...string) string {
	t.Helper()
	var out struct {
		CreateAPIToken struct {
			Token      string
			UserErrors []struct{ Code string }
		} `json:"createApiToken"`
	}
	asBearer(t, c, session, `mutation($n: String!, $s: [ApiTokenScope!]!) { createApiToken(input: {name: $n, scopes: $s}) { token userErrors { code } } }`,
		map[string]any{"n": name, "s": scopes}).Decode(t, &out)
	if out.CreateAPIToken.Token == "" {
		t.Fatalf("createApiToken %s: %+v", name, out)
	}
	return out.CreateAPIToken.Token
}

// asBearer posts a GraphQL document with `Authorization: Bearer token`.
func asBearer(t testing.TB, c *testenv.Client, token, query string, vars map[string]any) testenv.Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	return c.For(t).Do(req)
}

// countOf counts the rows of an ent query, read as the system.
func countOf(t testing.TB, q interface {
	Count(context.Context) (int, error)
}) int {
	t.Helper()
	n, err := q.Count(asSystem())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// passwordHash returns the stored password hash of the account at email.
func passwordHash(t testing.TB, db *database.DB, email string) string {
	t.Helper()
	u, err := db.Ent.User.Query().Where(user.Email(email)).Only(asSystem())
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHash == nil {
		return ""
	}
	return *u.PasswordHash
}

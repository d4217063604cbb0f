package auth_test

import (
	"slices"
	"strings"
	"testing"

	"lectern/internal/testenv"
)

// The documents the tests send and the payloads they read, as a client
// of graph/identity.graphqls would write them.

const (
	userFields      = `id displayName email emailVerified role`
	userErrorFields = `userErrors { code field message }`

	signUpDoc = `mutation($input: SignUpInput!) { signUp(input: $input) { user { ` + userFields + ` createdAt } ` + userErrorFields + ` } }`
	verifyDoc = `mutation($token: String!) { verifyEmail(token: $token) { user { id } ` + userErrorFields + ` } }`
	logInDoc  = `mutation($input: LogInInput!) { logIn(input: $input) { ` + testenv.SignInFields + ` } }`
	mfaDoc    = `mutation($input: VerifyMfaInput!) { verifyMfa(input: $input) { ` + testenv.SignInFields + ` } }`
	viewerDoc = `query { viewer { user { ` + userFields + ` } mfaEnabled sessionMfa sessions { id current } } }`
	// tokenViewerDoc leaves out sessions, which are listed only to a
	// signed-in session, never to an API token.
	tokenViewerDoc = `query { viewer { user { ` + userFields + ` } mfaEnabled sessionMfa } }`

	requestResetDoc   = `mutation($email: String!) { requestPasswordReset(email: $email) { ` + userErrorFields + ` } }`
	resetDoc          = `mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { passwordChanged ` + userErrorFields + ` } }`
	changePasswordDoc = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { id } ` + userErrorFields + ` } }`
	changeEmailDoc    = `mutation($input: ChangeEmailInput!) { changeEmail(input: $input) { user { ` + userFields + ` } ` + userErrorFields + ` } }`
	startTotpDoc      = `mutation { startTotpEnrollment { secret otpauthUri ` + userErrorFields + ` } }`
	confirmTotpDoc    = `mutation($code: String!) { confirmTotpEnrollment(code: $code) { recoveryCodes ` + userErrorFields + ` } }`
	disableTotpDoc    = `mutation($input: ReauthenticateInput!) { disableTotp(input: $input) { user { id } ` + userErrorFields + ` } }`
	regenerateDoc     = `mutation($input: ReauthenticateInput!) { regenerateRecoveryCodes(input: $input) { recoveryCodes ` + userErrorFields + ` } }`
	createTokenDoc    = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id name } ` + userErrorFields + ` } }`
	revokeTokenDoc    = `mutation($id: ID!) { revokeApiToken(id: $id) { apiTokenId ` + userErrorFields + ` } }`
	revokeSessionDoc  = `mutation($id: ID!) { revokeSession(id: $id) { sessionId ` + userErrorFields + ` } }`
)

type userError struct {
	Code    string   `json:"code"`
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

type gqlUser struct {
	ID            string  `json:"id"`
	DisplayName   string  `json:"displayName"`
	Email         *string `json:"email"`
	EmailVerified *bool   `json:"emailVerified"`
	Role          *string `json:"role"`
}

type viewerData struct {
	User       gqlUser `json:"user"`
	MfaEnabled bool    `json:"mfaEnabled"`
	SessionMfa bool    `json:"sessionMfa"`
	Sessions   []struct {
		ID      string `json:"id"`
		Current bool   `json:"current"`
	} `json:"sessions"`
}

// logInPayload is logIn's and verifyMfa's payload, as testenv.SignInFields
// selects it.
type logInPayload struct {
	Viewer       *viewerData `json:"viewer"`
	Token        *string     `json:"token"`
	MfaRequired  bool        `json:"mfaRequired"`
	MfaChallenge *string     `json:"mfaChallenge"`
	UserErrors   []userError `json:"userErrors"`
}

type userPayload struct {
	User       *gqlUser    `json:"user"`
	UserErrors []userError `json:"userErrors"`
}

type codesPayload struct {
	RecoveryCodes []string    `json:"recoveryCodes"`
	UserErrors    []userError `json:"userErrors"`
}

// wantNoUserErrors fails when a payload reports problems.
func wantNoUserErrors(t *testing.T, what string, ue []userError) {
	t.Helper()
	if len(ue) != 0 {
		t.Fatalf("%s: unexpected userErrors %+v", what, ue)
	}
}

// wantUserError checks that a payload reports exactly one problem, with
// code at field (nil for a problem of no one field).
func wantUserError(t *testing.T, what string, ue []userError, code string, field ...string) {
	t.Helper()
	if len(ue) != 1 || ue[0].Code != code || !slices.Equal(ue[0].Field, field) {
		t.Fatalf("%s: userErrors = %+v, want one %s at %q", what, ue, code, field)
	}
	if ue[0].Message == "" {
		t.Errorf("%s: %s has no message", what, code)
	}
}

// wantRateLimited checks a request-level RATE_LIMITED error that tells the
// caller how long to wait.
func wantRateLimited(t *testing.T, what string, res testenv.Reply) {
	t.Helper()
	e := res.OnlyError(t)
	if e.Extensions.Code != "RATE_LIMITED" {
		t.Fatalf("%s: code %q, want RATE_LIMITED: %s", what, e.Extensions.Code, res.Raw)
	}
	if wait, _ := res.ErrorExtension(t, 0, "retryAfterSeconds").(float64); wait <= 0 {
		t.Errorf("%s: retryAfterSeconds = %v, want > 0", what, res.ErrorExtension(t, 0, "retryAfterSeconds"))
	}
	if e.Extensions.RequestID != res.RequestID() {
		t.Errorf("%s: requestId %v, X-Request-ID %q", what, e.Extensions.RequestID, res.RequestID())
	}
}

func (c *caller) signUp(t *testing.T, email, pw, name string) (testenv.Reply, userPayload) {
	t.Helper()
	res := c.Query(t, signUpDoc, map[string]any{"input": map[string]any{"email": email, "password": pw, "displayName": name}})
	var p userPayload
	if len(res.Errors) == 0 {
		res.Field(t, "signUp", &p)
	}
	return res, p
}

func (c *caller) logIn(t *testing.T, email, pw string) (testenv.Reply, logInPayload) {
	t.Helper()
	return c.logInVia(t, email, pw, testenv.CookieTransport)
}

func (c *caller) logInVia(t *testing.T, email, pw, transport string) (testenv.Reply, logInPayload) {
	t.Helper()
	res := c.LogIn(t, email, pw, transport)
	var p logInPayload
	if len(res.Errors) == 0 {
		res.Field(t, "logIn", &p)
	}
	return res, p
}

// mustLogIn signs in with a password alone and fails unless a session
// started.
func (c *caller) mustLogIn(t *testing.T, email, pw string) logInPayload {
	t.Helper()
	var p logInPayload
	c.SignIn(t, email, pw, testenv.CookieTransport).Field(t, "logIn", &p)
	return p
}

func (c *caller) verifyMfa(t *testing.T, challenge, code, transport string) (testenv.Reply, logInPayload) {
	t.Helper()
	res := c.VerifyMFA(t, challenge, code, transport)
	var p logInPayload
	if len(res.Errors) == 0 {
		res.Field(t, "verifyMfa", &p)
	}
	return res, p
}

// viewer returns who the caller is signed in as, or nil.
func (c *caller) viewer(t *testing.T) *viewerData {
	t.Helper()
	doc := viewerDoc
	if strings.HasPrefix(c.Bearer, "lct_pat_") {
		doc = tokenViewerDoc
	}
	res := c.Query(t, doc, nil)
	var v *viewerData
	res.Field(t, "viewer", &v)
	return v
}

func (c *caller) verifyEmail(t *testing.T, token string) userPayload {
	t.Helper()
	var p userPayload
	c.Query(t, verifyDoc, map[string]any{"token": token}).Field(t, "verifyEmail", &p)
	return p
}

func (c *caller) requestReset(t *testing.T, email string) testenv.Reply {
	t.Helper()
	return c.Query(t, requestResetDoc, map[string]any{"email": email})
}

type resetPayload struct {
	PasswordChanged bool        `json:"passwordChanged"`
	UserErrors      []userError `json:"userErrors"`
}

func (c *caller) resetPassword(t *testing.T, token, pw string) resetPayload {
	t.Helper()
	var p resetPayload
	c.Query(t, resetDoc, map[string]any{"input": map[string]any{"token": token, "newPassword": pw}}).Field(t, "resetPassword", &p)
	return p
}

func (c *caller) changePassword(t *testing.T, current, next string) (testenv.Reply, userPayload) {
	t.Helper()
	res := c.Query(t, changePasswordDoc, map[string]any{"input": map[string]any{"currentPassword": current, "newPassword": next}})
	var p userPayload
	if len(res.Errors) == 0 {
		res.Field(t, "changePassword", &p)
	}
	return res, p
}

func (c *caller) changeEmail(t *testing.T, pw, email string) (testenv.Reply, userPayload) {
	t.Helper()
	res := c.Query(t, changeEmailDoc, map[string]any{"input": map[string]any{"password": pw, "newEmail": email}})
	var p userPayload
	res.Field(t, "changeEmail", &p)
	return res, p
}

type totpStart struct {
	Secret     *string     `json:"secret"`
	OtpauthURI *string     `json:"otpauthUri"`
	UserErrors []userError `json:"userErrors"`
}

func (c *caller) startTotp(t *testing.T) totpStart {
	t.Helper()
	var p totpStart
	c.Query(t, startTotpDoc, nil).Field(t, "startTotpEnrollment", &p)
	return p
}

func (c *caller) confirmTotp(t *testing.T, code string) (testenv.Reply, codesPayload) {
	t.Helper()
	res := c.Query(t, confirmTotpDoc, map[string]any{"code": code})
	var p codesPayload
	res.Field(t, "confirmTotpEnrollment", &p)
	return res, p
}

type tokenPayload struct {
	Token    *string `json:"token"`
	APIToken *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"apiToken"`
	UserErrors []userError `json:"userErrors"`
}

func (c *caller) createToken(t *testing.T, name string) (testenv.Reply, tokenPayload) {
	t.Helper()
	res := c.Query(t, createTokenDoc, map[string]any{"input": map[string]any{"name": name, "scopes": []string{"READ"}, "expiresInDays": 30}})
	var p tokenPayload
	res.Field(t, "createApiToken", &p)
	wantNoUserErrors(t, "createApiToken", p.UserErrors)
	if p.Token == nil || p.APIToken == nil {
		t.Fatalf("createApiToken: no token in %s", res.Raw)
	}
	return res, p
}

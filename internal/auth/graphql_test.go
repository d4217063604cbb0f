package auth_test

import (
	"slices"
	"strings"
	"testing"
)

// The documents the tests send and the payloads they read, as a client
// of graph/identity.graphqls would write them.

const (
	userFields      = `id displayName email emailVerified role`
	userErrorFields = `userErrors { code field message }`

	signUpDoc = `mutation($input: SignUpInput!) { signUp(input: $input) { user { ` + userFields + ` createdAt } ` + userErrorFields + ` } }`
	verifyDoc = `mutation($token: String!) { verifyEmail(token: $token) { user { id } ` + userErrorFields + ` } }`
	logInDoc  = `mutation($input: LogInInput!) { logIn(input: $input) { ` + logInFields + ` } }`
	mfaDoc    = `mutation($input: VerifyMfaInput!) { verifyMfa(input: $input) { ` + logInFields + ` } }`
	viewerDoc = `query { viewer { user { ` + userFields + ` } mfaEnabled sessionMfa sessions { id current } } }`
	// tokenViewerDoc leaves out sessions, which are listed only to a
	// signed-in session, never to an API token.
	tokenViewerDoc = `query { viewer { user { ` + userFields + ` } mfaEnabled sessionMfa } }`

	logInFields = `viewer { user { ` + userFields + ` } mfaEnabled sessionMfa } token mfaRequired mfaChallenge ` + userErrorFields

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
func wantRateLimited(t *testing.T, what string, res *result) {
	t.Helper()
	e := res.onlyError(t)
	if e.code() != "RATE_LIMITED" {
		t.Fatalf("%s: code %q, want RATE_LIMITED: %s", what, e.code(), res.Raw)
	}
	if wait, _ := e.Extensions["retryAfterSeconds"].(float64); wait <= 0 {
		t.Errorf("%s: retryAfterSeconds = %v, want > 0", what, e.Extensions["retryAfterSeconds"])
	}
	if e.Extensions["requestId"] != res.requestID() {
		t.Errorf("%s: requestId %v, X-Request-ID %q", what, e.Extensions["requestId"], res.requestID())
	}
}

func (c *caller) signUp(t *testing.T, email, pw, name string) (*result, userPayload) {
	t.Helper()
	res := c.do(t, signUpDoc, map[string]any{"input": map[string]any{"email": email, "password": pw, "displayName": name}})
	var p userPayload
	if len(res.Errors) == 0 {
		res.field(t, "signUp", &p)
	}
	return res, p
}

func (c *caller) logIn(t *testing.T, email, pw string) (*result, logInPayload) {
	t.Helper()
	return c.logInVia(t, email, pw, "COOKIE")
}

func (c *caller) logInVia(t *testing.T, email, pw, transport string) (*result, logInPayload) {
	t.Helper()
	res := c.do(t, logInDoc, map[string]any{"input": map[string]any{"email": email, "password": pw, "transport": transport}})
	var p logInPayload
	if len(res.Errors) == 0 {
		res.field(t, "logIn", &p)
	}
	return res, p
}

// mustLogIn signs in with a password alone and fails unless a session
// started.
func (c *caller) mustLogIn(t *testing.T, email, pw string) logInPayload {
	t.Helper()
	_, p := c.logIn(t, email, pw)
	wantNoUserErrors(t, "logIn", p.UserErrors)
	if p.Viewer == nil || c.cookie == "" {
		t.Fatalf("logIn %s: no session (viewer %v, cookie %q)", email, p.Viewer, c.cookie)
	}
	return p
}

func (c *caller) verifyMfa(t *testing.T, challenge, code, transport string) (*result, logInPayload) {
	t.Helper()
	res := c.do(t, mfaDoc, map[string]any{"input": map[string]any{"challenge": challenge, "code": code, "transport": transport}})
	var p logInPayload
	if len(res.Errors) == 0 {
		res.field(t, "verifyMfa", &p)
	}
	return res, p
}

// viewer returns who the caller is signed in as, or nil.
func (c *caller) viewer(t *testing.T) *viewerData {
	t.Helper()
	doc := viewerDoc
	if strings.HasPrefix(c.bearer, "lct_pat_") {
		doc = tokenViewerDoc
	}
	res := c.do(t, doc, nil)
	var v *viewerData
	res.field(t, "viewer", &v)
	return v
}

func (c *caller) verifyEmail(t *testing.T, token string) userPayload {
	t.Helper()
	var p userPayload
	c.do(t, verifyDoc, map[string]any{"token": token}).field(t, "verifyEmail", &p)
	return p
}

func (c *caller) requestReset(t *testing.T, email string) *result {
	t.Helper()
	return c.do(t, requestResetDoc, map[string]any{"email": email})
}

type resetPayload struct {
	PasswordChanged bool        `json:"passwordChanged"`
	UserErrors      []userError `json:"userErrors"`
}

func (c *caller) resetPassword(t *testing.T, token, pw string) resetPayload {
	t.Helper()
	var p resetPayload
	c.do(t, resetDoc, map[string]any{"input": map[string]any{"token": token, "newPassword": pw}}).field(t, "resetPassword", &p)
	return p
}

func (c *caller) changePassword(t *testing.T, current, next string) (*result, userPayload) {
	t.Helper()
	res := c.do(t, changePasswordDoc, map[string]any{"input": map[string]any{"currentPassword": current, "newPassword": next}})
	var p userPayload
	if len(res.Errors) == 0 {
		res.field(t, "changePassword", &p)
	}
	return res, p
}

func (c *caller) changeEmail(t *testing.T, pw, email string) (*result, userPayload) {
	t.Helper()
	res := c.do(t, changeEmailDoc, map[string]any{"input": map[string]any{"password": pw, "newEmail": email}})
	var p userPayload
	res.field(t, "changeEmail", &p)
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
	c.do(t, startTotpDoc, nil).field(t, "startTotpEnrollment", &p)
	return p
}

func (c *caller) confirmTotp(t *testing.T, code string) (*result, codesPayload) {
	t.Helper()
	res := c.do(t, confirmTotpDoc, map[string]any{"code": code})
	var p codesPayload
	res.field(t, "confirmTotpEnrollment", &p)
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

func (c *caller) createToken(t *testing.T, name string) (*result, tokenPayload) {
	t.Helper()
	res := c.do(t, createTokenDoc, map[string]any{"input": map[string]any{"name": name, "scopes": []string{"READ"}, "expiresInDays": 30}})
	var p tokenPayload
	res.field(t, "createApiToken", &p)
	wantNoUserErrors(t, "createApiToken", p.UserErrors)
	if p.Token == nil || p.APIToken == nil {
		t.Fatalf("createApiToken: no token in %s", res.Raw)
	}
	return res, p
}

package testenv

import (
	"encoding/json"
	"testing"

	"lectern/internal/gid"
)

// Session transports, as logIn's transport argument names them: a cookie
// the browser keeps, or a token in the payload for a script to send as a
// bearer token.
const (
	CookieTransport = "COOKIE"
	TokenTransport  = "TOKEN"
)

// SignInFields is what LogIn and VerifyMFA select of their payloads.
const SignInFields = `viewer { user { id displayName email emailVerified role } mfaEnabled sessionMfa }
	token mfaRequired mfaChallenge userErrors { code field message }`

const (
	logInDoc = `mutation($email: String!, $password: String!, $transport: SessionTransport) {
	logIn(input: {email: $email, password: $password, transport: $transport}) { ` + SignInFields + ` } }`
	verifyMFADoc = `mutation($challenge: String!, $code: String!, $transport: SessionTransport) {
	verifyMfa(input: {challenge: $challenge, code: $code, transport: $transport}) { ` + SignInFields + ` } }`
)

// signInPayload is what the helpers read of a logIn or verifyMfa payload.
type signInPayload struct {
	Viewer *struct {
		User       struct{ ID string }
		SessionMfa bool
	}
	Token        *string
	MfaRequired  bool
	MfaChallenge *string
	UserErrors   []struct {
		Code    string
		Field   []string
		Message string
	}
}

// LogIn sends logIn as c with email and password over transport (empty to
// leave the argument out and take the default) and returns the answer, as
// it is; a cookie it sets is kept.
func (c *Caller) LogIn(t testing.TB, email, password, transport string) Reply {
	t.Helper()
	vars := map[string]any{"email": email, "password": password}
	if transport != "" {
		vars["transport"] = transport
	}
	return c.Query(t, logInDoc, vars)
}

// VerifyMFA answers a sign-in's challenge with code as c, over transport
// (empty for the default), and returns the answer as it is.
func (c *Caller) VerifyMFA(t testing.TB, challenge, code, transport string) Reply {
	t.Helper()
	vars := map[string]any{"challenge": challenge, "code": code}
	if transport != "" {
		vars["transport"] = transport
	}
	return c.Query(t, verifyMFADoc, vars)
}

// SignIn signs c in with a password over transport and fails the test
// unless a session started without a second factor: with COOKIE c keeps
// the cookie, with TOKEN the token becomes c.Bearer. c.ID and c.Email name
// the account afterwards.
func (c *Caller) SignIn(t testing.TB, email, password, transport string) Reply {
	t.Helper()
	r := c.LogIn(t, email, password, transport)
	p := decodeSignIn(t, r, "logIn")
	if p.MfaRequired || p.Viewer == nil || len(p.UserErrors) > 0 {
		t.Fatalf("logIn as %s: %s", email, r.Raw)
	}
	c.signedIn(t, r, p, email, transport)
	return r
}

// SignInMFA signs c in with a password and then code (a TOTP code or a
// recovery code) for the challenge, over transport, and fails the test
// unless the session passed two-factor sign-in. It leaves c as SignIn
// does and returns verifyMfa's answer.
func (c *Caller) SignInMFA(t testing.TB, email, password, code, transport string) Reply {
	t.Helper()
	r := c.LogIn(t, email, password, transport)
	p := decodeSignIn(t, r, "logIn")
	if !p.MfaRequired || p.MfaChallenge == nil || len(p.UserErrors) > 0 {
		t.Fatalf("logIn as %s with two-factor sign-in on: %s, want a challenge", email, r.Raw)
	}
	r = c.VerifyMFA(t, *p.MfaChallenge, code, transport)
	p = decodeSignIn(t, r, "verifyMfa")
	if p.Viewer == nil || !p.Viewer.SessionMfa || len(p.UserErrors) > 0 {
		t.Fatalf("verifyMfa as %s: %s, want a session that passed MFA", email, r.Raw)
	}
	c.signedIn(t, r, p, email, transport)
	return r
}

func decodeSignIn(t testing.TB, r Reply, field string) signInPayload {
	t.Helper()
	var p signInPayload
	raw, ok := r.Root(field)
	if len(r.Errors) > 0 || !ok {
		t.Fatalf("%s: status %d, %s", field, r.Status, r.Raw)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("%s payload %s: %v", field, raw, err)
	}
	return p
}

// signedIn records in c the session a successful answer started.
func (c *Caller) signedIn(t testing.TB, r Reply, p signInPayload, email, transport string) {
	t.Helper()
	if transport == TokenTransport {
		if p.Token == nil || *p.Token == "" {
			t.Fatalf("sign-in over TOKEN returned no token: %s", r.Raw)
		}
		c.Cookie, c.Bearer = "", *p.Token
	} else if c.Cookie == "" {
		t.Fatalf("sign-in over COOKIE set no session cookie: %s", r.Raw)
	}
	id, err := gid.Parse(p.Viewer.User.ID)
	if err != nil || id.Type != "User" {
		t.Fatalf("signed-in viewer %q is not a User (%v)", p.Viewer.User.ID, err)
	}
	c.ID, c.Email = id.UUID, email
}

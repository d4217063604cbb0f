package auth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"lectern/ent/session"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

const sessionPassword = "a passphrase for sessions"

func TestSessions(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("TransportsDoNotMix", alone(dialect, transportsDoNotMix))
		t.Run("APITokenCannotManageCredentials", alone(dialect, apiTokenCannotManageCredentials))
		t.Run("LogOutEndsSession", alone(dialect, logOutEndsSession))
	})
}

// A session token works only the way it was issued: a cookie stolen from
// a browser cannot be replayed as a bearer token by a script, nor a
// client's token planted as a cookie.
func transportsDoNotMix(t *testing.T, h *harness) {
	h.createUser(t, "transport@example.com", sessionPassword)
	b := h.browser()
	b.mustLogIn(t, "transport@example.com", sessionPassword)
	res := h.browser().withBearer(b.Cookie).Query(t, viewerDoc, nil)
	if res.Status != http.StatusUnauthorized || res.OnlyError(t).Extensions.Code != "UNAUTHENTICATED" {
		t.Errorf("cookie session sent as a bearer token: status %d, %s", res.Status, res.Raw)
	}

	_, p := h.browser().logInVia(t, "transport@example.com", sessionPassword, "TOKEN")
	if p.Token == nil {
		t.Fatal("logIn TOKEN returned no token")
	}
	planted := h.browser()
	planted.Cookie = *p.Token
	if v := planted.viewer(t); v != nil {
		t.Error("a token-transport session works as a cookie")
	}
	if planted.Cookie != "" {
		t.Error("the refused cookie was not cleared")
	}
	if b.viewer(t) == nil {
		t.Error("the cookie session stopped working")
	}
}

// Credentials are managed only from a signed-in session: an API token,
// even with WRITE, is refused before anything changes.
func apiTokenCannotManageCredentials(t *testing.T, h *harness) {
	u := h.createUser(t, "scripted@example.com", sessionPassword)
	b := h.browser()
	b.mustLogIn(t, "scripted@example.com", sessionPassword)
	var tp tokenPayload
	b.Query(t, createTokenDoc, map[string]any{"input": map[string]any{"name": "full", "scopes": []string{"READ", "WRITE"}}}).
		Field(t, "createApiToken", &tp)
	wantNoUserErrors(t, "createApiToken", tp.UserErrors)
	api := h.browser().withBearer(*tp.Token)
	if v := api.viewer(t); v == nil || v.User.Email == nil || *v.User.Email != "scripted@example.com" {
		t.Fatalf("the token does not read the viewer: %+v", v)
	}

	for name, op := range map[string]struct {
		doc  string
		vars map[string]any
	}{
		"changePassword":      {changePasswordDoc, map[string]any{"input": map[string]any{"currentPassword": sessionPassword, "newPassword": "a passphrase set by a script"}}},
		"changeEmail":         {changeEmailDoc, map[string]any{"input": map[string]any{"password": sessionPassword, "newEmail": "hijacked@example.com"}}},
		"startTotpEnrollment": {startTotpDoc, nil},
		"createApiToken":      {createTokenDoc, map[string]any{"input": map[string]any{"name": "another", "scopes": []string{"READ"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			res := api.Query(t, op.doc, op.vars)
			if e := res.OnlyError(t); e.Extensions.Code != "FORBIDDEN" {
				t.Errorf("%s with an API token: code %q, want FORBIDDEN", name, e.Extensions.Code)
			}
		})
	}
	row := h.userByID(t, u.ID)
	if ok, _, _ := hasher(t).Verify(context.Background(), sessionPassword, *row.PasswordHash); !ok || row.TotpPendingSecret != nil {
		t.Error("an API token changed the account's credentials")
	}
	h.drainJobs(t)
	if got := h.mailTo(t, "hijacked@example.com"); len(got) != 0 {
		t.Error("an API token started an email change")
	}
}

func logOutEndsSession(t *testing.T, h *harness) {
	h.createUser(t, "leaving@example.com", sessionPassword)
	b := h.browser()
	b.mustLogIn(t, "leaving@example.com", sessionPassword)
	stale := b.clone()
	var p struct {
		SessionID  *string     `json:"sessionId"`
		UserErrors []userError `json:"userErrors"`
	}
	res := b.Query(t, `mutation { logOut { sessionId `+userErrorFields+` } }`, nil)
	res.Field(t, "logOut", &p)
	wantNoUserErrors(t, "logOut", p.UserErrors)
	if p.SessionID == nil {
		t.Error("logOut named no session")
	}
	if cookie, set := res.SessionCookie(); !set || cookie != "" {
		t.Error("logOut did not clear the cookie")
	}
	if v := stale.viewer(t); v != nil {
		t.Error("the session still works after logOut")
	}
}

func TestIdentityLogInWithCookie(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		h := newDemoHarness(t, dialect)
		learner := testenv.DemoAccount(t, "LEARNER")
		b := h.browser()
		signedInAt := time.Now()
		out, r := b.logInAs(t, learner, "")

		raw, _ := sessionSetCookie(t, r.Header)
		m := sessionCookieLine.FindStringSubmatch(raw)
		if m == nil {
			t.Fatalf("Set-Cookie = %q, want %s", raw, sessionCookieLine)
		}
		token := m[1]
		// 12 hours: Max-Age counts from when the header is written, and a
		// busy machine may take a moment after creating the session.
		if age, _ := strconv.Atoi(m[2]); age < 43200-10 || age > 43200 {
			t.Errorf("Max-Age = %d, want 43200 (the 12-hour session)", age)
		}
		if out.LogIn.Token != nil {
			t.Errorf("logIn COOKIE put the token in the payload too: %q", *out.LogIn.Token)
		}
		if strings.Contains(string(r.Data), token) {
			t.Errorf("the response body holds the session token: %s", r.Data)
		}
		u := out.LogIn.Viewer.User
		if u.Email == nil || *u.Email != learner.Email || u.Role == nil || *u.Role != "LEARNER" || u.EmailVerified == nil || !*u.EmailVerified {
			t.Errorf("logIn viewer = %s, want the learner's own email, role and verification", r.Data)
		}
		if out.LogIn.MfaRequired {
			t.Error("mfaRequired for an account without two-factor sign-in")
		}

		t.Run("StoresOnlyTheHash", func(t *testing.T) {
			rows := testenv.SessionsOf(t, h.db, learner.Email)
			sum := sha256.Sum256([]byte(token))
			if len(rows) != 1 || !bytes.Equal(rows[0].TokenHash, sum[:]) || rows[0].Transport != session.TransportCOOKIE {
				t.Fatalf("sessions = %+v, want one COOKIE session stored by the token's SHA-256", rows)
			}
			if got := rows[0].ExpiresAt.Sub(rows[0].CreatedAt); got != 12*time.Hour {
				t.Errorf("session lifetime = %v, want 12h", got)
			}
			if d := rows[0].ExpiresAt.Sub(signedInAt.Add(12 * time.Hour)); d < -time.Minute || d > time.Minute {
				t.Errorf("session expires at %v, want about 12h after sign-in", rows[0].ExpiresAt)
			}
			requireNotStored(t, h.db, token)
			if strings.Contains(h.app.Logs.String(), token) {
				t.Error("the logs hold the session token")
			}
		})

		t.Run("PayloadMarksTheNewSessionCurrent", func(t *testing.T) {
			other := h.browser()
			r := other.Query(t, `mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) { viewer { sessions { id current } } } }`,
				map[string]any{"e": learner.Email, "p": learner.Password})
			var out struct {
				LogIn struct {
					Viewer struct {
						Sessions []struct {
							ID      string
							Current bool
						}
					}
				}
			}
			r.Decode(t, &out)
			want := sessionGID(t, h.db, other.Cookie)
			var current []string
			for _, s := range out.LogIn.Viewer.Sessions {
				if s.Current {
					current = append(current, s.ID)
				}
			}
			if len(out.LogIn.Viewer.Sessions) != 2 || !slices.Equal(current, []string{want}) {
				t.Fatalf("logIn viewer.sessions = %s, want 2 with only the new one (%s) current", r.Data, want)
			}
			other.Query(t, logOutDoc, nil)
		})

		t.Run("CookieSignsIn", func(t *testing.T) {
			if got := b.viewerEmail(t); got != learner.Email {
				t.Fatalf("viewer with the cookie = %q, want %s", got, learner.Email)
			}
		})

		t.Run("SecondLogInReplacesThePresentedSession", func(t *testing.T) {
			old := testenv.SessionByToken(t, h.db, token)
			_, r := b.logInAs(t, learner, "")
			raw, _ := sessionSetCookie(t, r.Header)
			m := sessionCookieLine.FindStringSubmatch(raw)
			if m == nil || m[1] == token {
				t.Fatalf("second logIn Set-Cookie = %q, want a new token", raw)
			}
			if sessionExists(t, h.db, old.ID) {
				t.Error("the session whose cookie was sent with the second logIn still exists")
			}
			if n := len(testenv.SessionsOf(t, h.db, learner.Email)); n != 1 {
				t.Errorf("the learner has %d sessions, want 1", n)
			}
			stale := h.browser()
			stale.Cookie = token
			if got := stale.viewerEmail(t); got != "" {
				t.Errorf("the replaced cookie still signs in as %s", got)
			}
		})

		t.Run("LogInWithoutCookieKeepsOtherSessions", func(t *testing.T) {
			h.browser().logInAs(t, learner, "")
			if n := len(testenv.SessionsOf(t, h.db, learner.Email)); n != 2 {
				t.Errorf("after a sign-in from a second browser the learner has %d sessions, want 2", n)
			}
			if got := b.viewerEmail(t); got != learner.Email {
				t.Errorf("the first browser's session ended when a second browser signed in")
			}
		})
	})
}

func TestIdentityLogInWithToken(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		h := newDemoHarness(t, dialect)
		learner := testenv.DemoAccount(t, "LEARNER")
		out, r := h.script("").logInAs(t, learner, "TOKEN")
		if out.LogIn.Token == nil || !strings.HasPrefix(*out.LogIn.Token, "lct_ses_") {
			t.Fatalf("logIn TOKEN payload = %s, want a session token", r.Data)
		}
		token := *out.LogIn.Token
		if lines := r.Header.Values("Set-Cookie"); len(lines) != 0 {
			t.Errorf("logIn TOKEN set cookies: %q", lines)
		}
		if s := testenv.SessionByToken(t, h.db, token); s == nil || s.Transport != session.TransportTOKEN {
			t.Fatalf("stored session = %+v, want a TOKEN session found by the token's hash", s)
		}
		requireNotStored(t, h.db, token)

		t.Run("WorksAsBearer", func(t *testing.T) {
			if got := h.script(token).viewerEmail(t); got != learner.Email {
				t.Fatalf("viewer with the bearer token = %q, want %s", got, learner.Email)
			}
		})

		t.Run("RefusedAsCookie", func(t *testing.T) {
			b := h.browser()
			b.Cookie = token
			r := b.Query(t, `{ viewer { user { email } } }`, nil)
			if r.Status != http.StatusOK || string(r.Data) != `{"viewer":null}` {
				t.Fatalf("a TOKEN session sent as the cookie: status %d, data %s; want an anonymous answer", r.Status, r.Data)
			}
			requireCleared(t, r)
			if got := h.script(token).viewerEmail(t); got != learner.Email {
				t.Error("presenting the token as a cookie ended its session")
			}
		})

		t.Run("CookieSessionRefusedAsBearer", func(t *testing.T) {
			b := h.browser()
			b.logInAs(t, learner, "")
			r := h.script(b.Cookie).Query(t, `{ viewer { user { email } } }`, nil)
			requireRefused(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
			if got := r.Header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate = %q, want Bearer error=\"invalid_token\"", got)
			}
			if got := b.viewerEmail(t); got != learner.Email {
				t.Error("presenting the cookie as a bearer token ended its session")
			}
		})
	})
}

const logOutDoc = `mutation { logOut { sessionId userErrors { code field } } }`

type logOutAnswer struct {
	LogOut struct {
		SessionID  *string `json:"sessionId"`
		UserErrors []userError
	}
}

func TestIdentityLogOut(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		learner := testenv.DemoAccount(t, "LEARNER")

		t.Run("Cookie", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			b := h.browser()
			b.logInAs(t, learner, "")
			cookie := b.Cookie
			sess := testenv.SessionByToken(t, h.db, cookie)
			r := b.Query(t, logOutDoc, nil)
			var out logOutAnswer
			r.Decode(t, &out)
			if want := gid.New("Session", sess.ID).String(); out.LogOut.SessionID == nil || *out.LogOut.SessionID != want || len(out.LogOut.UserErrors) != 0 {
				t.Fatalf("logOut = %s, want sessionId %s", r.Data, want)
			}
			requireCleared(t, r)
			if sessionExists(t, h.db, sess.ID) {
				t.Fatal("the session row survived logOut")
			}
			stale := h.browser()
			stale.Cookie = cookie
			r = stale.Query(t, `{ viewer { user { email } } }`, nil)
			if r.Status != http.StatusOK || string(r.Data) != `{"viewer":null}` || len(r.Errors) != 0 {
				t.Fatalf("the signed-out cookie: status %d, data %s, errors %+v; want an anonymous answer", r.Status, r.Data, r.Errors)
			}
			requireCleared(t, r)

			// Signing in again over the stale cookie: the clearing and the new
			// cookie must not both reach the browser.
			stale.Cookie = cookie
			_, r = stale.logInAs(t, learner, "")
			raw, _ := sessionSetCookie(t, r.Header)
			if m := sessionCookieLine.FindStringSubmatch(raw); m == nil || m[1] == cookie {
				t.Fatalf("logIn over a signed-out cookie: Set-Cookie %q, want one new session cookie", raw)
			}
			if got := stale.viewerEmail(t); got != learner.Email {
				t.Fatalf("after signing in again the viewer is %q", got)
			}
		})

		t.Run("Token", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			token := h.script("").logInToken(t, learner)
			r := h.script(token).Query(t, logOutDoc, nil)
			var out logOutAnswer
			r.Decode(t, &out)
			if out.LogOut.SessionID == nil {
				t.Fatalf("logOut with a TOKEN session = %s", r.Data)
			}
			if lines := r.Header.Values("Set-Cookie"); len(lines) != 0 {
				t.Errorf("logOut of a TOKEN session set cookies: %q", lines)
			}
			requireRefused(t, h.script(token).Query(t, `{ viewer { user { email } } }`, nil), http.StatusUnauthorized, "UNAUTHENTICATED")
		})

		t.Run("ReadOnlyAPITokenForbidden", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			b := h.browser()
			b.logInAs(t, learner, "")
			secret, _ := b.mustCreateToken(t, "read only", "READ")
			before := testenv.RowCount(t, h.db.Ent.Session.Query())
			requireGraphQLError(t, h.script(secret).Query(t, logOutDoc, nil), "FORBIDDEN")
			if got := testenv.RowCount(t, h.db.Ent.Session.Query()); got != before {
				t.Errorf("sessions after the refused logOut: %d, want %d", got, before)
			}
			if got := h.script(secret).viewerEmail(t); got != learner.Email {
				t.Error("the API token stopped working after its refused logOut")
			}
			if got := b.viewerEmail(t); got != learner.Email {
				t.Error("the browser session ended after an API token's refused logOut")
			}
		})
	})
}

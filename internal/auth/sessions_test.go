package auth_test

import (
	"net/http"
	"testing"

	"lectern/internal/database"
	"lectern/internal/testenv"
)

const sessionPassword = "a passphrase for sessions"

func TestSessions(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		t.Run("TransportsDoNotMix", func(t *testing.T) { transportsDoNotMix(t, h) })
		t.Run("APITokenCannotManageCredentials", func(t *testing.T) { apiTokenCannotManageCredentials(t, h) })
		t.Run("LogOutEndsSession", func(t *testing.T) { logOutEndsSession(t, h) })
	})
}

// A session token works only the way it was issued: a cookie stolen from
// a browser cannot be replayed as a bearer token by a script, nor a
// client's token planted as a cookie.
func transportsDoNotMix(t *testing.T, h *harness) {
	h.createUser(t, "transport@example.com", sessionPassword)
	b := h.browser()
	b.mustLogIn(t, "transport@example.com", sessionPassword)
	res := h.browser().withBearer(b.cookie).do(t, viewerDoc, nil)
	if res.Status != http.StatusUnauthorized || res.onlyError(t).code() != "UNAUTHENTICATED" {
		t.Errorf("cookie session sent as a bearer token: status %d, %s", res.Status, res.Raw)
	}

	_, p := h.browser().logInVia(t, "transport@example.com", sessionPassword, "TOKEN")
	if p.Token == nil {
		t.Fatal("logIn TOKEN returned no token")
	}
	planted := h.browser()
	planted.cookie = *p.Token
	if v := planted.viewer(t); v != nil {
		t.Error("a token-transport session works as a cookie")
	}
	if planted.cookie != "" {
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
	b.do(t, createTokenDoc, map[string]any{"input": map[string]any{"name": "full", "scopes": []string{"READ", "WRITE"}}}).
		field(t, "createApiToken", &tp)
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
			res := api.do(t, op.doc, op.vars)
			if e := res.onlyError(t); e.code() != "FORBIDDEN" {
				t.Errorf("%s with an API token: code %q, want FORBIDDEN", name, e.code())
			}
		})
	}
	row := h.userByID(t, u.ID)
	if ok, _, _ := h.hasher.Verify(sessionPassword, *row.PasswordHash); !ok || row.TotpPendingSecret != nil {
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
	res := b.do(t, `mutation { logOut { sessionId `+userErrorFields+` } }`, nil)
	res.field(t, "logOut", &p)
	wantNoUserErrors(t, "logOut", p.UserErrors)
	if p.SessionID == nil {
		t.Error("logOut named no session")
	}
	if cookie, set := res.sessionCookie(); !set || cookie != "" {
		t.Error("logOut did not clear the cookie")
	}
	if v := stale.viewer(t); v != nil {
		t.Error("the session still works after logOut")
	}
}

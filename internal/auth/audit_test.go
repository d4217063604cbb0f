package auth_test

import (
	"testing"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/apitoken"
	"lectern/ent/session"
	"lectern/internal/testenv"
)

// wantAudit returns the one record of action that res's request wrote,
// checking that it names the client the request came from.
func (h *harness) wantAudit(t *testing.T, action string, res testenv.Reply, from *caller) *ent.AuditEvent {
	t.Helper()
	if res.RequestID() == "" {
		t.Fatal("response has no X-Request-ID")
	}
	rows := h.auditRows(t, action, res)
	if len(rows) != 1 {
		t.Fatalf("%d %q records for request %s, want 1", len(rows), action, res.RequestID())
	}
	if rows[0].ClientAddr != from.Addr {
		t.Errorf("%s: client_addr %q, want %q", action, rows[0].ClientAddr, from.Addr)
	}
	return rows[0]
}

func wantActor(t *testing.T, e *ent.AuditEvent, want uuid.UUID) {
	t.Helper()
	switch {
	case want == uuid.Nil && e.ActorID != nil:
		t.Errorf("%s: actor %v, want none", e.Action, *e.ActorID)
	case want != uuid.Nil && (e.ActorID == nil || *e.ActorID != want):
		t.Errorf("%s: actor %v, want %v", e.Action, e.ActorID, want)
	}
}

func wantTarget(t *testing.T, e *ent.AuditEvent, typ string, id uuid.UUID) {
	t.Helper()
	if e.TargetType != typ || e.TargetID != id.String() {
		t.Errorf("%s: target %s %s, want %s %s", e.Action, e.TargetType, e.TargetID, typ, id)
	}
}

func TestAuditTrail(t *testing.T) {
	t.Parallel()
	const pw = "an audited passphrase"
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("SignUp", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, dialect)
			c := h.browser()
			res, p := c.signUp(t, "new@example.com", pw, "Newcomer")
			wantNoUserErrors(t, "signUp", p.UserErrors)
			u := h.userRow(t, "new@example.com")
			e := h.wantAudit(t, "signup", res, c)
			wantActor(t, e, u.ID)
			wantTarget(t, e, "User", u.ID)
		})

		t.Run("LogInFailure", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, dialect)
			u := h.createUser(t, "failure@example.com", pw)
			c := h.browser()
			res, _ := c.logIn(t, "failure@example.com", "not it")
			e := h.wantAudit(t, "login.failure", res, c)
			wantActor(t, e, uuid.Nil)
			wantTarget(t, e, "User", u.ID)
			if e.Details["reason"] != "wrong_password" {
				t.Errorf("details %v, want reason wrong_password", e.Details)
			}
		})

		t.Run("LogInSuccess", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, dialect)
			u := h.createUser(t, "success@example.com", pw)
			c := h.browser()
			res, _ := c.logIn(t, "success@example.com", pw)
			sess := h.db.Ent.Session.Query().Where(session.UserID(u.ID)).OnlyX(sys())
			e := h.wantAudit(t, "login.success", res, c)
			wantActor(t, e, u.ID)
			wantTarget(t, e, "Session", sess.ID)
			if e.Details["transport"] != "COOKIE" || e.Details["method"] != "password" {
				t.Errorf("details %v, want transport COOKIE, method password", e.Details)
			}
		})

		t.Run("MFAEnable", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, dialect)
			u := h.createUser(t, "enable@example.com", pw)
			c := h.browser()
			c.mustLogIn(t, "enable@example.com", pw)
			start := c.startTotp(t)
			res, p := c.confirmTotp(t, h.nextCode(t, *start.Secret))
			wantNoUserErrors(t, "confirmTotpEnrollment", p.UserErrors)
			e := h.wantAudit(t, "mfa.enable", res, c)
			wantActor(t, e, u.ID)
			wantTarget(t, e, "User", u.ID)
		})

		t.Run("PasswordChange", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, dialect)
			u := h.createUser(t, "change@example.com", pw)
			c := h.browser()
			c.mustLogIn(t, "change@example.com", pw)
			res, p := c.changePassword(t, pw, "another audited passphrase")
			if len(res.Errors) != 0 {
				t.Fatalf("changePassword: %s", res.Raw)
			}
			wantNoUserErrors(t, "changePassword", p.UserErrors)
			e := h.wantAudit(t, "password.change", res, c)
			wantActor(t, e, u.ID)
			wantTarget(t, e, "User", u.ID)
		})

		t.Run("TokenCreateAndRevoke", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, dialect)
			u := h.createUser(t, "tokens@example.com", pw)
			c := h.browser()
			c.mustLogIn(t, "tokens@example.com", pw)
			res, p := c.createToken(t, "ci")
			tok := h.db.Ent.APIToken.Query().Where(apitoken.UserID(u.ID)).OnlyX(sys())
			e := h.wantAudit(t, "token.create", res, c)
			wantActor(t, e, u.ID)
			wantTarget(t, e, "ApiToken", tok.ID)
			if e.Details["name"] != "ci" {
				t.Errorf("details %v, want the token's name", e.Details)
			}

			res = c.Query(t, revokeTokenDoc, map[string]any{"id": p.APIToken.ID})
			var rp struct {
				APITokenID *string     `json:"apiTokenId"`
				UserErrors []userError `json:"userErrors"`
			}
			res.Field(t, "revokeApiToken", &rp)
			wantNoUserErrors(t, "revokeApiToken", rp.UserErrors)
			e = h.wantAudit(t, "token.revoke", res, c)
			wantActor(t, e, u.ID)
			wantTarget(t, e, "ApiToken", tok.ID)
		})

		t.Run("SessionRevoke", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, dialect)
			u := h.createUser(t, "sessions@example.com", pw)
			c := h.browser()
			c.mustLogIn(t, "sessions@example.com", pw)
			other := h.browser()
			other.mustLogIn(t, "sessions@example.com", pw)
			var otherID string
			for _, s := range c.viewer(t).Sessions {
				if !s.Current {
					otherID = s.ID
				}
			}
			if otherID == "" {
				t.Fatal("the other session is not listed")
			}
			res := c.Query(t, revokeSessionDoc, map[string]any{"id": otherID})
			var rp struct {
				SessionID  *string     `json:"sessionId"`
				UserErrors []userError `json:"userErrors"`
			}
			res.Field(t, "revokeSession", &rp)
			wantNoUserErrors(t, "revokeSession", rp.UserErrors)
			if other.viewer(t) != nil {
				t.Error("the revoked session still works")
			}
			left := h.db.Ent.Session.Query().Where(session.UserID(u.ID)).OnlyX(sys())
			revoked := h.wantAudit(t, "session.revoke", res, c)
			wantActor(t, revoked, u.ID)
			if revoked.TargetType != "Session" || revoked.TargetID == left.ID.String() || revoked.TargetID == "" {
				t.Errorf("session.revoke target %s %s, want the other session", revoked.TargetType, revoked.TargetID)
			}
		})

		t.Run("ThrottleBlock", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, dialect)
			u := h.createUser(t, "blocked@example.com", pw)
			signedIn := h.browser()
			signedIn.mustLogIn(t, "blocked@example.com", pw)
			// Another tab of the same browser, not signed in.
			x := signedIn.clone()
			x.Cookie = ""
			for range 10 {
				x.logIn(t, "blocked@example.com", "a guess")
			}
			res, _ := x.logIn(t, "blocked@example.com", "a guess")
			wantRateLimited(t, "11th logIn", res)
			e := h.wantAudit(t, "throttle.block", res, x)
			wantActor(t, e, uuid.Nil)
			if e.Details["rule"] != "login.account_addr" {
				t.Errorf("details %v, want rule login.account_addr", e.Details)
			}

			// A signed-in caller re-entering the password is held to the
			// same count, and named as the actor.
			res, _ = signedIn.changePassword(t, pw, "a passphrase never stored")
			wantRateLimited(t, "changePassword over the limit", res)
			e = h.wantAudit(t, "throttle.block", res, signedIn)
			wantActor(t, e, u.ID)
			if e.Details["rule"] != "login.account_addr" {
				t.Errorf("details %v, want rule login.account_addr", e.Details)
			}
		})
	})
}

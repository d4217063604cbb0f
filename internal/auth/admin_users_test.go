package auth_test

import (
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/apitoken"
	"lectern/ent/mfachallenge"
	"lectern/ent/session"
	"lectern/ent/user"
	"lectern/internal/gid"
)

// Changing and disabling other people's accounts.

func setUserRoleCases(t *testing.T, h *harness) {
	const pw = "a passphrase about to change role"
	a := h.armAdmin(t, "roles-admin@example.com")
	admin := h.signInMFA(t, a)
	target := h.createUser(t, "promoted@example.com", pw)
	before := h.browser()
	before.mustLogIn(t, "promoted@example.com", pw)

	res, p := admin.setUserRole(t, userGID(target.ID), "INSTRUCTOR")
	wantNoUserErrors(t, "setUserRole", p.UserErrors)
	if p.User == nil || p.User.ID != userGID(target.ID) || p.User.Role == nil || *p.User.Role != "INSTRUCTOR" {
		t.Errorf("setUserRole user = %+v, want the target as INSTRUCTOR", p.User)
	}
	if row := h.userByID(t, target.ID); row.Role != user.RoleINSTRUCTOR {
		t.Errorf("stored role %s, want INSTRUCTOR", row.Role)
	}

	t.Run("EndsTheirSessions", func(t *testing.T) {
		if v := before.viewer(t); v != nil {
			t.Errorf("the target's session still works: %+v", v)
		}
		if n := h.db.Ent.Session.Query().Where(session.UserID(target.ID)).CountX(sys()); n != 0 {
			t.Errorf("%d sessions of the target left", n)
		}
		again := h.browser()
		again.mustLogIn(t, "promoted@example.com", pw)
		if v := again.viewer(t); v == nil || v.User.Role == nil || *v.User.Role != "INSTRUCTOR" {
			t.Errorf("viewer after signing in again = %+v, want role INSTRUCTOR", v)
		}
		if v := admin.viewer(t); v == nil {
			t.Error("the administrator's own session ended")
		}
	})

	t.Run("Audited", func(t *testing.T) {
		e := h.wantAudit(t, "user.role_change", res, admin)
		wantActor(t, e, a.id)
		wantTarget(t, e, "User", target.ID)
		if !maps.Equal(e.Details, map[string]string{"role": "INSTRUCTOR"}) {
			t.Errorf("details %v, want role INSTRUCTOR", e.Details)
		}
	})

	t.Run("OwnRole", func(t *testing.T) {
		res, p := admin.setUserRole(t, userGID(a.id), "LEARNER")
		wantUserError(t, "setUserRole on oneself", p.UserErrors, "INVALID", "input", "userId")
		if p.User != nil {
			t.Errorf("a refused setUserRole returned %+v", p.User)
		}
		if row := h.userByID(t, a.id); row.Role != user.RoleADMIN {
			t.Errorf("the administrator is now %s", row.Role)
		}
		if n := len(h.auditRows(t, "user.role_change", res)); n != 0 {
			t.Errorf("a refused setUserRole was recorded %d times", n)
		}
	})

	for name, id := range map[string]string{
		"UnknownUser": userGID(uuid.New()),
		// The UUID of a real account, under another type: the type decides.
		"NotAUserID": gid.New("Session", target.ID).String(),
	} {
		t.Run(name, func(t *testing.T) {
			res, p := admin.setUserRole(t, id, "ADMIN")
			wantUserError(t, "setUserRole", p.UserErrors, "NOT_FOUND", "input", "userId")
			if p.User != nil {
				t.Errorf("setUserRole returned %+v", p.User)
			}
			if n := len(h.auditRows(t, "user.role_change", res)); n != 0 {
				t.Errorf("a refused setUserRole was recorded %d times", n)
			}
		})
	}
	if row := h.userByID(t, target.ID); row.Role != user.RoleINSTRUCTOR {
		t.Errorf("refused calls changed the target to %s", row.Role)
	}
}

func disableUserCases(t *testing.T, h *harness) {
	const pw = "a passphrase about to be disabled"
	a := h.armAdmin(t, "disabling-admin@example.com")
	admin := h.signInMFA(t, a)
	target := h.createUser(t, "leaver@example.com", pw)
	h.createUser(t, "stayer@example.com", pw)
	signedIn := h.browser()
	signedIn.mustLogIn(t, "leaver@example.com", pw)
	_, tp := signedIn.createToken(t, "laptop")
	api := h.browser().withBearer(*tp.Token)
	if v := api.actingAs(t); v == nil || v.ID != userGID(target.ID) {
		t.Fatalf("the target's API token does not work to begin with: %+v", v)
	}

	res, p := admin.disableUser(t, userGID(target.ID))
	wantNoUserErrors(t, "disableUser", p.UserErrors)
	if p.User == nil || p.User.ID != userGID(target.ID) || p.User.Disabled == nil || !*p.User.Disabled {
		t.Errorf("disableUser user = %+v, want the target, disabled", p.User)
	}
	disabledAt := h.userByID(t, target.ID).DisabledAt
	if disabledAt == nil {
		t.Fatal("disabled_at not stored")
	}

	t.Run("CannotSignIn", func(t *testing.T) {
		off, op := h.browser().logIn(t, "leaver@example.com", pw)
		wrong, _ := h.browser().logIn(t, "stayer@example.com", "not the passphrase")
		wantUserError(t, "logIn to a disabled account", op.UserErrors, "INVALID_CREDENTIALS")
		if op.Viewer != nil || op.Token != nil || op.MfaRequired {
			t.Errorf("logIn to a disabled account = %+v, want nothing but the error", op)
		}
		wantSameAnswer(t, "logIn disabled vs wrong password", off, wrong)
	})

	t.Run("CredentialsEnd", func(t *testing.T) {
		if v := signedIn.viewer(t); v != nil {
			t.Errorf("the session cookie still works: %+v", v)
		}
		res := api.Query(t, ownUserDoc, nil)
		if res.Status != http.StatusUnauthorized || res.OnlyError(t).Extensions.Code != "UNAUTHENTICATED" {
			t.Errorf("the API token after disabling: status %d, %s", res.Status, res.Raw)
		}
		if n := h.db.Ent.APIToken.Query().Where(apitoken.UserID(target.ID)).CountX(sys()); n != 0 {
			t.Errorf("%d API tokens of the target left", n)
		}
		if n := h.db.Ent.Session.Query().Where(session.UserID(target.ID)).CountX(sys()); n != 0 {
			t.Errorf("%d sessions of the target left", n)
		}
	})

	t.Run("Audited", func(t *testing.T) {
		e := h.wantAudit(t, "user.disable", res, admin)
		wantActor(t, e, a.id)
		wantTarget(t, e, "User", target.ID)
		if len(e.Details) != 0 {
			t.Errorf("details %v, want none", e.Details)
		}
	})

	t.Run("Twice", func(t *testing.T) {
		// Later, but well within the administrator's idle timeout.
		h.clock.Advance(2 * time.Minute)
		res, p := admin.disableUser(t, userGID(target.ID))
		wantNoUserErrors(t, "disableUser again", p.UserErrors)
		if p.User == nil || p.User.Disabled == nil || !*p.User.Disabled {
			t.Errorf("disableUser again: user %+v, want disabled", p.User)
		}
		if got := h.userByID(t, target.ID).DisabledAt; got == nil || !got.Equal(*disabledAt) {
			t.Errorf("disabled_at %v after disabling again, want %v", got, disabledAt)
		}
		if n := len(h.auditRows(t, "user.disable", res)); n != 0 {
			t.Errorf("disabling again was recorded %d times", n)
		}
	})

	t.Run("PendingMFASignInEnds", func(t *testing.T) {
		m := h.armMFA(t, "pending@example.com")
		c := h.browser()
		ch := c.challenge(t, m)
		_, p := admin.disableUser(t, userGID(m.id))
		wantNoUserErrors(t, "disableUser", p.UserErrors)
		if n := h.db.Ent.MFAChallenge.Query().Where(mfachallenge.UserID(m.id)).CountX(sys()); n != 0 {
			t.Errorf("%d pending MFA sign-ins left", n)
		}
		_, vp := c.verifyMfa(t, ch, h.nextCode(t, m.secret), "COOKIE")
		wantUserError(t, "verifyMfa after disabling", vp.UserErrors, "INVALID_TOKEN", "input", "challenge")
		if vp.Viewer != nil || c.Cookie != "" {
			t.Error("a sign-in begun before disabling finished after it")
		}
	})

	t.Run("Self", func(t *testing.T) {
		res, p := admin.disableUser(t, userGID(a.id))
		wantUserError(t, "disableUser on oneself", p.UserErrors, "INVALID", "id")
		if row := h.userByID(t, a.id); row.DisabledAt != nil {
			t.Error("the administrator disabled themselves")
		}
		if admin.viewer(t) == nil {
			t.Error("the administrator's session ended")
		}
		if n := len(h.auditRows(t, "user.disable", res)); n != 0 {
			t.Errorf("a refused disableUser was recorded %d times", n)
		}
	})

	for name, id := range map[string]string{
		"UnknownUser": userGID(uuid.New()),
		"NotAUserID":  gid.New("Course", h.userRow(t, "stayer@example.com").ID).String(),
	} {
		t.Run(name, func(t *testing.T) {
			_, p := admin.disableUser(t, id)
			wantUserError(t, "disableUser", p.UserErrors, "NOT_FOUND", "id")
			if p.User != nil {
				t.Errorf("disableUser returned %+v", p.User)
			}
		})
	}
	if row := h.userRow(t, "stayer@example.com"); row.DisabledAt != nil {
		t.Error("an ID of another type disabled the account with that UUID")
	}
}

// User.disabled is for the account's owner and administrators; anyone
// else reading a profile learns nothing about it.
func disabledIsPrivate(t *testing.T, h *harness) {
	const pw = "a passphrase for privacy"
	admin := h.signInMFA(t, h.armAdmin(t, "private-admin@example.com"))
	owner := h.createUser(t, "owner@example.com", pw)
	gone := h.createUser(t, "gone-private@example.com", pw)
	ownerBrowser := h.browser()
	ownerBrowser.mustLogIn(t, "owner@example.com", pw)
	_, p := admin.disableUser(t, userGID(gone.ID))
	wantNoUserErrors(t, "disableUser", p.UserErrors)

	read := func(t *testing.T, c *caller, id uuid.UUID) *adminUser {
		t.Helper()
		var u *adminUser
		c.Query(t, userNodeDoc, map[string]any{"id": userGID(id)}).Field(t, "node", &u)
		if u == nil || u.ID != userGID(id) {
			t.Fatalf("node(%s) = %+v, want the user", id, u)
		}
		return u
	}
	if u := read(t, admin, gone.ID); u.Disabled == nil || !*u.Disabled {
		t.Errorf("admin reads disabled %v, want true", u.Disabled)
	}
	if u := read(t, admin, owner.ID); u.Disabled == nil || *u.Disabled {
		t.Errorf("admin reads an active account's disabled %v, want false", u.Disabled)
	}
	for name, c := range map[string]*caller{"Learner": ownerBrowser, "Anonymous": h.browser()} {
		if u := read(t, c, gone.ID); u.Disabled != nil || u.Role != nil {
			t.Errorf("%s reads disabled %v, role %v; want both null", name, u.Disabled, u.Role)
		}
	}
	var own struct {
		User adminUser `json:"user"`
	}
	ownerBrowser.Query(t, ownUserDoc, nil).Field(t, "viewer", &own)
	if own.User.Disabled == nil || *own.User.Disabled {
		t.Errorf("owner reads their own disabled %v, want false", own.User.Disabled)
	}
}

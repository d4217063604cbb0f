package auth_test

import (
	"net/http"
	"strings"
	"testing"

	"lectern/ent/emailtoken"
	"lectern/ent/session"
	"lectern/internal/auth/secret"
	"lectern/internal/testenv"
)

const (
	oldPassword = "the original passphrase"
	newPassword = "a replacement passphrase"
)

func TestCredentialChanges(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("ResetPassword", alone(dialect, resetPasswordEndsSessions))
		t.Run("ResetPasswordRefusalKeepsLink", alone(dialect, resetPasswordRefusalKeepsLink))
		t.Run("ChangePassword", alone(dialect, changePasswordCases))
		t.Run("ChangeEmail", alone(dialect, changeEmailCases))
	})
}

func resetPasswordEndsSessions(t *testing.T, h *harness) {
	alice := h.createUser(t, "alice@example.com", oldPassword)
	browser := h.browser()
	browser.mustLogIn(t, "alice@example.com", oldPassword)
	app := h.browser()
	_, tp := app.logInVia(t, "alice@example.com", oldPassword, "TOKEN")
	if tp.Token == nil {
		t.Fatalf("logIn with transport TOKEN returned no token: %+v", tp)
	}
	api := app.withBearer(*tp.Token)

	anon := h.browser()
	if res := anon.requestReset(t, "alice@example.com"); len(res.Errors) != 0 {
		t.Fatalf("requestPasswordReset: %s", res.Raw)
	}
	token := h.resetToken(t, "alice@example.com")
	p := anon.resetPassword(t, token, newPassword)
	wantNoUserErrors(t, "resetPassword", p.UserErrors)
	if !p.PasswordChanged {
		t.Fatal("resetPassword: passwordChanged false")
	}

	// Every session of the account ended, whichever way it travels.
	if n := h.db.Ent.Session.Query().Where(session.UserID(alice.ID)).CountX(sys()); n != 0 {
		t.Errorf("%d sessions left after the reset", n)
	}
	if v := browser.viewer(t); v != nil {
		t.Errorf("the browser is still signed in as %+v", v.User)
	}
	if res := api.Query(t, viewerDoc, nil); res.Status != http.StatusUnauthorized || res.OnlyError(t).Extensions.Code != "UNAUTHENTICATED" {
		t.Errorf("old session token: status %d, %s", res.Status, res.Raw)
	}

	_, old := h.browser().logIn(t, "alice@example.com", oldPassword)
	wantUserError(t, "logIn with the old password", old.UserErrors, "INVALID_CREDENTIALS")
	h.browser().mustLogIn(t, "alice@example.com", newPassword)

	hash := *h.userRow(t, "alice@example.com").PasswordHash
	again := anon.resetPassword(t, token, "a third passphrase entirely")
	wantUserError(t, "second resetPassword", again.UserErrors, "INVALID_TOKEN", "input", "token")
	if again.PasswordChanged {
		t.Error("a used reset token changed the password again")
	}
	if *h.userRow(t, "alice@example.com").PasswordHash != hash {
		t.Error("the stored password changed on a used token")
	}
}

func resetPasswordRefusalKeepsLink(t *testing.T, h *harness) {
	h.createUser(t, "typo@example.com", oldPassword)
	anon := h.browser()
	anon.requestReset(t, "typo@example.com")
	token := h.resetToken(t, "typo@example.com")
	hash := *h.userRow(t, "typo@example.com").PasswordHash

	p := anon.resetPassword(t, token, "too short")
	wantUserError(t, "resetPassword", p.UserErrors, "PASSWORD_TOO_SHORT", "input", "newPassword")
	if p.PasswordChanged {
		t.Error("passwordChanged true for a refused password")
	}
	if *h.userRow(t, "typo@example.com").PasswordHash != hash {
		t.Error("a refused password was stored")
	}
	// A typo in the new password must not cost the person their link.
	row := h.db.Ent.EmailToken.Query().Where(emailtoken.TokenHash(secret.HashOf(token))).OnlyX(sys())
	if row.UsedAt != nil {
		t.Error("a refused reset used up the link")
	}
	bad := anon.resetPassword(t, strings.Replace(token, "lct_eml_", "lct_ses_", 1), newPassword)
	wantUserError(t, "resetPassword with a mangled token", bad.UserErrors, "INVALID_TOKEN", "input", "token")
}

func changePasswordCases(t *testing.T, h *harness) {
	t.Run("WrongCurrentPassword", func(t *testing.T) {
		h.createUser(t, "wrong@example.com", oldPassword)
		b := h.browser()
		b.mustLogIn(t, "wrong@example.com", oldPassword)
		hash := *h.userRow(t, "wrong@example.com").PasswordHash
		res, p := b.changePassword(t, "not the passphrase", newPassword)
		if len(res.Errors) != 0 {
			t.Fatalf("request error: %s", res.Raw)
		}
		wantUserError(t, "changePassword", p.UserErrors, "INVALID_CREDENTIALS", "input", "currentPassword")
		if p.User != nil {
			t.Error("a refused change returned the user")
		}
		if *h.userRow(t, "wrong@example.com").PasswordHash != hash {
			t.Error("the password changed without the current one")
		}
		if b.viewer(t) == nil {
			t.Error("a wrong current password ended the session")
		}
	})

	t.Run("SameAsCurrent", func(t *testing.T) {
		h.createUser(t, "same@example.com", oldPassword)
		b := h.browser()
		b.mustLogIn(t, "same@example.com", oldPassword)
		_, p := b.changePassword(t, oldPassword, oldPassword)
		wantUserError(t, "changePassword", p.UserErrors, "SAME_AS_CURRENT", "input", "newPassword")
	})

	t.Run("EndsOtherSessions", func(t *testing.T) {
		h.createUser(t, "carol@example.com", oldPassword)
		b := h.browser()
		b.mustLogIn(t, "carol@example.com", oldPassword)
		other := h.browser()
		other.mustLogIn(t, "carol@example.com", oldPassword)
		stale := b.clone()

		res, p := b.changePassword(t, oldPassword, newPassword)
		if len(res.Errors) != 0 {
			t.Fatalf("changePassword: %s", res.Raw)
		}
		wantNoUserErrors(t, "changePassword", p.UserErrors)
		if p.User == nil {
			t.Error("changePassword returned no user")
		}
		// The caller goes on under a new token; the one it had before is
		// worth nothing, like every other session's.
		cookie, set := res.SessionCookie()
		if !set || cookie == "" || cookie == stale.Cookie {
			t.Errorf("changePassword set cookie %q (set %v), want a new session token", cookie, set)
		}
		if v := b.viewer(t); v == nil {
			t.Error("the caller's session ended")
		} else if len(v.Sessions) != 1 || !v.Sessions[0].Current {
			t.Errorf("sessions after the change: %+v, want only the current one", v.Sessions)
		}
		if v := stale.viewer(t); v != nil {
			t.Error("the caller's old session token still works")
		}
		if v := other.viewer(t); v != nil {
			t.Error("another session survived the change")
		}
		_, old := h.browser().logIn(t, "carol@example.com", oldPassword)
		wantUserError(t, "logIn with the old password", old.UserErrors, "INVALID_CREDENTIALS")
		h.browser().mustLogIn(t, "carol@example.com", newPassword)
	})
}

func changeEmailCases(t *testing.T, h *harness) {
	h.createUser(t, "bob@example.com", "bob's own passphrase")

	t.Run("WrongPassword", func(t *testing.T) {
		h.createUser(t, "wrong.email@example.com", oldPassword)
		b := h.browser()
		b.mustLogIn(t, "wrong.email@example.com", oldPassword)
		_, p := b.changeEmail(t, "not the passphrase", "wrong.new@example.com")
		wantUserError(t, "changeEmail", p.UserErrors, "INVALID_CREDENTIALS", "input", "password")
		if p.User != nil {
			t.Error("a refused change returned the user")
		}
		h.drainJobs(t)
		if got := h.mailTo(t, "wrong.new@example.com"); len(got) != 0 {
			t.Errorf("a refused change sent %d messages to the new address", len(got))
		}
	})

	t.Run("TakenAddressAnswersAlike", func(t *testing.T) {
		h.createUser(t, "dave@example.com", oldPassword)
		b := h.browser()
		b.mustLogIn(t, "dave@example.com", oldPassword)
		taken, tp := b.changeEmail(t, oldPassword, " Bob@Example.com")
		free, fp := b.changeEmail(t, oldPassword, "dave.elsewhere@example.com")
		wantNoUserErrors(t, "changeEmail to a taken address", tp.UserErrors)
		wantNoUserErrors(t, "changeEmail to a free address", fp.UserErrors)
		wantSameAnswer(t, "changeEmail taken vs free", taken, free)

		h.verificationToken(t, "dave.elsewhere@example.com")
		h.drainJobs(t)
		if got := h.mailTo(t, "bob@example.com"); len(got) != 0 {
			t.Errorf("the owner of the taken address received %d messages", len(got))
		}
		if h.userRow(t, "dave@example.com") == nil {
			t.Error("the account moved before any link was used")
		}
	})

	t.Run("SendsLinkToNewAddress", func(t *testing.T) {
		erin := h.createUser(t, "erin@example.com", oldPassword)
		b := h.browser()
		b.mustLogIn(t, "erin@example.com", oldPassword)
		_, p := b.changeEmail(t, oldPassword, " Erin.New@Example.com ")
		wantNoUserErrors(t, "changeEmail", p.UserErrors)
		if p.User == nil || p.User.Email == nil || *p.User.Email != "erin@example.com" {
			t.Errorf("changeEmail user = %+v, want the account still at erin@example.com", p.User)
		}
		h.verificationToken(t, "erin.new@example.com")
		if got := h.userByID(t, erin.ID).Email; got != "erin@example.com" {
			t.Errorf("stored address %q before verification, want the old one", got)
		}
		if v := b.viewer(t); v == nil || *v.User.Email != "erin@example.com" {
			t.Errorf("viewer before verification: %+v", v)
		}
	})

	t.Run("MovesAfterVerification", func(t *testing.T) {
		frank := h.createUser(t, "frank@example.com", oldPassword)
		b := h.browser()
		b.mustLogIn(t, "frank@example.com", oldPassword)
		_, p := b.changeEmail(t, oldPassword, "Frank.New@Example.com")
		wantNoUserErrors(t, "changeEmail", p.UserErrors)
		token := h.verificationToken(t, "frank.new@example.com")
		if got := h.userByID(t, frank.ID).Email; got != "frank@example.com" {
			t.Fatalf("stored address %q before verification, want the old one", got)
		}

		v := h.browser().verifyEmail(t, token)
		wantNoUserErrors(t, "verifyEmail", v.UserErrors)
		moved := h.userByID(t, frank.ID)
		if moved.Email != "frank.new@example.com" || moved.EmailVerifiedAt == nil {
			t.Errorf("after verification the account is at %q (verified %v)", moved.Email, moved.EmailVerifiedAt != nil)
		}
		notice := h.waitMail(t, "frank@example.com", subjectChanged)
		if !strings.Contains(notice.Text, "frank.new@example.com") {
			t.Errorf("the change notice does not name the new address:\n%s", notice.Text)
		}
		if strings.Contains(notice.Text, "token=") {
			t.Error("the change notice to the old address carries a link token")
		}
		if vw := b.viewer(t); vw == nil || *vw.User.Email != "frank.new@example.com" {
			t.Errorf("viewer after verification: %+v", vw)
		}
	})
}

func TestIdentityChangePasswordEndsOtherSessions(t *testing.T) {
	t.Parallel()
	const doc = `mutation($current: String!, $next: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $next}) { user { email } userErrors { code field } }
}`
	const next = "a brand new passphrase for priya"
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		h := newDemoHarness(t, dialect)
		learner := testenv.DemoAccount(t, "LEARNER")
		a := h.browser()
		a.logInAs(t, learner, "")
		before := a.Cookie
		other := h.browser()
		other.logInAs(t, learner, "")
		token := h.script("").logInToken(t, learner)

		r := a.Query(t, doc, map[string]any{"current": learner.Password, "next": next})
		want := `{"changePassword":{"user":{"email":"` + learner.Email + `"},"userErrors":[]}}`
		if len(r.Errors) != 0 || string(r.Data) != want {
			t.Fatalf("changePassword = %s (errors %+v), want %s", r.Data, r.Errors, want)
		}
		if got := a.viewerEmail(t); got != learner.Email {
			t.Fatal("the session that changed the password did not continue")
		}
		if a.Cookie == before {
			t.Error("the cookie session kept its token across the password change")
		}
		if got := other.viewerEmail(t); got != "" {
			t.Errorf("another browser session survived the password change as %s", got)
		}
		requireRefused(t, h.script(token).Query(t, `{ viewer { user { email } } }`, nil), http.StatusUnauthorized, "UNAUTHENTICATED")
		if n := len(testenv.SessionsOf(t, h.db, learner.Email)); n != 1 {
			t.Errorf("the learner has %d sessions after the change, want 1", n)
		}

		r = h.browser().LogIn(t, learner.Email, learner.Password, "")
		if !strings.Contains(string(r.Data), `"code":"INVALID_CREDENTIALS"`) {
			t.Errorf("logIn with the old password = %s, want INVALID_CREDENTIALS", r.Data)
		}
		renewed := learner
		renewed.Password = next
		h.browser().logInAs(t, renewed, "")
	})
}

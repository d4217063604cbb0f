package auth_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"lectern/ent/emailtoken"
	"lectern/internal/auth/secret"
	"lectern/internal/testenv"
)

const adaPassword = "correct horse battery staple"

func TestSignUp(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("StoresNormalisedEmailAndSendsLink", alone(dialect, signUpStoresNormalisedEmail))
		t.Run("VerifyEmailWorksOnce", alone(dialect, verifyEmailWorksOnce))
		t.Run("PasswordRules", alone(dialect, signUpPasswordRules))
		t.Run("AcceptsLongUnicodePassword", alone(dialect, signUpLongUnicodePassword))
		t.Run("RacingSignUpsCreateOneAccount", alone(dialect, racingSignUps))
		t.Run("VerifyEmailRefusesMalformedToken", alone(dialect, verifyEmailRefusesMalformedToken))
		t.Run("VerifyEmailRefusesExpiredToken", alone(dialect, verifyEmailRefusesExpiredToken))
	})
}

func signUpStoresNormalisedEmail(t *testing.T, h *harness) {
	before := h.userCount(t)
	_, p := h.browser().signUp(t, "  Ada@Example.COM ", adaPassword, "Ada Lovelace")
	wantNoUserErrors(t, "signUp", p.UserErrors)
	if p.User == nil || p.User.ID == "" || p.User.DisplayName != "Ada Lovelace" {
		t.Fatalf("signUp user = %+v, want the new account", p.User)
	}
	// The address is kept as it will be compared: trimmed, lower case.
	stored := h.userRow(t, "ada@example.com")
	if stored == nil {
		t.Fatal("no account stored under ada@example.com")
	}
	if stored.EmailVerifiedAt != nil {
		t.Error("a new account is verified before its link is used")
	}
	if stored.Role != "LEARNER" || stored.DisplayName != "Ada Lovelace" {
		t.Errorf("stored role %s, name %q", stored.Role, stored.DisplayName)
	}
	if n := h.userCount(t); n != before+1 {
		t.Errorf("%d accounts stored by one sign-up", n-before)
	}
	h.verificationToken(t, "ada@example.com")
}

func verifyEmailWorksOnce(t *testing.T, h *harness) {
	anon := h.browser()
	_, p := anon.signUp(t, "once@example.com", adaPassword, "Once")
	wantNoUserErrors(t, "signUp", p.UserErrors)
	token := h.verificationToken(t, "once@example.com")

	v := anon.verifyEmail(t, token)
	wantNoUserErrors(t, "verifyEmail", v.UserErrors)
	if v.User == nil {
		t.Error("verifyEmail returned no user")
	}
	if h.userRow(t, "once@example.com").EmailVerifiedAt == nil {
		t.Error("verifyEmail did not mark the address verified")
	}
	lp := h.browser().mustLogIn(t, "ONCE@example.com", adaPassword)
	if u := lp.Viewer.User; u.Email == nil || *u.Email != "once@example.com" || u.EmailVerified == nil || !*u.EmailVerified {
		t.Errorf("signed-in viewer = %+v, want once@example.com verified", u)
	}

	again := h.browser().verifyEmail(t, token)
	wantUserError(t, "second verifyEmail", again.UserErrors, "INVALID_TOKEN", "token")
	if again.User != nil {
		t.Error("a used token still returns the account")
	}
}

func verifyEmailRefusesExpiredToken(t *testing.T, h *harness) {
	_, p := h.browser().signUp(t, "late@example.com", adaPassword, "Late")
	wantNoUserErrors(t, "signUp", p.UserErrors)
	token := h.verificationToken(t, "late@example.com")

	// Links live 24 hours.
	h.clock.Advance(25 * time.Hour)
	v := h.browser().verifyEmail(t, token)
	wantUserError(t, "verifyEmail after 25h", v.UserErrors, "INVALID_TOKEN", "token")
	if h.userRow(t, "late@example.com").EmailVerifiedAt != nil {
		t.Error("an expired link verified the address")
	}
}

func verifyEmailRefusesMalformedToken(t *testing.T, h *harness) {
	h.createUser(t, "reset.me@example.com", adaPassword)
	// A real token of the wrong kind must not verify anything.
	if res := h.browser().requestReset(t, "reset.me@example.com"); len(res.Errors) != 0 {
		t.Fatalf("requestPasswordReset: %s", res.Raw)
	}
	resetToken := h.resetToken(t, "reset.me@example.com")

	for name, token := range map[string]string{
		"Empty":            "",
		"Garbage":          "not-a-token",
		"PrefixOnly":       "lct_eml_",
		"Truncated":        resetToken[:len(resetToken)-1],
		"UpperCase":        strings.ToUpper(resetToken),
		"UnknownButShaped": "lct_eml_" + strings.Repeat("a", 52),
		"SessionPrefix":    "lct_ses_" + strings.Repeat("a", 52),
		"ResetToken":       resetToken,
		"Injection":        "' OR 1=1 --",
	} {
		t.Run(name, func(t *testing.T) {
			v := h.browser().verifyEmail(t, token)
			wantUserError(t, "verifyEmail", v.UserErrors, "INVALID_TOKEN", "token")
			if v.User != nil {
				t.Error("a bad token returned an account")
			}
		})
	}
	// The reset link was not spent by being tried as a verification.
	row, err := h.db.Ent.EmailToken.Query().Where(emailtoken.TokenHash(secret.HashOf(resetToken))).Only(sys())
	if err != nil {
		t.Fatal(err)
	}
	if row.UsedAt != nil {
		t.Error("trying a reset token as a verification token used it up")
	}
}

func signUpPasswordRules(t *testing.T, h *harness) {
	tests := []struct {
		name, email, password, code string
	}{
		{"ElevenCharacters", "short@example.com", "abcdefghijk", "PASSWORD_TOO_SHORT"},
		{"ElevenEmoji", "short.emoji@example.com", strings.Repeat("🦆", 11), "PASSWORD_TOO_SHORT"},
		{"129Characters", "long@example.com", strings.Repeat("q", 129), "PASSWORD_TOO_LONG"},
		{"Common", "common@example.com", "password1234", "PASSWORD_TOO_COMMON"},
		{"EqualsEmail", "grace.hopper@example.com", "Grace.Hopper@Example.com", "PASSWORD_EQUALS_EMAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, p := h.browser().signUp(t, tt.email, tt.password, "Rule Breaker")
			if len(res.Errors) != 0 {
				t.Fatalf("request error: %s", res.Raw)
			}
			wantUserError(t, "signUp", p.UserErrors, tt.code, "input", "password")
			if p.User != nil {
				t.Error("a refused sign-up returned a user")
			}
			if h.userRow(t, tt.email) != nil {
				t.Error("a refused sign-up stored an account")
			}
		})
	}
	h.drainJobs(t)
	for _, tt := range tests {
		if got := h.mailTo(t, tt.email); len(got) != 0 {
			t.Errorf("a refused sign-up sent %d emails to %s", len(got), tt.email)
		}
	}
}

func signUpLongUnicodePassword(t *testing.T, h *harness) {
	// 128 characters (four bytes each for the emoji), ending in an emoji
	// so that dropping the last character changes the password.
	pw := strings.Repeat("🔐 ", 63) + "🦆🦉"
	if n := utf8.RuneCountInString(pw); n != 128 {
		t.Fatalf("test password has %d characters", n)
	}
	_, p := h.browser().signUp(t, "emoji@example.com", pw, "Emoji")
	wantNoUserErrors(t, "signUp", p.UserErrors)

	prefix := string([]rune(pw)[:127])
	_, bad := h.browser().logIn(t, "emoji@example.com", prefix)
	wantUserError(t, "logIn with 127 characters", bad.UserErrors, "INVALID_CREDENTIALS")
	if bad.Viewer != nil {
		t.Error("the password without its last character signed in")
	}
	h.browser().mustLogIn(t, "emoji@example.com", pw)
}

// racingSignUps sends several sign-ups for one free address at once. The
// unique index decides: one creates the account, the others meet a taken
// address, and every one of them answers like a success.
func racingSignUps(t *testing.T, h *harness) {
	const addr = "racer@example.com"
	before := h.userCount(t)
	reqs := make([]*http.Request, 4)
	for i := range reqs {
		reqs[i] = h.browser().Request(t, signUpDoc, map[string]any{"input": map[string]any{
			"email": addr, "password": fmt.Sprintf("racer passphrase %d", i), "displayName": "Racer"}})
	}
	ids := map[string]bool{}
	for i, res := range h.app.ServeAtOnce(t, reqs...) {
		var p userPayload
		res.Field(t, "signUp", &p)
		wantNoUserErrors(t, fmt.Sprint("signUp ", i), p.UserErrors)
		if p.User == nil || ids[p.User.ID] {
			t.Errorf("signUp %d: user %+v, want one with an ID of its own", i, p.User)
			continue
		}
		ids[p.User.ID] = true
	}
	if n := h.userCount(t) - before; n != 1 {
		t.Fatalf("%d accounts stored by racing sign-ups, want 1", n)
	}
	h.verificationToken(t, addr)
	for range len(reqs) - 1 {
		h.waitMail(t, addr, subjectExists)
	}
	h.drainJobs(t)
	if got := h.mailTo(t, addr); len(got) != len(reqs) {
		t.Errorf("%d messages to %s, want one link and %d notices", len(got), addr, len(reqs)-1)
	}
}

package auth_test

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/recoverycode"
	"lectern/ent/session"
	"lectern/internal/auth/secret"
	"lectern/internal/auth/totp"
	"lectern/internal/testenv"
)

const mfaPassword = "a passphrase with a second factor"

// mfaAccount is an account with two-factor sign-in on.
type mfaAccount struct {
	id     uuid.UUID
	email  string
	secret string
	codes  []string
}

// armMFA stores an account with two-factor sign-in already on, in the
// state enrolment leaves it, so that the sign-in tests do not depend on
// enrolment, which is TestTotpEnrollment's subject.
func (h *harness) armMFA(t *testing.T, email string) mfaAccount {
	t.Helper()
	u := h.createUser(t, email, mfaPassword)
	sec := testenv.EnableTOTP(t, h.db, u.ID, h.clock.Now())
	codes, err := secret.RecoveryCodes(10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		err := h.db.Ent.RecoveryCode.Create().SetUserID(u.ID).
			SetCodeHash(secret.HashOf(secret.NormalizeRecoveryCode(c))).Exec(sys())
		if err != nil {
			t.Fatal(err)
		}
	}
	return mfaAccount{id: u.ID, email: email, secret: sec, codes: codes}
}

// challenge signs in with the password and returns the MFA challenge.
func (c *caller) challenge(t *testing.T, a mfaAccount) string {
	t.Helper()
	_, p := c.logIn(t, a.email, mfaPassword)
	wantNoUserErrors(t, "logIn", p.UserErrors)
	if !p.MfaRequired || p.MfaChallenge == nil || *p.MfaChallenge == "" {
		t.Fatalf("logIn for an MFA account = %+v, want a challenge", p)
	}
	return *p.MfaChallenge
}

// signInMFA returns a browser signed in to a with a second factor.
func (h *harness) signInMFA(t *testing.T, a mfaAccount) *caller {
	t.Helper()
	b := h.browser()
	b.SignInMFA(t, a.email, mfaPassword, h.nextCode(t, a.secret), testenv.CookieTransport)
	return b
}

// nextCode moves the clock to the next 30-second step and returns the code
// for it: a code is accepted once, so each use needs a later step.
func (h *harness) nextCode(t *testing.T, secret string) string {
	t.Helper()
	h.clock.Advance(30 * time.Second)
	return testenv.TOTPCode(t, secret, h.clock.Now())
}

// wrongCode returns six digits that are no valid code for secret at any
// step the server accepts now.
func (h *harness) wrongCode(t *testing.T, secret string) string {
	t.Helper()
	near := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		c, err := totp.Code(secret, h.clock.Now().Add(d))
		if err != nil {
			t.Fatal(err)
		}
		near[c] = true
	}
	for i := 0; ; i++ {
		if c := fmt.Sprintf("%06d", (i*7919+123456)%1000000); !near[c] {
			return c
		}
	}
}

var recoveryCodeShape = regexp.MustCompile(`^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$`)

func TestMFA(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("Enrollment", alone(dialect, totpEnrollment))
		t.Run("LogInWithTotp", alone(dialect, logInWithTotp))
		t.Run("RecoveryCodeWorksOnce", alone(dialect, recoveryCodeWorksOnce))
		t.Run("ChallengeSpentAfterFiveWrongCodes", alone(dialect, challengeSpentAfterFiveWrongCodes))
		t.Run("ChallengeExpires", alone(dialect, challengeExpires))
		t.Run("DisableTotp", alone(dialect, disableTotpCases))
		t.Run("RegenerateRecoveryCodes", alone(dialect, regenerateRecoveryCodes))
	})
}

func totpEnrollment(t *testing.T, h *harness) {
	u := h.createUser(t, "enrol@example.com", mfaPassword)
	b := h.browser()
	b.mustLogIn(t, "enrol@example.com", mfaPassword)

	_, early := b.confirmTotp(t, "123456")
	wantUserError(t, "confirm before start", early.UserErrors, "MFA_ENROLLMENT_NOT_STARTED")

	start := b.startTotp(t)
	wantNoUserErrors(t, "startTotpEnrollment", start.UserErrors)
	if start.Secret == nil || !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(*start.Secret) {
		t.Fatalf("secret = %v, want 32 base32 characters", start.Secret)
	}
	sec := *start.Secret
	uri, err := url.Parse(*start.OtpauthURI)
	if err != nil {
		t.Fatalf("otpauthUri %q: %v", *start.OtpauthURI, err)
	}
	q := uri.Query()
	if uri.Scheme != "otpauth" || uri.Host != "totp" || uri.Path != "/Lectern:enrol@example.com" ||
		q.Get("secret") != sec || q.Get("issuer") != "Lectern" || q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Errorf("otpauthUri = %q, want issuer Lectern, account enrol@example.com and the secret", *start.OtpauthURI)
	}
	row := h.userByID(t, u.ID)
	if row.MfaEnabledAt != nil || row.TotpSecret != nil {
		t.Error("starting enrolment turned two-factor sign-in on")
	}
	if row.TotpPendingSecret == nil || strings.Contains(*row.TotpPendingSecret, sec) || !strings.HasPrefix(*row.TotpPendingSecret, "v1:test:") ||
		testenv.OpenTOTP(t, u.ID, *row.TotpPendingSecret) != sec {
		t.Errorf("pending secret stored as %v; want it sealed under the configured key", row.TotpPendingSecret)
	}

	_, wrong := b.confirmTotp(t, h.wrongCode(t, sec))
	wantUserError(t, "confirm with a wrong code", wrong.UserErrors, "INVALID_CODE", "code")
	if wrong.RecoveryCodes != nil {
		t.Error("a wrong code returned recovery codes")
	}
	if h.userByID(t, u.ID).MfaEnabledAt != nil {
		t.Error("a wrong code turned two-factor sign-in on")
	}

	t.Run("ConfirmTurnsItOn", func(t *testing.T) {
		stale := b.clone()
		res, p := b.confirmTotp(t, h.nextCode(t, sec))
		wantNoUserErrors(t, "confirmTotpEnrollment", p.UserErrors)
		if len(p.RecoveryCodes) != 10 {
			t.Fatalf("%d recovery codes, want 10", len(p.RecoveryCodes))
		}
		seen := map[string]bool{}
		for _, c := range p.RecoveryCodes {
			if !recoveryCodeShape.MatchString(c) || seen[c] {
				t.Errorf("recovery code %q malformed or repeated", c)
			}
			seen[c] = true
		}
		row := h.userByID(t, u.ID)
		if row.MfaEnabledAt == nil || row.TotpSecret == nil || testenv.OpenTOTP(t, u.ID, *row.TotpSecret) != sec || row.TotpPendingSecret != nil {
			t.Error("the stored account does not have two-factor sign-in on with the confirmed secret")
		}
		if strings.Contains(*row.TotpSecret, sec) {
			t.Errorf("the confirmed secret is stored in plain text: %s", *row.TotpSecret)
		}
		if n := h.db.Ent.RecoveryCode.Query().Where(recoverycode.UserID(u.ID)).CountX(sys()); n != 10 {
			t.Errorf("%d recovery codes stored, want 10", n)
		}
		// The session continues under a new token that passed MFA.
		if cookie, _ := res.SessionCookie(); cookie == "" || cookie == stale.Cookie {
			t.Error("confirming did not give the session a new token")
		}
		if v := b.viewer(t); v == nil || !v.MfaEnabled || !v.SessionMfa {
			t.Errorf("viewer after enrolment = %+v, want mfaEnabled and sessionMfa", v)
		}
		if v := stale.viewer(t); v != nil {
			t.Error("the session token from before enrolment still works")
		}
		again := b.startTotp(t)
		wantUserError(t, "start again", again.UserErrors, "MFA_ALREADY_ENABLED")
	})
}

func logInWithTotp(t *testing.T, h *harness) {
	a := h.armMFA(t, "totp@example.com")

	c := h.browser()
	res, p := c.logIn(t, a.email, mfaPassword)
	wantNoUserErrors(t, "logIn", p.UserErrors)
	if !p.MfaRequired || p.MfaChallenge == nil || p.Viewer != nil || p.Token != nil {
		t.Fatalf("logIn = %+v, want only mfaRequired and a challenge", p)
	}
	if got := res.Header.Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("logIn before the second factor set cookies %q", got)
	}
	if v := c.viewer(t); v != nil {
		t.Error("signed in before the second factor")
	}
	if n := h.db.Ent.Session.Query().Where(session.UserID(a.id)).CountX(sys()); n != 0 {
		t.Errorf("%d sessions stored before the second factor", n)
	}

	code := h.nextCode(t, a.secret)
	res, p = c.verifyMfa(t, *p.MfaChallenge, code, "COOKIE")
	wantNoUserErrors(t, "verifyMfa", p.UserErrors)
	if p.Viewer == nil || !p.Viewer.SessionMfa || p.Token != nil {
		t.Fatalf("verifyMfa = %+v, want a viewer with sessionMfa and no token", p)
	}
	if cookie, _ := res.SessionCookie(); cookie == "" {
		t.Fatal("verifyMfa set no session cookie")
	}
	if v := c.viewer(t); v == nil || !v.SessionMfa || !v.MfaEnabled {
		t.Errorf("viewer = %+v, want sessionMfa and mfaEnabled", v)
	}

	t.Run("CodeReplay", func(t *testing.T) {
		d := h.browser()
		_, p := d.verifyMfa(t, d.challenge(t, a), code, "COOKIE")
		wantUserError(t, "verifyMfa with a used code", p.UserErrors, "INVALID_CODE", "input", "code")
		if p.Viewer != nil || d.Cookie != "" {
			t.Error("a replayed code signed in")
		}
	})

	t.Run("ChallengeReplay", func(t *testing.T) {
		d := h.browser()
		ch := d.challenge(t, a)
		_, ok := d.verifyMfa(t, ch, h.nextCode(t, a.secret), "COOKIE")
		wantNoUserErrors(t, "verifyMfa", ok.UserErrors)
		e := h.browser()
		_, p := e.verifyMfa(t, ch, h.nextCode(t, a.secret), "COOKIE")
		wantUserError(t, "verifyMfa with a used challenge", p.UserErrors, "INVALID_TOKEN", "input", "challenge")
		if p.Viewer != nil || e.Cookie != "" {
			t.Error("a used challenge signed in")
		}
	})

	t.Run("TokenTransport", func(t *testing.T) {
		d := h.browser()
		_, lp := d.logInVia(t, a.email, mfaPassword, "TOKEN")
		if !lp.MfaRequired || lp.MfaChallenge == nil || lp.Token != nil {
			t.Fatalf("logIn TOKEN = %+v, want a challenge and no token", lp)
		}
		res, p := d.verifyMfa(t, *lp.MfaChallenge, h.nextCode(t, a.secret), "TOKEN")
		wantNoUserErrors(t, "verifyMfa", p.UserErrors)
		if p.Token == nil || *p.Token == "" {
			t.Fatalf("verifyMfa TOKEN returned no token: %s", res.Raw)
		}
		if _, set := res.SessionCookie(); set {
			t.Error("transport TOKEN set the session cookie")
		}
		if v := d.withBearer(*p.Token).viewer(t); v == nil || !v.SessionMfa {
			t.Errorf("bearer viewer = %+v, want sessionMfa", v)
		}
	})
}

func recoveryCodeWorksOnce(t *testing.T, h *harness) {
	a := h.armMFA(t, "recovery@example.com")

	c := h.browser()
	_, p := c.verifyMfa(t, c.challenge(t, a), a.codes[0], "COOKIE")
	wantNoUserErrors(t, "verifyMfa with a recovery code", p.UserErrors)
	if p.Viewer == nil || !p.Viewer.SessionMfa {
		t.Fatalf("verifyMfa with a recovery code = %+v, want a session that passed MFA", p)
	}

	d := h.browser()
	ch := d.challenge(t, a)
	_, again := d.verifyMfa(t, ch, a.codes[0], "COOKIE")
	wantUserError(t, "verifyMfa with a used recovery code", again.UserErrors, "INVALID_CODE", "input", "code")
	if again.Viewer != nil {
		t.Error("a used recovery code signed in")
	}
	// Codes are typed by people: case and spacing do not matter.
	typed := strings.ToUpper(strings.ReplaceAll(a.codes[1], "-", " "))
	_, p = d.verifyMfa(t, ch, typed, "COOKIE")
	wantNoUserErrors(t, "verifyMfa with a retyped recovery code", p.UserErrors)
	if p.Viewer == nil {
		t.Error("a retyped recovery code did not sign in")
	}
}

func challengeSpentAfterFiveWrongCodes(t *testing.T, h *harness) {
	a := h.armMFA(t, "spent@example.com")
	c := h.browser()
	ch := c.challenge(t, a)
	for i := range 5 {
		_, p := c.verifyMfa(t, ch, h.wrongCode(t, a.secret), "COOKIE")
		wantUserError(t, fmt.Sprint("wrong code ", i+1), p.UserErrors, "INVALID_CODE", "input", "code")
	}
	code := h.nextCode(t, a.secret)
	_, p := c.verifyMfa(t, ch, code, "COOKIE")
	wantUserError(t, "right code on a spent challenge", p.UserErrors, "INVALID_TOKEN", "input", "challenge")
	if p.Viewer != nil || c.Cookie != "" {
		t.Error("a spent challenge signed in")
	}
	// Spending a challenge does not lock the account out.
	d := h.browser()
	_, p = d.verifyMfa(t, d.challenge(t, a), code, "COOKIE")
	wantNoUserErrors(t, "verifyMfa on a new challenge", p.UserErrors)
}

func challengeExpires(t *testing.T, h *harness) {
	a := h.armMFA(t, "expires@example.com")

	c := h.browser()
	ch := c.challenge(t, a)
	h.clock.Advance(6 * time.Minute)
	code, err := totp.Code(a.secret, h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, p := c.verifyMfa(t, ch, code, "COOKIE")
	wantUserError(t, "verifyMfa after 6 minutes", p.UserErrors, "INVALID_TOKEN", "input", "challenge")
	if p.Viewer != nil || c.Cookie != "" {
		t.Error("an expired challenge signed in")
	}

	d := h.browser()
	ch = d.challenge(t, a)
	h.clock.Advance(4 * time.Minute)
	_, p = d.verifyMfa(t, ch, h.nextCode(t, a.secret), "COOKIE")
	wantNoUserErrors(t, "verifyMfa within five minutes", p.UserErrors)
}

func disableTotpCases(t *testing.T, h *harness) {
	disable := func(t *testing.T, c *caller, pw, code string) userPayload {
		t.Helper()
		var p userPayload
		c.Query(t, disableTotpDoc, map[string]any{"input": map[string]any{"password": pw, "code": code}}).Field(t, "disableTotp", &p)
		return p
	}

	t.Run("NotEnabled", func(t *testing.T) {
		h.createUser(t, "plain@example.com", mfaPassword)
		b := h.browser()
		b.mustLogIn(t, "plain@example.com", mfaPassword)
		p := disable(t, b, mfaPassword, "123456")
		wantUserError(t, "disableTotp", p.UserErrors, "MFA_NOT_ENABLED")
	})

	a := h.armMFA(t, "disable@example.com")
	b := h.signInMFA(t, a)

	t.Run("WrongPassword", func(t *testing.T) {
		p := disable(t, b, "not the passphrase", h.nextCode(t, a.secret))
		wantUserError(t, "disableTotp", p.UserErrors, "INVALID_CREDENTIALS", "input", "password")
	})
	t.Run("WrongCode", func(t *testing.T) {
		p := disable(t, b, mfaPassword, h.wrongCode(t, a.secret))
		wantUserError(t, "disableTotp", p.UserErrors, "INVALID_CODE", "input", "code")
	})
	if row := h.userByID(t, a.id); row.MfaEnabledAt == nil || row.TotpSecret == nil {
		t.Fatal("a refused disableTotp turned two-factor sign-in off")
	}

	t.Run("WithRecoveryCode", func(t *testing.T) {
		p := disable(t, b, mfaPassword, a.codes[0])
		wantNoUserErrors(t, "disableTotp", p.UserErrors)
		if p.User == nil {
			t.Error("disableTotp returned no user")
		}
		row := h.userByID(t, a.id)
		if row.MfaEnabledAt != nil || row.TotpSecret != nil {
			t.Error("two-factor sign-in is still on")
		}
		if n := h.db.Ent.RecoveryCode.Query().Where(recoverycode.UserID(a.id)).CountX(sys()); n != 0 {
			t.Errorf("%d recovery codes left", n)
		}
		if v := b.viewer(t); v == nil || v.MfaEnabled {
			t.Errorf("viewer = %+v, want mfaEnabled false", v)
		}
		_, lp := h.browser().logIn(t, a.email, mfaPassword)
		if lp.MfaRequired || lp.Viewer == nil {
			t.Errorf("logIn after disabling = %+v, want a session without a challenge", lp)
		}
	})
}

func regenerateRecoveryCodes(t *testing.T, h *harness) {
	a := h.armMFA(t, "regenerate@example.com")
	b := h.signInMFA(t, a)
	regenerate := func(pw, code string) codesPayload {
		var p codesPayload
		b.Query(t, regenerateDoc, map[string]any{"input": map[string]any{"password": pw, "code": code}}).
			Field(t, "regenerateRecoveryCodes", &p)
		return p
	}

	bad := regenerate("not the passphrase", h.nextCode(t, a.secret))
	wantUserError(t, "regenerate with a wrong password", bad.UserErrors, "INVALID_CREDENTIALS", "input", "password")
	if bad.RecoveryCodes != nil {
		t.Error("a refused regeneration returned codes")
	}

	p := regenerate(mfaPassword, h.nextCode(t, a.secret))
	wantNoUserErrors(t, "regenerateRecoveryCodes", p.UserErrors)
	if len(p.RecoveryCodes) != 10 {
		t.Fatalf("%d new codes, want 10", len(p.RecoveryCodes))
	}
	for _, c := range p.RecoveryCodes {
		if slices.Contains(a.codes, c) || !recoveryCodeShape.MatchString(c) {
			t.Errorf("new code %q is malformed or an old one", c)
		}
	}

	c := h.browser()
	ch := c.challenge(t, a)
	_, old := c.verifyMfa(t, ch, a.codes[5], "COOKIE")
	wantUserError(t, "verifyMfa with a replaced code", old.UserErrors, "INVALID_CODE", "input", "code")
	_, fresh := c.verifyMfa(t, ch, p.RecoveryCodes[0], "COOKIE")
	wantNoUserErrors(t, "verifyMfa with a new code", fresh.UserErrors)
	if fresh.Viewer == nil {
		t.Error("a new recovery code did not sign in")
	}
}

package auth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/apitoken"
	"lectern/ent/recoverycode"
	"lectern/ent/session"
	"lectern/internal/auth/secret"
	"lectern/internal/auth/totp"
	"lectern/internal/testenv"
)

const (
	hardenedPassword  = "a passphrase after the review"
	recoveredPassword = "the owner's recovered passphrase"
)

// TestHardening holds one case per finding of the identity service's
// security review, each proved the way a client would meet it.
func TestHardening(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("ResetPasswordRevokesApiTokens", alone(dialect, resetRevokesAPITokens))
		t.Run("ResetPasswordRecoversPreHijackedAccount", alone(dialect, resetRecoversPreHijack))
		t.Run("UnverifiedAccountGetsNoLastingCredentials", alone(dialect, unverifiedGetsNoCredentials))
		t.Run("RefusedLogInsDoNotFillAccountCounter", alone(dialect, refusedLogInsNotCounted))
		t.Run("IPv6CountsPerSlash64", alone(dialect, ipv6CountsPer64))
		t.Run("ChangeEmailIsThrottled", alone(dialect, changeEmailThrottled))
		t.Run("ConcurrentVerifyMfaStartsOneSession", alone(dialect, concurrentVerifyMfa))
		t.Run("ResetLinkToLeftAddressIsRefused", alone(dialect, resetLinkToLeftAddress))
		t.Run("ReadTokenCannotListCredentials", alone(dialect, readTokenCannotList))
		t.Run("MutationsCarryNoDebugStatements", alone(dialect, mutationsCarryNoDebug))
	})
}

func (h *harness) countSessions(t *testing.T, id uuid.UUID) int {
	t.Helper()
	return h.db.Ent.Session.Query().Where(session.UserID(id)).CountX(sys())
}

func (h *harness) countAPITokens(t *testing.T, id uuid.UUID) int {
	t.Helper()
	return h.db.Ent.APIToken.Query().Where(apitoken.UserID(id)).CountX(sys())
}

func (h *harness) countRecoveryCodes(t *testing.T, id uuid.UUID) int {
	t.Helper()
	return h.db.Ent.RecoveryCode.Query().Where(recoverycode.UserID(id)).CountX(sys())
}

// wantSignedOut checks that a credential no longer authenticates: the
// request is refused as a whole with 401 UNAUTHENTICATED.
func wantSignedOut(t *testing.T, what string, c *caller) {
	t.Helper()
	res := c.Query(t, tokenViewerDoc, nil)
	if res.Status != http.StatusUnauthorized || res.OnlyError(t).Extensions.Code != "UNAUTHENTICATED" {
		t.Errorf("%s: status %d, %s; want 401 UNAUTHENTICATED", what, res.Status, res.Raw)
	}
}

// resetTo runs the emailed reset flow for addr and fails unless the
// password changed.
func (h *harness) resetTo(t *testing.T, addr, pw string) {
	t.Helper()
	anon := h.browser()
	if res := anon.requestReset(t, addr); len(res.Errors) != 0 {
		t.Fatalf("requestPasswordReset: %s", res.Raw)
	}
	p := anon.resetPassword(t, h.resetToken(t, addr), pw)
	wantNoUserErrors(t, "resetPassword", p.UserErrors)
	if !p.PasswordChanged {
		t.Fatal("resetPassword: passwordChanged false")
	}
}

func resetRevokesAPITokens(t *testing.T, h *harness) {
	a := h.armMFA(t, "scripts@example.com")
	_, tp := h.signInMFA(t, a).createToken(t, "deploy script")
	api := h.browser().withBearer(*tp.Token)
	if v := api.viewer(t); v == nil {
		t.Fatal("the new token does not authenticate")
	}

	h.resetTo(t, a.email, hardenedPassword)

	wantSignedOut(t, "API token created before the reset", api)
	if n := h.countAPITokens(t, a.id); n != 0 {
		t.Errorf("%d API tokens stored after the reset, want 0", n)
	}
	// The address was proven before, so the factor its owner enrolled
	// stays: the reset link alone must not turn two-factor sign-in off.
	row := h.userByID(t, a.id)
	if row.MfaEnabledAt == nil || row.TotpSecret == nil || testenv.OpenTOTP(t, a.id, *row.TotpSecret) != a.secret {
		t.Error("a reset of a verified account removed its TOTP factor")
	}
	if n := h.countRecoveryCodes(t, a.id); n != len(a.codes) {
		t.Errorf("%d recovery codes after the reset, want %d", n, len(a.codes))
	}
	_, p := h.browser().logIn(t, a.email, hardenedPassword)
	wantNoUserErrors(t, "logIn with the new password", p.UserErrors)
	if !p.MfaRequired || p.Viewer != nil {
		t.Errorf("logIn after the reset = %+v, want a second-factor challenge", p)
	}
}

// plantCredentials gives an account what an attacker could have left on
// it: a confirmed and a pending TOTP secret, recovery codes and an API
// token. Stored directly, because the service no longer issues them to an
// unverified account; returns the token.
func (h *harness) plantCredentials(t *testing.T, id uuid.UUID) string {
	t.Helper()
	sec, err := totp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	pending, err := totp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := h.clock.Now()
	if err := h.db.Ent.User.UpdateOneID(id).SetTotpSecret(testenv.SealTOTP(t, id, sec)).SetTotpPendingSecret(testenv.SealTOTP(t, id, pending)).
		SetMfaEnabledAt(now).Exec(sys()); err != nil {
		t.Fatal(err)
	}
	codes, err := secret.RecoveryCodes(10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		err := h.db.Ent.RecoveryCode.Create().SetUserID(id).SetCodeHash(secret.HashOf(secret.NormalizeRecoveryCode(c))).Exec(sys())
		if err != nil {
			t.Fatal(err)
		}
	}
	tok, err := secret.New(secret.PersonalTokenPrefix)
	if err != nil {
		t.Fatal(err)
	}
	err = h.db.Ent.APIToken.Create().SetUserID(id).SetName("left behind").SetScopes([]string{"READ"}).SetTokenHash(tok.Hash).
		SetCreatedAt(now).SetExpiresAt(now.Add(30 * 24 * time.Hour)).Exec(sys())
	if err != nil {
		t.Fatal(err)
	}
	return tok.Plain
}

func resetRecoversPreHijack(t *testing.T, h *harness) {
	const victim, attackerPassword = "victim@example.com", "the attacker's passphrase"
	attacker := h.browser()
	_, sp := attacker.signUp(t, victim, attackerPassword, "Not The Owner")
	wantNoUserErrors(t, "signUp", sp.UserErrors)
	attacker.mustLogIn(t, victim, attackerPassword)
	u := h.userRow(t, victim)
	if u == nil || u.EmailVerifiedAt != nil {
		t.Fatalf("account after sign-up = %+v, want an unverified one", u)
	}
	api := h.browser().withBearer(h.plantCredentials(t, u.ID))
	if v := api.viewer(t); v == nil {
		t.Fatal("the planted token does not authenticate")
	}

	// The owner recovers the address through the reset link.
	h.resetTo(t, victim, recoveredPassword)

	row := h.userByID(t, u.ID)
	if row.EmailVerifiedAt == nil {
		t.Error("the reset did not mark the address verified")
	}
	if row.MfaEnabledAt != nil || row.TotpSecret != nil || row.TotpPendingSecret != nil {
		t.Errorf("TOTP left on (enabled %v, secret %v, pending %v)",
			row.MfaEnabledAt != nil, row.TotpSecret != nil, row.TotpPendingSecret != nil)
	}
	if n := h.countRecoveryCodes(t, u.ID); n != 0 {
		t.Errorf("%d recovery codes left", n)
	}
	if n := h.countAPITokens(t, u.ID); n != 0 {
		t.Errorf("%d API tokens left", n)
	}
	if n := h.countSessions(t, u.ID); n != 0 {
		t.Errorf("%d sessions left", n)
	}
	wantSignedOut(t, "the attacker's API token", api)
	if v := attacker.viewer(t); v != nil {
		t.Error("the attacker's browser is still signed in")
	}
	_, old := h.browser().logIn(t, victim, attackerPassword)
	wantUserError(t, "logIn with the attacker's password", old.UserErrors, "INVALID_CREDENTIALS")
	// No second factor of the attacker's stands in the owner's way.
	if p := h.browser().mustLogIn(t, victim, recoveredPassword); p.MfaRequired {
		t.Error("the owner is asked for the attacker's second factor")
	}
}

func unverifiedGetsNoCredentials(t *testing.T, h *harness) {
	const addr = "unproven@example.com"
	b := h.browser()
	_, sp := b.signUp(t, addr, hardenedPassword, "Unproven")
	wantNoUserErrors(t, "signUp", sp.UserErrors)
	b.mustLogIn(t, addr, hardenedPassword)
	u := h.userRow(t, addr)

	t.Run("CreateApiToken", func(t *testing.T) {
		var p tokenPayload
		b.Query(t, createTokenDoc, map[string]any{"input": map[string]any{"name": "early", "scopes": []string{"READ"}}}).
			Field(t, "createApiToken", &p)
		wantUserError(t, "createApiToken", p.UserErrors, "EMAIL_NOT_VERIFIED")
		if p.Token != nil || p.APIToken != nil {
			t.Errorf("a refused createApiToken returned a token: %+v", p)
		}
		if n := h.countAPITokens(t, u.ID); n != 0 {
			t.Errorf("%d API tokens stored", n)
		}
	})

	t.Run("StartTotpEnrollment", func(t *testing.T) {
		p := b.startTotp(t)
		wantUserError(t, "startTotpEnrollment", p.UserErrors, "EMAIL_NOT_VERIFIED")
		if p.Secret != nil || p.OtpauthURI != nil {
			t.Errorf("a refused enrolment returned a secret: %+v", p)
		}
		row := h.userByID(t, u.ID)
		if row.TotpPendingSecret != nil || row.TotpSecret != nil || row.MfaEnabledAt != nil {
			t.Error("a refused enrolment stored a TOTP secret")
		}
	})
}

func refusedLogInsNotCounted(t *testing.T, h *harness) {
	const target = "sprayed@example.com"
	h.createUser(t, target, throttledPassword)
	x := h.browser()
	for i := range 50 {
		_, p := x.logIn(t, fmt.Sprintf("nobody%d@example.com", i), "a sprayed guess")
		wantUserError(t, fmt.Sprint("failed logIn ", i+1), p.UserErrors, "INVALID_CREDENTIALS")
	}
	// More refusals than the account's own limit: had they been counted,
	// the owner would now be locked out.
	for i := range 11 {
		res, _ := x.logIn(t, target, fmt.Sprintf("guess over the limit %d", i))
		wantRateLimited(t, fmt.Sprint("logIn over the address limit ", i+1), res)
	}
	h.browser().mustLogIn(t, target, throttledPassword)
}

func ipv6CountsPer64(t *testing.T, h *harness) {
	logIn := func(t *testing.T, ip string, i int) testenv.Reply {
		t.Helper()
		c := h.browser()
		c.Addr = ip
		return c.Query(t, logInDoc, map[string]any{"input": map[string]any{
			"email": fmt.Sprintf("v6probe%d@example.com", i), "password": "a rotated guess", "transport": "COOKIE"}})
	}
	for i := 1; i <= 50; i++ {
		res := logIn(t, fmt.Sprintf("2001:db8:1:2::%x", i), i)
		var p logInPayload
		res.Field(t, "logIn", &p)
		wantUserError(t, fmt.Sprint("failed logIn ", i), p.UserErrors, "INVALID_CREDENTIALS")
	}
	wantRateLimited(t, "51st address in the /64", logIn(t, "2001:db8:1:2::33", 51))

	// The control: were the address not read at all, every request would
	// share one counter and this one would be limited too.
	res := logIn(t, "2001:db8:1:3::1", 52)
	var p logInPayload
	res.Field(t, "logIn", &p)
	wantUserError(t, "logIn from another /64", p.UserErrors, "INVALID_CREDENTIALS")
}

func changeEmailThrottled(t *testing.T, h *harness) {
	const addr = "restless@example.com"
	u := h.createUser(t, addr, hardenedPassword)
	b := h.browser()
	b.mustLogIn(t, addr, hardenedPassword)
	next := func(i int) string { return fmt.Sprintf("restless.%d@example.com", i) }
	for i := range 5 {
		_, p := b.changeEmail(t, hardenedPassword, next(i))
		wantNoUserErrors(t, fmt.Sprint("changeEmail ", i+1), p.UserErrors)
	}
	res := b.Query(t, changeEmailDoc, map[string]any{"input": map[string]any{"password": hardenedPassword, "newEmail": next(5)}})
	wantRateLimited(t, "6th changeEmail", res)
	wantRetryWithinWindow(t, res, time.Hour)

	h.drainJobs(t)
	for i := range 5 {
		got := h.mailTo(t, next(i))
		if len(got) != 1 || !strings.Contains(got[0].Subject, subjectVerify) {
			t.Errorf("%s received %d messages, want one verification link", next(i), len(got))
			continue
		}
		got[0].token(t, h.baseURL, "verify-email")
	}
	if got := h.mailTo(t, next(5)); len(got) != 0 {
		t.Errorf("a throttled changeEmail sent %d messages", len(got))
	}
	if got := h.userByID(t, u.ID).Email; got != addr {
		t.Errorf("stored address %q, want %q", got, addr)
	}
}

func concurrentVerifyMfa(t *testing.T, h *harness) {
	a := h.armMFA(t, "racing@example.com")
	ch := h.browser().challenge(t, a)
	codes := append([]string{h.nextCode(t, a.secret)}, a.codes[:7]...)
	reqs := make([]*http.Request, len(codes))
	for i, code := range codes {
		reqs[i] = h.browser().Request(t, mfaDoc, map[string]any{"input": map[string]any{
			"challenge": ch, "code": code, "transport": "COOKIE"}})
	}
	before := h.countSessions(t, a.id)

	wins := 0
	for i, res := range h.app.ServeAtOnce(t, reqs...) {
		var p logInPayload
		res.Field(t, "verifyMfa", &p)
		cookie, _ := res.SessionCookie()
		switch {
		case len(p.UserErrors) == 0:
			wins++
			if p.Viewer == nil || !p.Viewer.SessionMfa || cookie == "" {
				t.Errorf("request %d succeeded without a session that passed MFA: %s", i, res.Raw)
			}
		case len(p.UserErrors) == 1 && p.UserErrors[0].Code == "INVALID_TOKEN" && slices.Equal(p.UserErrors[0].Field, []string{"input", "challenge"}),
			len(p.UserErrors) == 1 && p.UserErrors[0].Code == "INVALID_CODE" && slices.Equal(p.UserErrors[0].Field, []string{"input", "code"}):
			if p.Viewer != nil || cookie != "" {
				t.Errorf("request %d was refused but signed in: %s", i, res.Raw)
			}
		default:
			t.Errorf("request %d: userErrors %+v, want INVALID_TOKEN or INVALID_CODE", i, p.UserErrors)
		}
	}
	if wins != 1 {
		t.Errorf("%d of %d racing requests succeeded, want 1", wins, len(reqs))
	}
	if n := h.countSessions(t, a.id) - before; n != 1 {
		t.Errorf("%d sessions started by one challenge, want 1", n)
	}
}

func resetLinkToLeftAddress(t *testing.T, h *harness) {
	const oldAddr, newAddr = "mover@example.com", "mover.new@example.com"
	u := h.createUser(t, oldAddr, hardenedPassword)
	anon := h.browser()
	if res := anon.requestReset(t, oldAddr); len(res.Errors) != 0 {
		t.Fatalf("requestPasswordReset: %s", res.Raw)
	}
	token := h.resetToken(t, oldAddr)

	b := h.browser()
	b.mustLogIn(t, oldAddr, hardenedPassword)
	_, cp := b.changeEmail(t, hardenedPassword, newAddr)
	wantNoUserErrors(t, "changeEmail", cp.UserErrors)
	vp := h.browser().verifyEmail(t, h.verificationToken(t, newAddr))
	wantNoUserErrors(t, "verifyEmail", vp.UserErrors)
	if got := h.userByID(t, u.ID).Email; got != newAddr {
		t.Fatalf("the account is at %q, want %q", got, newAddr)
	}
	hash := *h.userByID(t, u.ID).PasswordHash

	p := anon.resetPassword(t, token, recoveredPassword)
	wantUserError(t, "resetPassword with a link to the old address", p.UserErrors, "INVALID_TOKEN", "input", "token")
	if p.PasswordChanged {
		t.Error("passwordChanged true for a link to the old address")
	}
	if *h.userByID(t, u.ID).PasswordHash != hash {
		t.Error("a link to the old address changed the stored password")
	}
	if v := b.viewer(t); v == nil {
		t.Error("a refused link ended the owner's session")
	}
	h.browser().mustLogIn(t, newAddr, hardenedPassword)
}

func readTokenCannotList(t *testing.T, h *harness) {
	const addr = "reader@example.com"
	h.createUser(t, addr, hardenedPassword)
	b := h.browser()
	b.mustLogIn(t, addr, hardenedPassword)
	_, tp := b.createToken(t, "read only")
	api := h.browser().withBearer(*tp.Token)

	for _, field := range []string{"sessions", "apiTokens"} {
		t.Run(field, func(t *testing.T) {
			res := api.Query(t, `query { viewer { `+field+` { id } } }`, nil)
			e := res.OnlyError(t)
			if e.Extensions.Code != "FORBIDDEN" {
				t.Errorf("code %q, want FORBIDDEN: %s", e.Extensions.Code, res.Raw)
			}
			if got := fmt.Sprint(e.Path); got != "[viewer "+field+"]" {
				t.Errorf("error path %v, want [viewer %s]", e.Path, field)
			}
			var v map[string][]any
			if raw, _ := res.Root("viewer"); json.Unmarshal(raw, &v) != nil {
				t.Fatalf("data.viewer %s", raw)
			}
			if len(v[field]) != 0 {
				t.Errorf("the token was shown %s: %s", field, res.Raw)
			}
		})
	}

	res := api.Query(t, `query { viewer { user { id } } }`, nil)
	var v struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	res.Field(t, "viewer", &v)
	if want := b.viewer(t).User.ID; v.User.ID != want {
		t.Errorf("viewer.user.id through the token = %q, want %q", v.User.ID, want)
	}
}

// debugOf returns the response's extensions.debug, and whether it has one.
func debugOf(t *testing.T, res testenv.Reply) (map[string]json.RawMessage, bool) {
	t.Helper()
	var env struct {
		Extensions map[string]json.RawMessage `json:"extensions"`
	}
	if err := json.Unmarshal(res.Raw, &env); err != nil {
		t.Fatal(err)
	}
	raw, ok := env.Extensions["debug"]
	if !ok {
		return nil, false
	}
	var d map[string]json.RawMessage
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("extensions.debug %s: %v", raw, err)
	}
	return d, true
}

func mutationsCarryNoDebug(t *testing.T, h *harness) {
	b := h.browser()
	res, p := b.signUp(t, "quiet@example.com", hardenedPassword, "Quiet")
	wantNoUserErrors(t, "signUp", p.UserErrors)
	if d, ok := debugOf(t, res); ok {
		t.Errorf("signUp answered with extensions.debug %v", d)
	}

	// The dev handler does add the list to queries: its absence above is
	// the mutation rule, not a configuration without debug.
	h.createUser(t, "curious@example.com", hardenedPassword)
	c := h.browser()
	c.mustLogIn(t, "curious@example.com", hardenedPassword)
	q := c.Query(t, viewerDoc, nil)
	d, ok := debugOf(t, q)
	if !ok {
		t.Fatalf("a query answered without extensions.debug: %s", q.Raw)
	}
	var stmts []string
	if err := json.Unmarshal(d["sqlQueries"], &stmts); err != nil || len(stmts) == 0 {
		t.Errorf("extensions.debug.sqlQueries = %s, want the query's statements", d["sqlQueries"])
	}
}

package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"lectern/internal/auth/secret"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

// canaries collects every secret a flow handed out or typed in, to search
// for afterwards where none may appear.
type canaries map[string]string

// add records a secret under a label for the failure message. Tokens are
// recorded with and without their prefix, so a log quoting just the
// random part is caught too.
func (c canaries) add(label, value string) {
	if value == "" {
		return
	}
	c[label] = value
	for _, p := range []string{secret.EmailPrefix, secret.SessionPrefix, secret.PersonalTokenPrefix, secret.ChallengePrefix} {
		if body, ok := strings.CutPrefix(value, p); ok {
			c[label+" (random part)"] = body
		}
	}
}

// addCodes records recovery codes as shown and as stored before hashing.
func (c canaries) addCodes(label string, codes []string) {
	for i, code := range codes {
		c.add(fmt.Sprintf("%s %d", label, i), code)
		c.add(fmt.Sprintf("%s %d (normalised)", label, i), secret.NormalizeRecoveryCode(code))
	}
}

// leaks returns the labels of the secrets found in text.
func (c canaries) leaks(text string) []string {
	var found []string
	for label, v := range c {
		if strings.Contains(text, v) {
			found = append(found, label)
		}
	}
	sort.Strings(found)
	return found
}

// TestLogsHoldNoSecrets runs every identity flow with distinctive secrets
// and then searches the app's and the email worker's DEBUG logs, the
// emails' Message-IDs and the queued jobs for them. Stages that depend on
// another stage's outcome use their own accounts, so each can be skipped
// alone.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect)
		seen := canaries{}
		const (
			email      = "canary@example.com"
			signUpPw   = "Canary-SignUp-7c1f2e9d4a"
			wrongPw    = "Canary-Wrong-3b8a4d61ee"
			resetPw    = "Canary-Reset-9e4d2c7b13"
			mfaEmail   = "canary.mfa@example.com"
			enrolEmail = "canary.enrol@example.com"
			enrolPw    = "Canary-Enrol-0f6a2b8c55"
			movedEmail = "canary.moved@example.com"
		)
		for label, pw := range map[string]string{"sign-up password": signUpPw, "wrong password": wrongPw,
			"reset password": resetPw, "enrolment password": enrolPw, "MFA account password": mfaPassword} {
			seen.add(label, pw)
		}
		current := signUpPw
		anon := h.browser()

		t.Run("SignUp", func(t *testing.T) {
			_, p := anon.signUp(t, email, signUpPw, "Canary")
			wantNoUserErrors(t, "signUp", p.UserErrors)
			msg := h.waitMail(t, email, subjectVerify)
			seen.add("verification link", msg.link(t, "verify-email"))
			seen.add("verification token", msg.token(t, h.baseURL, "verify-email"))
		})

		t.Run("VerifyEmail", func(t *testing.T) {
			p := anon.verifyEmail(t, seen["verification token"])
			wantNoUserErrors(t, "verifyEmail", p.UserErrors)
		})

		t.Run("Sessions", func(t *testing.T) {
			b := h.browser()
			_, bad := b.logIn(t, email, wrongPw)
			wantUserError(t, "logIn with a wrong password", bad.UserErrors, "INVALID_CREDENTIALS")
			b.mustLogIn(t, email, signUpPw)
			seen.add("cookie session", b.Cookie)

			app := h.browser()
			_, tp := app.logInVia(t, email, signUpPw, "TOKEN")
			if tp.Token == nil {
				t.Fatal("logIn TOKEN returned no token")
			}
			seen.add("session token", *tp.Token)
			if app.withBearer(*tp.Token).viewer(t) == nil {
				t.Error("the session token does not sign in")
			}

			_, pat := b.createToken(t, "canary")
			seen.add("API token", *pat.Token)
			if h.browser().withBearer(*pat.Token).viewer(t) == nil {
				t.Error("the API token does not sign in")
			}
		})

		t.Run("StartEnrolment", func(t *testing.T) {
			h.createUser(t, enrolEmail, enrolPw)
			b := h.browser()
			b.mustLogIn(t, enrolEmail, enrolPw)
			seen.add("enrolment cookie", b.Cookie)
			start := b.startTotp(t)
			wantNoUserErrors(t, "startTotpEnrollment", start.UserErrors)
			seen.add("TOTP secret", *start.Secret)
			seen.add("TOTP secret (lower case)", strings.ToLower(*start.Secret))
			seen.add("otpauth URI", *start.OtpauthURI)

			t.Run("Confirm", func(t *testing.T) {
				_, p := b.confirmTotp(t, h.nextCode(t, *start.Secret))
				wantNoUserErrors(t, "confirmTotpEnrollment", p.UserErrors)
				seen.addCodes("enrolment recovery code", p.RecoveryCodes)
				seen.add("cookie after enrolment", b.Cookie)
			})
		})

		t.Run("SignInWithMFA", func(t *testing.T) {
			a := h.armMFA(t, mfaEmail)
			seen.add("armed TOTP secret", a.secret)
			seen.addCodes("armed recovery code", a.codes)

			b := h.browser()
			ch := b.challenge(t, a)
			seen.add("MFA challenge", ch)
			_, p := b.verifyMfa(t, ch, h.nextCode(t, a.secret), "COOKIE")
			wantNoUserErrors(t, "verifyMfa", p.UserErrors)
			seen.add("MFA cookie", b.Cookie)

			r := h.browser()
			ch = r.challenge(t, a)
			seen.add("second MFA challenge", ch)
			_, p = r.verifyMfa(t, ch, a.codes[0], "TOKEN")
			wantNoUserErrors(t, "verifyMfa with a recovery code", p.UserErrors)
			seen.add("MFA session token", *p.Token)

			var regen codesPayload
			b.Query(t, regenerateDoc, map[string]any{"input": map[string]any{"password": mfaPassword, "code": a.codes[1]}}).
				Field(t, "regenerateRecoveryCodes", &regen)
			wantNoUserErrors(t, "regenerateRecoveryCodes", regen.UserErrors)
			seen.addCodes("regenerated recovery code", regen.RecoveryCodes)
		})

		t.Run("RequestReset", func(t *testing.T) {
			if res := anon.requestReset(t, email); len(res.Errors) != 0 {
				t.Fatalf("requestPasswordReset: %s", res.Raw)
			}
			msg := h.waitMail(t, email, subjectReset)
			seen.add("reset link", msg.link(t, "reset-password"))
			seen.add("reset token", msg.token(t, h.baseURL, "reset-password"))

			t.Run("Reset", func(t *testing.T) {
				p := anon.resetPassword(t, seen["reset token"], resetPw)
				wantNoUserErrors(t, "resetPassword", p.UserErrors)
				current = resetPw
			})
		})

		t.Run("ChangeEmail", func(t *testing.T) {
			b := h.browser()
			b.mustLogIn(t, email, current)
			seen.add("cookie before the email change", b.Cookie)
			_, bad := b.changeEmail(t, wrongPw, movedEmail)
			wantUserError(t, "changeEmail with a wrong password", bad.UserErrors, "INVALID_CREDENTIALS", "input", "password")
			_, p := b.changeEmail(t, current, movedEmail)
			wantNoUserErrors(t, "changeEmail", p.UserErrors)
			msg := h.waitMail(t, movedEmail, subjectVerify)
			seen.add("change-email link", msg.link(t, "verify-email"))
			seen.add("change-email token", msg.token(t, h.baseURL, "verify-email"))

			t.Run("Verify", func(t *testing.T) {
				v := anon.verifyEmail(t, seen["change-email token"])
				wantNoUserErrors(t, "verifyEmail", v.UserErrors)
				h.waitMail(t, email, subjectChanged)
			})
		})

		t.Run("Refusals", func(t *testing.T) {
			refusals(t, h, seen)
		})

		h.drainJobs(t)
		logs := h.app.Logs.String() + h.workerLogs.String()
		for _, want := range []string{`"msg":"audit"`, `"msg":"request"`, `"msg":"email sent"`} {
			if !strings.Contains(logs, want) {
				t.Fatalf("the logs have no %s line: the search below would prove nothing", want)
			}
		}
		if leaked := seen.leaks(logs); len(leaked) > 0 {
			t.Errorf("the logs hold: %s", strings.Join(leaked, "; "))
		}
		for _, m := range h.smtp.Messages() {
			msg := parseEmail(t, m)
			if msg.MessageID == "" {
				t.Errorf("message %q has no Message-ID", msg.Subject)
			}
			if leaked := seen.leaks(msg.MessageID); len(leaked) > 0 {
				t.Errorf("Message-ID %s holds: %s", msg.MessageID, strings.Join(leaked, "; "))
			}
		}
		if leaked := seen.leaks(jobArgs(t, h.db)); len(leaked) > 0 {
			t.Errorf("the queued jobs hold: %s", strings.Join(leaked, "; "))
		}
	})
}

// refusals makes the attempts that fail, each with a distinctive secret:
// failures are where a careless error message quotes its input.
func refusals(t *testing.T, h *harness, seen canaries) {
	t.Helper()
	typed := map[string]string{
		"too-short password":     "Cnry-short1",
		"too-long password":      "Canary-Long-" + strings.Repeat("x", 120),
		"throttled password":     "Canary-Throttled-5d9e1a",
		"guessed password":       "Canary-Guess-2c7b0f",
		"unknown email token":    secret.EmailPrefix + strings.Repeat("c", 51) + "q",
		"garbage email token":    "canary-garbage-token-8e1d",
		"reset password refused": "Canary-Unused-Reset-4a2f",
		"unknown challenge":      secret.ChallengePrefix + strings.Repeat("m", 51) + "a",
		"mistyped recovery code": "zq9z-zq9z-zq9z",
		"unknown session token":  secret.SessionPrefix + strings.Repeat("s", 51) + "a",
		"unknown API token":      secret.PersonalTokenPrefix + strings.Repeat("p", 51) + "q",
	}
	for label, v := range typed {
		seen.add(label, v)
	}
	c := h.browser()
	_, p := c.signUp(t, "refused@example.com", typed["too-short password"], "Refused")
	wantUserError(t, "signUp", p.UserErrors, "PASSWORD_TOO_SHORT", "input", "password")
	_, p = c.signUp(t, "refused@example.com", typed["too-long password"], "Refused")
	wantUserError(t, "signUp", p.UserErrors, "PASSWORD_TOO_LONG", "input", "password")

	h.createUser(t, "throttled@example.com", typed["throttled password"])
	for range 10 {
		c.logIn(t, "throttled@example.com", typed["guessed password"])
	}
	res, _ := c.logIn(t, "throttled@example.com", typed["throttled password"])
	wantRateLimited(t, "logIn over the limit", res)

	v := c.verifyEmail(t, typed["unknown email token"])
	wantUserError(t, "verifyEmail", v.UserErrors, "INVALID_TOKEN", "token")
	v = c.verifyEmail(t, typed["garbage email token"])
	wantUserError(t, "verifyEmail", v.UserErrors, "INVALID_TOKEN", "token")
	rp := c.resetPassword(t, typed["unknown email token"], typed["reset password refused"])
	wantUserError(t, "resetPassword", rp.UserErrors, "INVALID_TOKEN", "input", "token")
	_, mp := c.verifyMfa(t, typed["unknown challenge"], typed["mistyped recovery code"], "COOKIE")
	wantUserError(t, "verifyMfa", mp.UserErrors, "INVALID_TOKEN", "input", "challenge")

	for _, tok := range []string{typed["unknown session token"], typed["unknown API token"]} {
		if res := c.withBearer(tok).Query(t, viewerDoc, nil); res.Status != http.StatusUnauthorized {
			t.Errorf("unknown bearer token: status %d", res.Status)
		}
	}
	// A live session cookie sent from another site is refused before it is
	// looked at; it must not be written down on the way either.
	cookie, ok := seen["cookie session"]
	if !ok {
		t.Fatal("no session cookie collected")
	}
	foreign := h.browser()
	foreign.Cookie, foreign.Origin = cookie, "https://evil.example.net"
	if res := foreign.Query(t, viewerDoc, nil); res.Status != http.StatusForbidden {
		t.Errorf("cookie from a foreign origin: status %d, want 403", res.Status)
	}
}

// jobArgs returns the arguments of every job queued, as stored.
func jobArgs(t *testing.T, db *database.DB) string {
	t.Helper()
	rows, err := db.SQL.QueryContext(context.Background(), `SELECT args FROM river_job`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	n := 0
	for rows.Next() {
		var args []byte
		if err := rows.Scan(&args); err != nil {
			t.Fatal(err)
		}
		b.Write(args)
		b.WriteByte('\n')
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no jobs queued: the search would prove nothing")
	}
	return b.String()
}

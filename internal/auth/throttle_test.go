package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"lectern/ent/auditevent"
	"lectern/ent/session"
	"lectern/internal/testenv"
)

const throttledPassword = "the right passphrase"

// wantRetryWithinWindow checks the advertised wait against the rule's
// window: positive, and no longer than the window itself.
func wantRetryWithinWindow(t *testing.T, res testenv.Reply, window time.Duration) {
	t.Helper()
	res.OnlyError(t)
	advertised := res.ErrorExtension(t, 0, "retryAfterSeconds")
	if wait, _ := advertised.(float64); wait <= 0 || wait > window.Seconds() {
		t.Errorf("retryAfterSeconds = %v, want within (0, %v]", advertised, window.Seconds())
	}
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("LogInPerAccountAndClient", alone(dialect, logInPerAccount))
		t.Run("OwnerSignsInDuringAttack", alone(dialect, ownerSignsInDuringAttack))
		t.Run("AccountCapStopsManyClients", alone(dialect, accountCapStopsManyClients))
		t.Run("ResetLiftsOwnClientLimit", alone(dialect, resetLiftsOwnClientLimit))
		t.Run("IPv6ClientIsItsSlash64", alone(dialect, ipv6ClientIsItsSlash64))
		t.Run("LogInCountsAliases", alone(dialect, logInCountsAliases))
		t.Run("BatchedRequestIsRefused", alone(dialect, batchedRequestRefused))
		t.Run("MFACodesPerAccount", alone(dialect, mfaCodesPerAccount))
		t.Run("SignUp", alone(dialect, signUpLimits))
		t.Run("PasswordReset", alone(dialect, passwordResetLimits))
	})
}

func logInPerAccount(t *testing.T, h *harness) {
	u := h.createUser(t, "target@example.com", throttledPassword)
	x := h.browser()
	for i := range 10 {
		_, p := x.logIn(t, "target@example.com", fmt.Sprintf("guess number %d", i))
		wantUserError(t, "wrong password", p.UserErrors, "INVALID_CREDENTIALS")
	}

	// Over the limit the right password gets the same refusal: a guess
	// made now teaches the guesser nothing.
	res, _ := x.logIn(t, "target@example.com", throttledPassword)
	wantRateLimited(t, "11th logIn", res)
	wantRetryWithinWindow(t, res, 15*time.Minute)
	if got := res.Header.Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("a throttled logIn set cookies %q", got)
	}
	if n := h.db.Ent.Session.Query().Where(session.UserID(u.ID)).CountX(sys()); n != 0 {
		t.Errorf("a throttled logIn stored %d sessions", n)
	}
	// The limit holds the client to the account, however the address is
	// spelt, and no other account signing in from that client.
	again, _ := x.clone().logIn(t, "TARGET@example.com", throttledPassword)
	wantRateLimited(t, "logIn from the same client", again)
	h.createUser(t, "bystander@example.com", throttledPassword)
	x.clone().mustLogIn(t, "bystander@example.com", throttledPassword)

	h.clock.Advance(16 * time.Minute)
	x.mustLogIn(t, "target@example.com", throttledPassword)
}

// ownerSignsInDuringAttack is the reason the tight limit is per client: an
// attacker who keeps failing at an account locks out only themselves.
func ownerSignsInDuringAttack(t *testing.T, h *harness) {
	u := h.createUser(t, "victim.owner@example.com", throttledPassword)
	attacker := h.browser()
	for i := range 10 {
		attacker.logIn(t, u.Email, fmt.Sprintf("attacker guess %d", i))
	}
	res, _ := attacker.logIn(t, u.Email, "attacker guess 10")
	wantRateLimited(t, "attacker's 11th logIn", res)

	// Attempts refused by the limit move no counter: the attacker cannot
	// spend the account's wider allowance from a client already stopped.
	before := h.footprint(t)
	for i := range 5 {
		res, _ := attacker.logIn(t, u.Email, fmt.Sprintf("refused guess %d", i))
		wantRateLimited(t, "refused logIn", res)
	}
	if after := h.footprint(t); after.attempts != before.attempts || after.sessions != before.sessions {
		t.Errorf("refused attempts moved counters: before %+v, after %+v", before, after)
	}

	owner := h.browser()
	owner.mustLogIn(t, u.Email, throttledPassword)
	// Still locked out: the owner's success is no key for the attacker.
	res, _ = attacker.logIn(t, u.Email, throttledPassword)
	wantRateLimited(t, "attacker after the owner signed in", res)
}

// accountCapStopsManyClients plays a guessing campaign spread over many
// addresses, each staying under its own limit: the account's cap stops it,
// right password or not, and a password reset lets the owner back in.
func accountCapStopsManyClients(t *testing.T, h *harness) {
	u := h.createUser(t, "popular.target@example.com", throttledPassword)
	for c := range 10 {
		x := h.browser()
		for i := range 10 {
			_, p := x.logIn(t, u.Email, fmt.Sprintf("client %d guess %d", c, i))
			wantUserError(t, "spread guess", p.UserErrors, "INVALID_CREDENTIALS")
		}
	}
	fresh := h.browser()
	res, _ := fresh.logIn(t, u.Email, throttledPassword)
	wantRateLimited(t, "logIn from an 11th client", res)
	wantRetryWithinWindow(t, res, time.Hour)
	if e := h.wantAudit(t, "throttle.block", res, fresh); e.Details["rule"] != "login.account" {
		t.Errorf("throttle.block details %v, want rule login.account", e.Details)
	}
	if n := h.db.Ent.Session.Query().Where(session.UserID(u.ID)).CountX(sys()); n != 0 {
		t.Errorf("a throttled logIn stored %d sessions", n)
	}

	// Whoever holds the mailbox may reset the password; guesses at the old
	// one then stop counting.
	const renewed = "a renewed passphrase"
	h.resetTo(t, u.Email, renewed)
	h.browser().mustLogIn(t, u.Email, renewed)
}

// resetLiftsOwnClientLimit plays an owner who forgot the password: ten
// wrong tries lock their own client out, and the reset they then do from
// it lets them straight back in.
func resetLiftsOwnClientLimit(t *testing.T, h *harness) {
	u := h.createUser(t, "forgot.again@example.com", throttledPassword)
	owner := h.browser()
	for i := range 10 {
		owner.logIn(t, u.Email, fmt.Sprintf("was it this %d", i))
	}
	res, _ := owner.logIn(t, u.Email, throttledPassword)
	wantRateLimited(t, "logIn after ten wrong tries", res)

	if res := owner.requestReset(t, u.Email); len(res.Errors) != 0 {
		t.Fatalf("requestPasswordReset: %s", res.Raw)
	}
	const renewed = "the passphrase I will remember"
	p := owner.resetPassword(t, h.resetToken(t, u.Email), renewed)
	wantNoUserErrors(t, "resetPassword", p.UserErrors)
	owner.mustLogIn(t, u.Email, renewed)
}

// ipv6ClientIsItsSlash64 checks that the per-client limit on an account
// counts an IPv6 client by its /64, which one subscriber commonly holds
// whole and could otherwise rotate through.
func ipv6ClientIsItsSlash64(t *testing.T, h *harness) {
	u := h.createUser(t, "v6.target@example.com", throttledPassword)
	logIn := func(ip, pw string) testenv.Reply {
		c := h.browser()
		c.Addr = ip
		return c.Query(t, logInDoc, map[string]any{"input": map[string]any{
			"email": u.Email, "password": pw, "transport": "COOKIE"}})
	}
	for i := 1; i <= 10; i++ {
		var p logInPayload
		logIn(fmt.Sprintf("2001:db8:6:1::%x", i), "a rotated guess").Field(t, "logIn", &p)
		wantUserError(t, fmt.Sprint("rotated guess ", i), p.UserErrors, "INVALID_CREDENTIALS")
	}
	wantRateLimited(t, "11th address in the /64", logIn("2001:db8:6:1::ff", throttledPassword))
	var p logInPayload
	logIn("2001:db8:6:2::1", throttledPassword).Field(t, "logIn", &p)
	wantNoUserErrors(t, "logIn from another /64", p.UserErrors)
}

func logInCountsAliases(t *testing.T, h *harness) {
	u := h.createUser(t, "aliased@example.com", throttledPassword)

	// Twelve guesses in one request are twelve guesses.
	var doc strings.Builder
	doc.WriteString(`mutation($email: String!, $pw: String!) {`)
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&doc, " g%d: logIn(input: {email: $email, password: $pw}) { viewer { user { id } } userErrors { code } }", i)
	}
	doc.WriteString(" }")
	x := h.browser()
	res := x.Query(t, doc.String(), map[string]any{"email": "aliased@example.com", "pw": "one guess of many"})

	var limited []string
	for _, e := range res.Errors {
		if e.Extensions.Code != "RATE_LIMITED" || len(e.Path) != 1 {
			t.Errorf("unexpected error %+v", e)
			continue
		}
		limited = append(limited, fmt.Sprint(e.Path[0]))
	}
	if strings.Join(limited, ",") != "g11,g12" {
		t.Errorf("RATE_LIMITED at %v, want g11 and g12: %s", limited, res.Raw)
	}
	failures := h.db.Ent.AuditEvent.Query().Where(auditevent.Action("login.failure"), auditevent.TargetID(u.ID.String()),
		auditevent.RequestID(res.RequestID())).CountX(sys())
	if failures != 10 {
		t.Errorf("%d failed sign-ins recorded for the request, want 10", failures)
	}

	after, _ := x.clone().logIn(t, "aliased@example.com", throttledPassword)
	wantRateLimited(t, "logIn after the aliased request", after)
}

// footprint is what any executed sign-in attempt changes: audit records,
// throttle counts and sessions.
type footprint struct{ audits, attempts, sessions int }

func (h *harness) footprint(t *testing.T) footprint {
	t.Helper()
	var f footprint
	f.audits = h.db.Ent.AuditEvent.Query().CountX(sys())
	f.sessions = h.db.Ent.Session.Query().CountX(sys())
	err := h.db.SQL.QueryRowContext(context.Background(), `SELECT COALESCE(SUM("count"), 0) FROM throttle_buckets`).Scan(&f.attempts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func batchedRequestRefused(t *testing.T, h *harness) {
	const pw = "batched-canary-5e2b7a9c"
	h.createUser(t, "batch@example.com", pw)
	op := func(password string) map[string]any {
		return map[string]any{
			"query":     `mutation($pw: String!) { logIn(input: {email: "batch@example.com", password: $pw}) { viewer { user { id } } } }`,
			"variables": map[string]any{"pw": password},
		}
	}
	var batch []map[string]any
	for i := range 11 {
		batch = append(batch, op(fmt.Sprintf("wrong guess %d", i)))
	}
	body, err := json.Marshal(append(batch, op(pw)))
	if err != nil {
		t.Fatal(err)
	}
	// Nothing may run: no attempt counted, audited or signed in.
	before := h.footprint(t)
	x := h.browser()
	res := x.Post(t, body)
	if after := h.footprint(t); after != before {
		t.Errorf("a refused batch left traces: before %+v, after %+v", before, after)
	}
	if x.Cookie != "" {
		t.Error("a refused batch set a session cookie")
	}
	if res.Status != http.StatusBadRequest {
		t.Errorf("batched request: status %d, want 400: %s", res.Status, res.Raw)
	}
	if data := string(res.Data); len(res.Errors) == 0 || (data != "" && data != "null") {
		t.Errorf("batched request answered %s, want only errors", res.Raw)
	}

	t.Run("CodeIsBadUserInput", func(t *testing.T) {
		if e := res.OnlyError(t); e.Extensions.Code != "BAD_USER_INPUT" {
			t.Errorf("code %q, want BAD_USER_INPUT", e.Extensions.Code)
		}
	})
	t.Run("PasswordNotEchoed", func(t *testing.T) {
		if strings.Contains(string(res.Raw), pw) {
			t.Error("the response quotes the password")
		}
		if strings.Contains(h.app.Logs.String(), pw) {
			t.Error("the log holds the password of a batched request")
		}
		// Any JSON the transport cannot read as one request takes the same path.
		const other = "mistyped-canary-0c4d8e2f"
		mistyped, err := json.Marshal(map[string]any{"query": op(other)["query"], "variables": map[string]any{"pw": other}, "operationName": 5})
		if err != nil {
			t.Fatal(err)
		}
		x.Post(t, mistyped)
		if strings.Contains(h.app.Logs.String(), other) {
			t.Error("the log holds the password of a request with a mistyped field")
		}
	})
}

func mfaCodesPerAccount(t *testing.T, h *harness) {
	a := h.armMFA(t, "mfa.throttle@example.com")
	for range 2 {
		c := h.browser()
		ch := c.challenge(t, a)
		for range 5 {
			_, p := c.verifyMfa(t, ch, h.wrongCode(t, a.secret), "COOKIE")
			wantUserError(t, "wrong code", p.UserErrors, "INVALID_CODE", "input", "code")
		}
	}
	// Ten wrong codes across challenges and addresses use up the
	// account's attempts: a fresh challenge does not buy more.
	c := h.browser()
	res, _ := c.verifyMfa(t, c.challenge(t, a), h.nextCode(t, a.secret), "COOKIE")
	wantRateLimited(t, "verifyMfa after 10 wrong codes", res)
	if c.Cookie != "" {
		t.Error("a throttled verifyMfa signed in")
	}

	h.clock.Advance(16 * time.Minute)
	d := h.browser()
	_, p := d.verifyMfa(t, d.challenge(t, a), h.nextCode(t, a.secret), "COOKIE")
	wantNoUserErrors(t, "verifyMfa after the window", p.UserErrors)
}

func signUpLimits(t *testing.T, h *harness) {
	t.Run("PerEmailAddress", func(t *testing.T) {
		// Refused attempts count too: each could have sent an email.
		for range 5 {
			_, p := h.browser().signUp(t, "popular@example.com", "too short", "Someone")
			wantUserError(t, "signUp", p.UserErrors, "PASSWORD_TOO_SHORT", "input", "password")
		}
		res, _ := h.browser().signUp(t, "Popular@example.com", throttledPassword, "Someone")
		wantRateLimited(t, "6th signUp for one address", res)
		wantRetryWithinWindow(t, res, time.Hour)
		if h.userRow(t, "popular@example.com") != nil {
			t.Error("a throttled sign-up created the account")
		}
	})

	t.Run("PerClientAddress", func(t *testing.T) {
		x := h.browser()
		for i := range 20 {
			_, p := x.signUp(t, fmt.Sprintf("probe%d@example.com", i), "too short", "Someone")
			wantUserError(t, "signUp", p.UserErrors, "PASSWORD_TOO_SHORT", "input", "password")
		}
		res, _ := x.signUp(t, "fresh@example.com", throttledPassword, "Someone")
		wantRateLimited(t, "21st signUp from one client", res)
		if h.userRow(t, "fresh@example.com") != nil {
			t.Error("a throttled sign-up created the account")
		}
		// Another client may still sign up.
		_, p := h.browser().signUp(t, "fresh@example.com", throttledPassword, "Someone")
		wantNoUserErrors(t, "signUp from another client", p.UserErrors)
	})

	h.drainJobs(t)
	if got := h.mailTo(t, "popular@example.com"); len(got) != 0 {
		t.Errorf("refused sign-ups sent %d messages", len(got))
	}
}

func passwordResetLimits(t *testing.T, h *harness) {
	t.Run("PerEmailAddress", func(t *testing.T) {
		h.createUser(t, "forgetful@example.com", throttledPassword)
		for range 5 {
			if res := h.browser().requestReset(t, "forgetful@example.com"); len(res.Errors) != 0 {
				t.Fatalf("requestPasswordReset: %s", res.Raw)
			}
		}
		res := h.browser().requestReset(t, "FORGETFUL@example.com")
		wantRateLimited(t, "6th requestPasswordReset for one address", res)
		wantRetryWithinWindow(t, res, time.Hour)
		h.drainJobs(t)
		if got := h.mailTo(t, "forgetful@example.com"); len(got) != 5 {
			t.Errorf("%d reset emails, want 5", len(got))
		}
	})

	t.Run("PerClientAddress", func(t *testing.T) {
		h.createUser(t, "victim@example.com", throttledPassword)
		x := h.browser()
		for i := range 20 {
			if res := x.requestReset(t, fmt.Sprintf("probe%d@example.com", i)); len(res.Errors) != 0 {
				t.Fatalf("requestPasswordReset: %s", res.Raw)
			}
		}
		res := x.requestReset(t, "victim@example.com")
		wantRateLimited(t, "21st requestPasswordReset from one client", res)
		h.drainJobs(t)
		if got := h.mailTo(t, "victim@example.com"); len(got) != 0 {
			t.Errorf("a throttled request sent %d messages", len(got))
		}
	})
}

package auth_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"lectern/internal/testenv"
)

// TestAnswersDoNotRevealAccounts plays someone who wants to learn which
// addresses have accounts: every answer they can get must be the same for a
// registered address and a free one.
func TestAnswersDoNotRevealAccounts(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("SignUpWithTakenAddress", alone(dialect, signUpTakenAddress))
		t.Run("LogInUnknownWrongOrDisabled", alone(dialect, logInUnknownWrongDisabled))
		t.Run("RequestPasswordReset", alone(dialect, requestResetAlike))
	})
}

func signUpTakenAddress(t *testing.T, h *harness) {
	owner := h.createUser(t, "owner@example.com", "the owner's own passphrase")
	before := h.userCount(t)

	taken, tp := h.browser().signUp(t, " Owner@Example.com", "an attacker's passphrase", "Someone")
	free, fp := h.browser().signUp(t, "newcomer@example.com", "an attacker's passphrase", "Someone")
	wantNoUserErrors(t, "signUp taken", tp.UserErrors)
	wantNoUserErrors(t, "signUp free", fp.UserErrors)
	wantSameAnswer(t, "signUp taken vs free", taken, free)
	if tp.User == nil || tp.User.ID == fp.User.ID {
		t.Errorf("taken sign-up user %+v: want a user with an ID of its own", tp.User)
	}
	wantCloseCreatedAt(t, taken, free)
	// Neither ID leads anywhere for a stranger: an unverified account
	// is as invisible as one that does not exist.
	const nodeDoc = `query($id: ID!) { node(id: $id) { id } }`
	byTaken := h.browser().Query(t, nodeDoc, map[string]any{"id": tp.User.ID})
	byFree := h.browser().Query(t, nodeDoc, map[string]any{"id": fp.User.ID})
	wantSameAnswer(t, "node(id) of taken vs free sign-up", byTaken, byFree)
	if node, _ := byFree.Root("node"); string(node) != "null" {
		t.Errorf("node(id) of an unverified account = %s, want null", node)
	}

	if got := h.userCount(t); got != before+1 {
		t.Errorf("%d accounts after two sign-ups, want %d (only the free address registered)", got, before+1)
	}
	stored := h.userRow(t, "owner@example.com")
	if stored.ID != owner.ID || stored.DisplayName != owner.DisplayName || *stored.PasswordHash != *owner.PasswordHash {
		t.Error("signing up with a taken address changed the existing account")
	}

	notice := h.waitMail(t, "owner@example.com", subjectExists)
	if strings.Contains(notice.Text, "token=") {
		t.Errorf("the account-exists notice carries a link token:\n%s", notice.Text)
	}
	h.verificationToken(t, "newcomer@example.com")
	h.drainJobs(t)
	if got := h.mailTo(t, "owner@example.com"); len(got) != 1 {
		t.Errorf("owner received %d messages, want only the account-exists notice", len(got))
	}
}

// wantCloseCreatedAt checks that the invented account of a taken sign-up
// carries a creation time like a real one, rather than a telltale zero.
func wantCloseCreatedAt(t *testing.T, a, b testenv.Reply) {
	t.Helper()
	var pa, pb struct {
		User struct {
			CreatedAt time.Time `json:"createdAt"`
		} `json:"user"`
	}
	a.Field(t, "signUp", &pa)
	b.Field(t, "signUp", &pb)
	if d := pa.User.CreatedAt.Sub(pb.User.CreatedAt).Abs(); pa.User.CreatedAt.IsZero() || d > time.Minute {
		t.Errorf("createdAt %v vs %v: the invented account stands out", pa.User.CreatedAt, pb.User.CreatedAt)
	}
}

func logInUnknownWrongDisabled(t *testing.T, h *harness) {
	h.createUser(t, "known@example.com", "the known passphrase")
	disabled := h.createUser(t, "disabled@example.com", "the disabled passphrase")
	if err := h.db.Ent.User.UpdateOne(disabled).SetDisabledAt(h.clock.Now()).Exec(sys()); err != nil {
		t.Fatal(err)
	}

	unknown, up := h.browser().logIn(t, "nobody@example.com", "the known passphrase")
	wrong, wp := h.browser().logIn(t, "known@example.com", "not the passphrase")
	// The right password of a disabled account must not give it away.
	off, op := h.browser().logIn(t, "disabled@example.com", "the disabled passphrase")

	for what, p := range map[string]logInPayload{"unknown": up, "wrong": wp, "disabled": op} {
		wantUserError(t, "logIn "+what, p.UserErrors, "INVALID_CREDENTIALS")
		if p.Viewer != nil || p.Token != nil || p.MfaRequired || p.MfaChallenge != nil {
			t.Errorf("logIn %s: %+v, want nothing but the error", what, p)
		}
	}
	wantSameAnswer(t, "logIn unknown vs wrong password", unknown, wrong)
	wantSameAnswer(t, "logIn unknown vs disabled", unknown, off)
	for _, res := range []testenv.Reply{unknown, wrong, off} {
		if _, set := res.SessionCookie(); set {
			t.Errorf("a failed logIn set the session cookie")
		}
	}
}

func requestResetAlike(t *testing.T, h *harness) {
	h.createUser(t, "forgot@example.com", "the known passphrase")
	off := h.createUser(t, "gone@example.com", "the known passphrase")
	if err := h.db.Ent.User.UpdateOne(off).SetDisabledAt(h.clock.Now()).Exec(sys()); err != nil {
		t.Fatal(err)
	}

	known := h.browser().requestReset(t, "Forgot@Example.com")
	unknown := h.browser().requestReset(t, "nobody@example.com")
	disabled := h.browser().requestReset(t, "gone@example.com")
	for what, res := range map[string]testenv.Reply{"known": known, "unknown": unknown, "disabled": disabled} {
		var p struct {
			UserErrors []userError `json:"userErrors"`
		}
		res.Field(t, "requestPasswordReset", &p)
		wantNoUserErrors(t, "requestPasswordReset "+what, p.UserErrors)
	}
	wantSameAnswer(t, "requestPasswordReset known vs unknown", known, unknown)
	wantSameAnswer(t, "requestPasswordReset known vs disabled", known, disabled)

	h.resetToken(t, "forgot@example.com")
	h.drainJobs(t)
	for _, addr := range []string{"nobody@example.com", "gone@example.com"} {
		if got := h.mailTo(t, addr); len(got) != 0 {
			t.Errorf("%d messages sent to %s, which has no account that may sign in", len(got), addr)
		}
	}
}

// comparable returns a response body with what legitimately differs
// between two requests blanked: object IDs, request IDs, creation times,
// and the dev-only list of SQL statements.
func comparable(t testing.TB, raw []byte) string {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	if top, ok := v.(map[string]any); ok {
		if ext, ok := top["extensions"].(map[string]any); ok {
			delete(ext, "debug")
			if len(ext) == 0 {
				delete(top, "extensions")
			}
		}
	}
	blank(v)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func blank(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch k {
			case "id", "requestId", "createdAt", "sessionId":
				if x != nil {
					v[k] = "<blank>"
				}
			default:
				blank(x)
			}
		}
	case []any:
		for _, x := range v {
			blank(x)
		}
	}
}

// wantSameAnswer checks that two responses tell a client the same thing.
func wantSameAnswer(t *testing.T, what string, a, b testenv.Reply) {
	t.Helper()
	if a.Status != b.Status {
		t.Errorf("%s: status %d vs %d", what, a.Status, b.Status)
	}
	if ca, cb := comparable(t, a.Raw), comparable(t, b.Raw); ca != cb {
		t.Errorf("%s: answers differ:\n%s\n%s", what, ca, cb)
	}
	_, setA := a.SessionCookie()
	_, setB := b.SessionCookie()
	if setA != setB {
		t.Errorf("%s: one answer sets the session cookie and the other does not", what)
	}
}

package auth_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

// Listing and ending sessions, and how they expire.

const sessionsDoc = `{ viewer { sessions { id current transport } } }`

type sessionsAnswer struct {
	Viewer struct {
		Sessions []struct {
			ID        string
			Current   bool
			Transport string
		}
	}
}

// currentSessions returns the IDs of the caller's listed sessions and the
// one marked current.
func (b *caller) currentSessions(t *testing.T) (ids []string, current []string) {
	t.Helper()
	var out sessionsAnswer
	b.Query(t, sessionsDoc, nil).Decode(t, &out)
	for _, s := range out.Viewer.Sessions {
		ids = append(ids, s.ID)
		if s.Current {
			current = append(current, s.ID)
		}
	}
	return ids, current
}

func sessionGID(t *testing.T, db *database.DB, plain string) string {
	t.Helper()
	s := testenv.SessionByToken(t, db, plain)
	if s == nil {
		t.Fatal("no session for the token")
	}
	return gid.New("Session", s.ID).String()
}

// revokeSessionCodesDoc leaves the messages out of userErrors, so that a
// whole answer compares as one string.
const revokeSessionCodesDoc = `mutation($id: ID!) { revokeSession(id: $id) { sessionId userErrors { code field } } }`

func TestIdentitySessions(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		h := newDemoHarness(t, dialect)
		learner, admin := testenv.DemoAccount(t, "LEARNER"), testenv.DemoAccount(t, "ADMIN")
		a := h.browser()
		a.logInAs(t, learner, "")
		tokenB := h.script("").logInToken(t, learner)
		c := h.browser()
		c.logInAs(t, learner, "")
		e := h.browser()
		e.logInAs(t, learner, "")
		d := h.browser()
		d.logInAs(t, admin, "")
		idA, idB, idC, idD := sessionGID(t, h.db, a.Cookie), sessionGID(t, h.db, tokenB), sessionGID(t, h.db, c.Cookie), sessionGID(t, h.db, d.Cookie)

		t.Run("ListMarksOnlyTheCallersSessionCurrent", func(t *testing.T) {
			ids, current := a.currentSessions(t)
			if len(ids) != 4 || slices.Contains(ids, idD) || !slices.Equal(current, []string{idA}) {
				t.Fatalf("sessions %v, current %v; want the learner's 4 with only %s current", ids, current, idA)
			}
			_, current = h.script(tokenB).currentSessions(t)
			if !slices.Equal(current, []string{idB}) {
				t.Fatalf("with the TOKEN session current = %v, want only %s", current, idB)
			}
			ids, current = d.currentSessions(t)
			if !slices.Equal(ids, []string{idD}) || !slices.Equal(current, []string{idD}) {
				t.Fatalf("the admin's sessions %v, current %v; want only their own", ids, current)
			}
		})

		t.Run("RevokeOthersAccountsSessionIsNotFound", func(t *testing.T) {
			notFound := `{"revokeSession":{"sessionId":null,"userErrors":[{"code":"NOT_FOUND","field":["id"]}]}}`
			for _, id := range []string{idD, gid.New("Session", uuid.New()).String(), gid.New("Course", uuid.New()).String()} {
				r := a.Query(t, revokeSessionCodesDoc, map[string]any{"id": id})
				if len(r.Errors) != 0 || string(r.Data) != notFound {
					t.Errorf("revokeSession(%s): data %s, errors %+v; want %s", id, r.Data, r.Errors, notFound)
				}
			}
			if got := d.viewerEmail(t); got != admin.Email {
				t.Error("the admin's session ended after another account tried to revoke it")
			}
		})

		t.Run("RevokeOwnSession", func(t *testing.T) {
			r := a.Query(t, revokeSessionCodesDoc, map[string]any{"id": idC})
			want := `{"revokeSession":{"sessionId":"` + idC + `","userErrors":[]}}`
			if len(r.Errors) != 0 || string(r.Data) != want {
				t.Fatalf("revokeSession(own other session): %s, want %s", r.Data, want)
			}
			if got := c.viewerEmail(t); got != "" {
				t.Errorf("the revoked session still signs in as %s", got)
			}
			if got := a.viewerEmail(t); got != learner.Email {
				t.Error("revoking another session ended the current one")
			}
		})

		t.Run("OthersSessionsInvisibleThroughNode", func(t *testing.T) {
			const doc = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Session { clientAddr userAgent } } }`
			r := a.Query(t, doc, map[string]any{"ids": []string{idA, idD}})
			var out struct{ Nodes []*struct{ ID string } }
			r.Decode(t, &out)
			if len(out.Nodes) != 2 || out.Nodes[0] == nil || out.Nodes[0].ID != idA || out.Nodes[1] != nil {
				t.Fatalf("nodes([own session, admin's session]) = %s, want only the own session", r.Data)
			}
			r = h.browser().Query(t, doc, map[string]any{"ids": []string{idA}})
			if r.Status != http.StatusOK || string(r.Data) != `{"nodes":[null]}` {
				t.Fatalf("anonymous nodes([a session]) = %s (errors %+v), want [null]", r.Data, r.Errors)
			}
		})

		t.Run("RevokeOtherSessions", func(t *testing.T) {
			const doc = `mutation { revokeOtherSessions { revokedCount userErrors { code } } }`
			var out struct {
				RevokeOtherSessions struct {
					RevokedCount int
					UserErrors   []userError
				}
			}
			a.Query(t, doc, nil).Decode(t, &out)
			if out.RevokeOtherSessions.RevokedCount != 2 || len(out.RevokeOtherSessions.UserErrors) != 0 {
				t.Fatalf("revokeOtherSessions = %+v, want 2 ended (the TOKEN session and the third browser)", out)
			}
			requireRefused(t, h.script(tokenB).Query(t, `{ viewer { user { email } } }`, nil), http.StatusUnauthorized, "UNAUTHENTICATED")
			if got := e.viewerEmail(t); got != "" {
				t.Errorf("a revoked browser session still signs in as %s", got)
			}
			if got := a.viewerEmail(t); got != learner.Email {
				t.Error("revokeOtherSessions ended the current session")
			}
			if got := d.viewerEmail(t); got != admin.Email {
				t.Error("revokeOtherSessions ended another account's session")
			}
			if n := len(testenv.SessionsOf(t, h.db, learner.Email)); n != 1 {
				t.Errorf("the learner has %d sessions left, want 1", n)
			}
			a.Query(t, doc, nil).Decode(t, &out)
			if out.RevokeOtherSessions.RevokedCount != 0 {
				t.Errorf("a second revokeOtherSessions ended %d, want 0", out.RevokeOtherSessions.RevokedCount)
			}
		})

		t.Run("RevokeCurrentSession", func(t *testing.T) {
			r := a.Query(t, revokeSessionCodesDoc, map[string]any{"id": idA})
			want := `{"revokeSession":{"sessionId":"` + idA + `","userErrors":[]}}`
			if len(r.Errors) != 0 || string(r.Data) != want {
				t.Fatalf("revokeSession(current) = %s, want %s", r.Data, want)
			}
			requireCleared(t, r)
			if n := len(testenv.SessionsOf(t, h.db, learner.Email)); n != 0 {
				t.Errorf("the learner has %d sessions after revoking the last, want 0", n)
			}
		})
	})
}

func TestIdentitySessionTimeouts(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		learner := testenv.DemoAccount(t, "LEARNER")

		t.Run("IdleTimeout", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			clock := h.clock
			b := h.browser()
			b.logInAs(t, learner, "")
			start := clock.Now()
			var out struct {
				Viewer struct {
					Sessions []struct {
						Current       bool
						IdleExpiresAt time.Time
						ExpiresAt     time.Time
					}
				}
			}
			b.Query(t, `{ viewer { sessions { current idleExpiresAt expiresAt } } }`, nil).Decode(t, &out)
			if s := out.Viewer.Sessions; len(s) != 1 || !s[0].IdleExpiresAt.Equal(start.Add(30*time.Minute)) || !s[0].ExpiresAt.Equal(start.Add(12*time.Hour)) {
				t.Fatalf("sessions = %+v, want idle expiry %v and expiry %v", s, start.Add(30*time.Minute), start.Add(12*time.Hour))
			}
			clock.Advance(29 * time.Minute)
			if got := b.viewerEmail(t); got != learner.Email {
				t.Fatal("the cookie was refused after 29 minutes idle")
			}
			sess := testenv.SessionByToken(t, h.db, b.Cookie)
			clock.Advance(31 * time.Minute)
			r := b.Query(t, `{ viewer { user { email } } }`, nil)
			if r.Status != http.StatusOK || string(r.Data) != `{"viewer":null}` {
				t.Fatalf("after 31 minutes idle: status %d, data %s; want an anonymous answer", r.Status, r.Data)
			}
			requireCleared(t, r)
			if sessionExists(t, h.db, sess.ID) {
				t.Error("the idle session's row survived")
			}
		})

		t.Run("AbsoluteTimeout", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			clock := h.clock
			b := h.browser()
			b.logInAs(t, learner, "")
			cookie := b.Cookie
			sess := testenv.SessionByToken(t, h.db, cookie)
			for i := 1; i <= 35; i++ {
				clock.Advance(20 * time.Minute)
				if got := b.viewerEmail(t); got != learner.Email {
					t.Fatalf("refused %v after sign-in despite activity every 20 minutes", time.Duration(i)*20*time.Minute)
				}
			}
			clock.Advance(19 * time.Minute)
			var out struct {
				Viewer struct {
					Sessions []struct{ IdleExpiresAt, ExpiresAt time.Time }
				}
			}
			b.Query(t, `{ viewer { sessions { idleExpiresAt expiresAt } } }`, nil).Decode(t, &out)
			if s := out.Viewer.Sessions; len(s) != 1 || !s[0].IdleExpiresAt.Equal(s[0].ExpiresAt) {
				t.Errorf("11h59m after sign-in sessions = %+v, want the idle expiry capped at the absolute one", s)
			}
			clock.Advance(time.Minute)
			if got := b.viewerEmail(t); got != "" {
				t.Fatalf("12 hours after sign-in the cookie still signs in as %s", got)
			}
			if b.Cookie != "" {
				t.Error("the expired cookie was not cleared")
			}
			if sessionExists(t, h.db, sess.ID) {
				t.Error("the expired session's row survived")
			}
		})

		t.Run("SessionsMostRecentlyUsedFirst", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			clock := h.clock
			admin := testenv.DemoAccount(t, "ADMIN")
			first := h.browser()
			first.logInAs(t, admin, "")
			clock.Advance(2 * time.Minute)
			second := h.browser()
			second.logInAs(t, admin, "")
			clock.Advance(2 * time.Minute)
			ids, _ := first.currentSessions(t)
			want := []string{sessionGID(t, h.db, first.Cookie), sessionGID(t, h.db, second.Cookie)}
			if !slices.Equal(ids, want) {
				t.Fatalf("sessions = %v, want %v (the one just used first)", ids, want)
			}
		})

		t.Run("TokenSessionIdleTimeout", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			clock := h.clock
			token := h.script("").logInToken(t, learner)
			clock.Advance(31 * time.Minute)
			r := h.script(token).Query(t, `{ viewer { user { email } } }`, nil)
			requireRefused(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
		})
	})
}

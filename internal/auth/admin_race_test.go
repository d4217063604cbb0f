package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/user"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

// lastAdministrator checks what keeps administration reachable. One at a
// time, the last active administrator can only be the caller, whom the
// self rule already protects; the guard itself decides when two
// administrators remove each other at the same moment.
func lastAdministrator(t *testing.T, dialect string) {
	t.Run("OneAtATime", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, dialect)
		a := h.armAdmin(t, "first-admin@example.com")
		other := h.armAdmin(t, "second-admin@example.com")
		third := h.armAdmin(t, "third-admin@example.com")
		admin := h.signInMFA(t, a)

		_, p := admin.setUserRole(t, userGID(other.id), "LEARNER")
		wantNoUserErrors(t, "demote another administrator", p.UserErrors)
		_, p = admin.disableUser(t, userGID(third.id))
		wantNoUserErrors(t, "disable another administrator", p.UserErrors)
		if n := h.activeAdmins(t); n != 1 {
			t.Fatalf("%d active administrators, want 1", n)
		}

		_, p = admin.setUserRole(t, userGID(a.id), "INSTRUCTOR")
		wantUserError(t, "the last administrator demotes themselves", p.UserErrors, "INVALID", "input", "userId")
		_, p = admin.disableUser(t, userGID(a.id))
		wantUserError(t, "the last administrator disables themselves", p.UserErrors, "INVALID", "id")
		if row := h.userByID(t, a.id); row.Role != user.RoleADMIN || row.DisabledAt != nil {
			t.Errorf("the last administrator is %s, disabled at %v", row.Role, row.DisabledAt)
		}
		if res, _ := admin.auditEvents(t, 1, nil, nil); len(res.Errors) != 0 {
			t.Errorf("the last administrator can no longer administer: %s", res.Raw)
		}
	})

	for name, doc := range map[string]func(id uuid.UUID) (string, map[string]any){
		"DemoteEachOther": func(id uuid.UUID) (string, map[string]any) {
			return setUserRoleDoc, map[string]any{"input": map[string]any{"userId": userGID(id), "role": "LEARNER"}}
		},
		"DisableEachOther": func(id uuid.UUID) (string, map[string]any) {
			return disableUserDoc, map[string]any{"id": userGID(id)}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, dialect)
			a, b := h.armAdmin(t, "admin-a@example.com"), h.armAdmin(t, "admin-b@example.com")
			ca, cb := h.signInMFA(t, a), h.signInMFA(t, b)
			docA, varsA := doc(b.id)
			docB, varsB := doc(a.id)
			answers := sendTogether(t, h, [2]uuid.UUID{a.id, b.id}, [2]*caller{ca, cb}, [2]string{docA, docB}, [2]map[string]any{varsA, varsB})

			succeeded := 0
			for _, res := range answers {
				var p map[string]adminPayload
				if len(res.Errors) == 0 && json.Unmarshal(res.Data, &p) == nil {
					for _, payload := range p {
						if len(payload.UserErrors) == 0 {
							succeeded++
						}
					}
				}
			}
			if n := h.activeAdmins(t); n < 1 || succeeded > 1 {
				t.Errorf("%d of 2 requests succeeded, %d active administrators left; want at most 1 and at least 1:\n%s\n%s",
					succeeded, n, answers[0].Raw, answers[1].Raw)
			}
		})
	}
}

// sendTogether sends two callers' documents at the same time. On
// PostgreSQL it holds the rows of accounts until both requests wait on
// them, so each has done its reads before either writes: the interleaving
// that a check-then-write must survive, made certain rather than left to
// chance. SQLite runs one writing transaction at a time, so there the
// requests simply race.
func sendTogether(t *testing.T, h *harness, accounts [2]uuid.UUID, callers [2]*caller, docs [2]string, vars [2]map[string]any) [2]testenv.Reply {
	t.Helper()
	var reqs [2]*http.Request
	for i := range reqs {
		reqs[i] = callers[i].Request(t, docs[i], vars[i])
	}
	release := func() {}
	if h.db.Dialect == database.Postgres {
		release = holdRows(t, h.db, accounts[:])
	}
	var wg sync.WaitGroup
	// Also on a failed wait: the requests must end before the database does.
	defer func() { release(); wg.Wait() }()
	var recs [2]*httptest.ResponseRecorder
	for i := range reqs {
		recs[i] = httptest.NewRecorder()
		wg.Go(func() { h.app.Handler.ServeHTTP(recs[i], reqs[i]) })
	}
	if h.db.Dialect == database.Postgres {
		waitForLockWaiters(t, h.db, 2)
	}
	release()
	wg.Wait()
	var out [2]testenv.Reply
	for i, rec := range recs {
		out[i] = testenv.Recorded(t, rec)
	}
	return out
}

// holdRows locks the users rows of ids in a transaction of its own and
// returns the function that lets them go.
func holdRows(t *testing.T, db *database.DB, ids []uuid.UUID) func() {
	t.Helper()
	tx, err := db.SQL.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(`SELECT id FROM users WHERE id = $1 OR id = $2 FOR UPDATE`, ids[0], ids[1])
	if err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	_ = rows.Close()
	var once sync.Once
	release := func() { once.Do(func() { _ = tx.Rollback() }) }
	t.Cleanup(release)
	return release
}

// waitForLockWaiters waits until n statements of the test database wait
// for a lock. The bound only turns a hang into a failure.
func waitForLockWaiters(t *testing.T, db *database.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for {
		var waiting int
		err := db.SQL.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d statements wait for the held rows, want %d", waiting, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

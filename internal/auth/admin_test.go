package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/apitoken"
	"lectern/ent/auditevent"
	"lectern/ent/mfachallenge"
	"lectern/ent/session"
	"lectern/ent/user"
	"lectern/internal/database"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

// The documents of graph/admin.graphqls, as an administration console
// would send them.
const (
	adminUserFields = `id role disabled`

	setUserRoleDoc = `mutation($input: SetUserRoleInput!) { setUserRole(input: $input) { user { ` + adminUserFields + ` } ` + userErrorFields + ` } }`
	disableUserDoc = `mutation($id: ID!) { disableUser(id: $id) { user { ` + adminUserFields + ` } ` + userErrorFields + ` } }`
	auditEventsDoc = `query($first: Int, $after: Cursor, $where: AuditEventWhereInput) {
		auditEvents(first: $first, after: $after, where: $where) {
			totalCount
			pageInfo { hasNextPage endCursor }
			edges { cursor node { id action targetType targetID requestID createdAt actor { id } details { key value } } }
		}
	}`
	userNodeDoc  = `query($id: ID!) { node(id: $id) { id ... on User { ` + adminUserFields + ` } } }`
	auditNodeDoc = `query($id: ID!) { node(id: $id) { id ... on AuditEvent { action } } }`
	ownUserDoc   = `query { viewer { user { ` + adminUserFields + ` } } }`
)

type adminUser struct {
	ID       string  `json:"id"`
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
}

type adminPayload struct {
	User       *adminUser  `json:"user"`
	UserErrors []userError `json:"userErrors"`
}

type auditDetail struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type auditNode struct {
	ID         string `json:"id"`
	Action     string `json:"action"`
	TargetType string `json:"targetType"`
	TargetID   string `json:"targetID"`
	RequestID  string `json:"requestID"`
	CreatedAt  string `json:"createdAt"`
	Actor      *struct {
		ID string `json:"id"`
	} `json:"actor"`
	Details []auditDetail `json:"details"`
}

type auditPage struct {
	TotalCount int `json:"totalCount"`
	PageInfo   struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	} `json:"pageInfo"`
	Edges []struct {
		Cursor string    `json:"cursor"`
		Node   auditNode `json:"node"`
	} `json:"edges"`
}

func userGID(id uuid.UUID) string  { return gid.New("User", id).String() }
func auditGID(id uuid.UUID) string { return gid.New("AuditEvent", id).String() }

// armAdmin stores an administrator with two-factor sign-in on, the only
// kind of account that may administer.
func (h *harness) armAdmin(t *testing.T, email string) mfaAccount {
	t.Helper()
	a := h.armMFA(t, email)
	h.setRole(t, a.id, user.RoleADMIN)
	return a
}

func (h *harness) setRole(t *testing.T, id uuid.UUID, role user.Role) {
	t.Helper()
	if err := h.db.Ent.User.UpdateOneID(id).SetRole(role).Exec(sys()); err != nil {
		t.Fatal(err)
	}
}

// adminEventsAbout counts the administration records naming account id.
func (h *harness) adminEventsAbout(t *testing.T, id uuid.UUID) int {
	t.Helper()
	return h.db.Ent.AuditEvent.Query().Where(auditevent.TargetID(id.String()),
		auditevent.ActionIn("user.role_change", "user.disable")).CountX(sys())
}

// wantUntouched checks that no administration reached account id: same
// role, not disabled, nothing recorded about it.
func (h *harness) wantUntouched(t *testing.T, id uuid.UUID, role user.Role) {
	t.Helper()
	row := h.userByID(t, id)
	if row.Role != role || row.DisabledAt != nil {
		t.Errorf("account %s is %s, disabled at %v; want %s and enabled", id, row.Role, row.DisabledAt, role)
	}
	if n := h.adminEventsAbout(t, id); n != 0 {
		t.Errorf("%d administration records about %s, want none", n, id)
	}
}

func (h *harness) activeAdmins(t *testing.T) int {
	t.Helper()
	return h.db.Ent.User.Query().Where(user.RoleEQ(user.RoleADMIN), user.DisabledAtIsNil()).CountX(sys())
}

// actingAs returns the account an API token acts as, or nil. It asks
// only for what a token may read.
func (c *caller) actingAs(t *testing.T) *adminUser {
	t.Helper()
	var v *struct {
		User adminUser `json:"user"`
	}
	c.do(t, ownUserDoc, nil).field(t, "viewer", &v)
	if v == nil {
		return nil
	}
	return &v.User
}

func (c *caller) setUserRole(t *testing.T, id, role string) (*result, adminPayload) {
	t.Helper()
	res := c.do(t, setUserRoleDoc, map[string]any{"input": map[string]any{"userId": id, "role": role}})
	var p adminPayload
	if len(res.Errors) == 0 {
		res.field(t, "setUserRole", &p)
	}
	return res, p
}

func (c *caller) disableUser(t *testing.T, id string) (*result, adminPayload) {
	t.Helper()
	res := c.do(t, disableUserDoc, map[string]any{"id": id})
	var p adminPayload
	if len(res.Errors) == 0 {
		res.field(t, "disableUser", &p)
	}
	return res, p
}

// auditEvents fetches one page; where and after may be nil, first 0 asks
// for the default page size.
func (c *caller) auditEvents(t *testing.T, first int, after *string, where map[string]any) (*result, auditPage) {
	t.Helper()
	vars := map[string]any{}
	if first > 0 {
		vars["first"] = first
	}
	if after != nil {
		vars["after"] = *after
	}
	if where != nil {
		vars["where"] = where
	}
	res := c.do(t, auditEventsDoc, vars)
	var p auditPage
	if len(res.Errors) == 0 {
		res.field(t, "auditEvents", &p)
	}
	return res, p
}

// walkAudit pages through every event matching where, checking that no
// event comes twice and that each page agrees on the total.
func (c *caller) walkAudit(t *testing.T, pageSize int, where map[string]any) []auditNode {
	t.Helper()
	var all []auditNode
	seen := map[string]bool{}
	var after *string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("auditEvents pagination does not end")
		}
		_, p := c.auditEvents(t, pageSize, after, where)
		if len(p.Edges) > pageSize {
			t.Fatalf("page of %d events, asked for %d", len(p.Edges), pageSize)
		}
		for _, e := range p.Edges {
			if seen[e.Node.ID] {
				t.Fatalf("event %s (%s) came twice", e.Node.ID, e.Node.Action)
			}
			seen[e.Node.ID] = true
			all = append(all, e.Node)
		}
		if !p.PageInfo.HasNextPage {
			if p.TotalCount != len(all) {
				t.Errorf("walked %d events, totalCount %d", len(all), p.TotalCount)
			}
			return all
		}
		if p.PageInfo.EndCursor == nil || len(p.Edges) == 0 {
			t.Fatalf("hasNextPage without a cursor: %+v", p.PageInfo)
		}
		after = p.PageInfo.EndCursor
	}
}

// storedEvents returns the IDs clients see of every stored event that
// keep accepts.
func (h *harness) storedEvents(t *testing.T, keep func(*ent.AuditEvent) bool) []string {
	t.Helper()
	var ids []string
	for _, row := range h.db.Ent.AuditEvent.Query().AllX(sys()) {
		if keep(row) {
			ids = append(ids, auditGID(row.ID))
		}
	}
	slices.Sort(ids)
	return ids
}

func nodeIDs(nodes []auditNode) []string {
	ids := make([]string, 0, len(nodes))
	for _, n := range nodes {
		ids = append(ids, n.ID)
	}
	slices.Sort(ids)
	return ids
}

func createdAt(t *testing.T, n auditNode) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, n.CreatedAt)
	if err != nil {
		t.Fatalf("createdAt %q: %v", n.CreatedAt, err)
	}
	return at
}

// wantNewestFirst checks that events never get newer down the list.
func wantNewestFirst(t *testing.T, nodes []auditNode) {
	t.Helper()
	for i := 1; i < len(nodes); i++ {
		if createdAt(t, nodes[i]).After(createdAt(t, nodes[i-1])) {
			t.Fatalf("event %d (%s at %s) is newer than event %d (%s at %s)",
				i, nodes[i].Action, nodes[i].CreatedAt, i-1, nodes[i-1].Action, nodes[i-1].CreatedAt)
		}
	}
}

// wantRefused checks a request-level error with code that left the
// operation's field empty.
func wantRefused(t *testing.T, what string, res *result, field, code string) {
	t.Helper()
	if e := res.onlyError(t); e.code() != code {
		t.Errorf("%s: code %q, want %s: %s", what, e.code(), code, res.Raw)
	}
	if raw, ok := res.Data[field]; ok && string(raw) != "null" {
		t.Errorf("%s: data.%s = %s, want nothing", what, field, raw)
	}
}

// refusedEverywhere checks that c may run none of the administration
// operations, all of them refused with code, on target, and that target is
// as it was.
func refusedEverywhere(t *testing.T, h *harness, c *caller, code string, target uuid.UUID) {
	t.Helper()
	res, _ := c.auditEvents(t, 0, nil, nil)
	wantRefused(t, "auditEvents", res, "auditEvents", code)
	res, _ = c.setUserRole(t, userGID(target), "ADMIN")
	wantRefused(t, "setUserRole", res, "setUserRole", code)
	res, _ = c.disableUser(t, userGID(target))
	wantRefused(t, "disableUser", res, "disableUser", code)
	h.wantUntouched(t, target, user.RoleLEARNER)
}

func TestAdministration(t *testing.T) {
	t.Parallel()
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		t.Run("OnlyFromAnMFASession", func(t *testing.T) { onlyFromAnMFASession(t, h) })
		t.Run("RefusesEveryoneElse", func(t *testing.T) { refusesEveryoneElse(t, h) })
		t.Run("SetUserRole", func(t *testing.T) { setUserRoleCases(t, h) })
		t.Run("DisableUser", func(t *testing.T) { disableUserCases(t, h) })
		t.Run("DisabledIsPrivate", func(t *testing.T) { disabledIsPrivate(t, h) })
		t.Run("AuditEvents", func(t *testing.T) { auditEventsCases(t, h) })
		// The guard counts administrators across the whole database, so it
		// gets a database whose only administrators are its own.
		t.Run("LastAdministrator", func(t *testing.T) { lastAdministrator(t, db.Dialect) })
	})
}

// An administrator whose session did not pass a second factor is refused
// until they sign in with one: a stolen password alone must not reach
// other people's accounts.
func onlyFromAnMFASession(t *testing.T, h *harness) {
	a := h.createUser(t, "plain-admin@example.com", mfaPassword)
	h.setRole(t, a.ID, user.RoleADMIN)
	target := h.createUser(t, "plain-target@example.com", "the target's passphrase")

	plain := h.browser()
	if p := plain.mustLogIn(t, "plain-admin@example.com", mfaPassword); p.Viewer.SessionMfa {
		t.Fatal("a password sign-in passed MFA")
	}
	refusedEverywhere(t, h, plain, "FORBIDDEN", target.ID)

	// The same administrator turns on two-factor sign-in and signs in with it.
	start := plain.startTotp(t)
	_, codes := plain.confirmTotp(t, h.nextCode(t, *start.Secret))
	wantNoUserErrors(t, "confirmTotpEnrollment", codes.UserErrors)
	mfa := h.signInMFA(t, mfaAccount{id: a.ID, email: "plain-admin@example.com", secret: *start.Secret})
	if v := mfa.viewer(t); v == nil || !v.SessionMfa || v.User.ID != userGID(a.ID) {
		t.Fatalf("viewer after verifyMfa = %+v, want the administrator with sessionMfa", v)
	}

	res, page := mfa.auditEvents(t, 0, nil, nil)
	if len(res.Errors) != 0 || page.TotalCount == 0 || len(page.Edges) == 0 {
		t.Errorf("auditEvents from an MFA session: %s", res.Raw)
	}
	_, p := mfa.setUserRole(t, userGID(target.ID), "INSTRUCTOR")
	wantNoUserErrors(t, "setUserRole", p.UserErrors)
	_, p = mfa.disableUser(t, userGID(target.ID))
	wantNoUserErrors(t, "disableUser", p.UserErrors)
	if row := h.userByID(t, target.ID); row.Role != user.RoleINSTRUCTOR || row.DisabledAt == nil {
		t.Errorf("target is %s, disabled at %v; want INSTRUCTOR and disabled", row.Role, row.DisabledAt)
	}
}

func refusesEveryoneElse(t *testing.T, h *harness) {
	target := h.createUser(t, "untouched@example.com", "the untouched passphrase")

	t.Run("LearnerWithMFA", func(t *testing.T) {
		// Two-factor sign-in is required of administrators, not a way to become one.
		l := h.signInMFA(t, h.armMFA(t, "mfa-learner@example.com"))
		refusedEverywhere(t, h, l, "FORBIDDEN", target.ID)
	})
	t.Run("Anonymous", func(t *testing.T) {
		refusedEverywhere(t, h, h.browser(), "UNAUTHENTICATED", target.ID)
	})
	t.Run("AdminAPIToken", func(t *testing.T) {
		a := h.armAdmin(t, "token-admin@example.com")
		b := h.signInMFA(t, a)
		var tp tokenPayload
		b.do(t, createTokenDoc, map[string]any{"input": map[string]any{"name": "admin script", "scopes": []string{"READ", "WRITE"}}}).
			field(t, "createApiToken", &tp)
		wantNoUserErrors(t, "createApiToken", tp.UserErrors)
		if tp.Token == nil {
			t.Fatal("createApiToken returned no token")
		}
		api := h.browser().withBearer(*tp.Token)
		if v := api.actingAs(t); v == nil || v.ID != userGID(a.id) || v.Role == nil || *v.Role != "ADMIN" {
			t.Fatalf("the token does not act as the administrator: %+v", v)
		}
		refusedEverywhere(t, h, api, "FORBIDDEN", target.ID)
	})
}

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
		res := api.do(t, ownUserDoc, nil)
		if res.Status != http.StatusUnauthorized || res.onlyError(t).code() != "UNAUTHENTICATED" {
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
		if vp.Viewer != nil || c.cookie != "" {
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
		c.do(t, userNodeDoc, map[string]any{"id": userGID(id)}).field(t, "node", &u)
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
	ownerBrowser.do(t, ownUserDoc, nil).field(t, "viewer", &own)
	if own.User.Disabled == nil || *own.User.Disabled {
		t.Errorf("owner reads their own disabled %v, want false", own.User.Disabled)
	}
}

func auditEventsCases(t *testing.T, h *harness) {
	const pw = "a passphrase leaving a trail"
	admin := h.signInMFA(t, h.armAdmin(t, "auditor@example.com"))
	learner := h.createUser(t, "trail@example.com", pw)

	// Four events in a known order, the newest in the database.
	b := h.browser()
	success, _ := b.logIn(t, "trail@example.com", pw)
	wrong, _ := h.browser().logIn(t, "trail@example.com", "not the passphrase")
	unknown, _ := h.browser().logIn(t, "nobody-here@example.com", pw)
	logout := b.do(t, `mutation { logOut { sessionId } }`, nil)
	if len(logout.Errors) != 0 {
		t.Fatalf("logOut: %s", logout.Raw)
	}
	byRequest := func(t *testing.T, nodes []auditNode, res *result) *auditNode {
		t.Helper()
		for i := range nodes {
			if nodes[i].RequestID == res.requestID() {
				return &nodes[i]
			}
		}
		t.Fatalf("no event of request %s among %d", res.requestID(), len(nodes))
		return nil
	}
	all := admin.walkAudit(t, 100, nil)

	t.Run("NewestFirst", func(t *testing.T) {
		res, page := admin.auditEvents(t, 0, nil, nil)
		if len(res.Errors) != 0 {
			t.Fatalf("auditEvents: %s", res.Raw)
		}
		want := min(20, page.TotalCount)
		if len(page.Edges) != want {
			t.Errorf("default page has %d events, want %d", len(page.Edges), want)
		}
		var nodes []auditNode
		for _, e := range page.Edges {
			nodes = append(nodes, e.Node)
		}
		wantNewestFirst(t, nodes)
		if len(nodes) < 4 {
			t.Fatalf("%d events on the first page, want at least the 4 just made", len(nodes))
		}
		var got []string
		for _, n := range nodes[:4] {
			got = append(got, n.RequestID+" "+n.Action)
		}
		wantOrder := []string{logout.requestID() + " logout", unknown.requestID() + " login.failure",
			wrong.requestID() + " login.failure", success.requestID() + " login.success"}
		if !slices.Equal(got, wantOrder) {
			t.Errorf("newest events %q, want %q", got, wantOrder)
		}
	})

	t.Run("WalksEveryPage", func(t *testing.T) {
		walked := admin.walkAudit(t, 3, nil)
		wantNewestFirst(t, walked)
		stored := h.storedEvents(t, func(*ent.AuditEvent) bool { return true })
		if got := nodeIDs(walked); !slices.Equal(got, stored) {
			t.Errorf("pages of 3 gave %d events, %d stored", len(got), len(stored))
		}
		if !slices.Equal(nodeIDs(walked), nodeIDs(all)) {
			t.Error("pages of 3 and of 100 list different events")
		}
	})

	t.Run("Filters", func(t *testing.T) {
		after := byRequest(t, all, success)
		before := byRequest(t, all, unknown)
		from, until := createdAt(t, *after), createdAt(t, *before)
		inWindow := func(e *ent.AuditEvent) bool { return !e.CreatedAt.Before(from) && e.CreatedAt.Before(until) }
		for name, c := range map[string]struct {
			where map[string]any
			keep  func(*ent.AuditEvent) bool
			has   []*result
			lacks []*result
		}{
			"Action": {
				map[string]any{"action": "login.failure"},
				func(e *ent.AuditEvent) bool { return e.Action == "login.failure" },
				[]*result{wrong, unknown}, []*result{success, logout},
			},
			"Actor": {
				map[string]any{"actorId": userGID(learner.ID)},
				func(e *ent.AuditEvent) bool { return e.ActorID != nil && *e.ActorID == learner.ID },
				[]*result{success, logout}, []*result{wrong, unknown},
			},
			"Target": {
				map[string]any{"targetId": learner.ID.String()},
				func(e *ent.AuditEvent) bool { return e.TargetID == learner.ID.String() },
				[]*result{wrong}, []*result{success, unknown, logout},
			},
			"CreatedWindow": {
				map[string]any{"createdAfter": after.CreatedAt, "createdBefore": before.CreatedAt},
				inWindow,
				[]*result{success, wrong}, []*result{unknown, logout},
			},
			"AllTogether": {
				map[string]any{"action": "login.failure", "targetId": learner.ID.String(), "createdAfter": after.CreatedAt},
				func(e *ent.AuditEvent) bool {
					return e.Action == "login.failure" && e.TargetID == learner.ID.String() && !e.CreatedAt.Before(from)
				},
				[]*result{wrong}, []*result{success, unknown, logout},
			},
		} {
			t.Run(name, func(t *testing.T) {
				got := admin.walkAudit(t, 100, c.where)
				wantNewestFirst(t, got)
				if ids, want := nodeIDs(got), h.storedEvents(t, c.keep); !slices.Equal(ids, want) {
					t.Errorf("%d events match, want the %d stored ones that do", len(ids), len(want))
				}
				requests := map[string]bool{}
				for _, n := range got {
					requests[n.RequestID] = true
				}
				for _, res := range c.has {
					if !requests[res.requestID()] {
						t.Errorf("missing the event of request %s", res.requestID())
					}
				}
				for _, res := range c.lacks {
					if requests[res.requestID()] {
						t.Errorf("includes the event of request %s", res.requestID())
					}
				}
			})
		}
	})

	t.Run("BadFilters", func(t *testing.T) {
		for name, where := range map[string]map[string]any{
			"ActorNotAUser":    {"actorId": gid.New("Course", learner.ID).String()},
			"ActorMalformed":   {"actorId": "not a global ID"},
			"ActionNotDotted":  {"action": "Login Failure"},
			"ActionPunctuated": {"action": "login.failure; --"},
		} {
			t.Run(name, func(t *testing.T) {
				res, _ := admin.auditEvents(t, 0, nil, where)
				wantRefused(t, "auditEvents", res, "auditEvents", "BAD_USER_INPUT")
			})
		}
	})

	t.Run("Details", func(t *testing.T) {
		for _, c := range []struct {
			res  *result
			want []auditDetail
		}{
			{success, []auditDetail{{"method", "password"}, {"transport", "COOKIE"}}},
			{wrong, []auditDetail{{"reason", "wrong_password"}}},
			{unknown, []auditDetail{{"reason", "unknown_account"}}},
			{logout, []auditDetail{}},
		} {
			n := byRequest(t, all, c.res)
			if !slices.Equal(n.Details, c.want) {
				t.Errorf("%s details %+v, want %+v", n.Action, n.Details, c.want)
			}
		}
		// Every event's details are its stored ones, sorted by key.
		stored := map[string]map[string]string{}
		for _, row := range h.db.Ent.AuditEvent.Query().AllX(sys()) {
			stored[auditGID(row.ID)] = row.Details
		}
		for _, n := range all {
			var keys []string
			for _, d := range n.Details {
				keys = append(keys, d.Key)
				if v, ok := stored[n.ID][d.Key]; !ok || v != d.Value {
					t.Errorf("%s: detail %s=%q, stored %q", n.Action, d.Key, d.Value, v)
				}
			}
			if !slices.IsSorted(keys) || len(keys) != len(stored[n.ID]) {
				t.Errorf("%s: details %+v, stored %v", n.Action, n.Details, stored[n.ID])
			}
		}
	})

	t.Run("NodeHiddenFromOthers", func(t *testing.T) {
		id := byRequest(t, all, wrong).ID
		var seen *struct {
			ID     string `json:"id"`
			Action string `json:"action"`
		}
		admin.do(t, auditNodeDoc, map[string]any{"id": id}).field(t, "node", &seen)
		if seen == nil || seen.ID != id || seen.Action != "login.failure" {
			t.Fatalf("admin node(%s) = %+v, want the event", id, seen)
		}
		l := h.browser()
		l.mustLogIn(t, "trail@example.com", pw)
		for name, c := range map[string]*caller{"Learner": l, "Anonymous": h.browser()} {
			var node json.RawMessage
			c.do(t, auditNodeDoc, map[string]any{"id": id}).field(t, "node", &node)
			if string(node) != "null" {
				t.Errorf("%s reads node(%s) = %s, want null", name, id, node)
			}
		}
	})
}

// lastAdministrator checks what keeps administration reachable. One at a
// time, the last active administrator can only be the caller, whom the
// self rule already protects; the guard itself decides when two
// administrators remove each other at the same moment.
func lastAdministrator(t *testing.T, dialect string) {
	t.Run("OneAtATime", func(t *testing.T) {
		h := newHarness(t, testenv.Open(t, dialect))
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
			h := newHarness(t, testenv.Open(t, dialect))
			a, b := h.armAdmin(t, "admin-a@example.com"), h.armAdmin(t, "admin-b@example.com")
			ca, cb := h.signInMFA(t, a), h.signInMFA(t, b)
			docA, varsA := doc(b.id)
			docB, varsB := doc(a.id)
			answers := sendTogether(t, h, [2]uuid.UUID{a.id, b.id}, [2]*caller{ca, cb}, [2]string{docA, docB}, [2]map[string]any{varsA, varsB})

			succeeded := 0
			for _, res := range answers {
				var p map[string]adminPayload
				if len(res.Errors) == 0 && json.Unmarshal(mustRawData(t, res), &p) == nil {
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

func mustRawData(t *testing.T, res *result) []byte {
	t.Helper()
	raw, err := json.Marshal(res.Data)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// sendTogether sends two callers' documents at the same time. On
// PostgreSQL it holds the rows of accounts until both requests wait on
// them, so each has done its reads before either writes: the interleaving
// that a check-then-write must survive, made certain rather than left to
// chance. SQLite runs one writing transaction at a time, so there the
// requests simply race.
func sendTogether(t *testing.T, h *harness, accounts [2]uuid.UUID, callers [2]*caller, docs [2]string, vars [2]map[string]any) [2]*result {
	t.Helper()
	var bodies [2][]byte
	for i := range bodies {
		body, err := json.Marshal(map[string]any{"query": docs[i], "variables": vars[i]})
		if err != nil {
			t.Fatal(err)
		}
		bodies[i] = body
	}
	release := func() {}
	if h.db.Dialect == database.Postgres {
		release = holdRows(t, h.db, accounts[:])
	}
	var wg sync.WaitGroup
	// Also on a failed wait: the requests must end before the database does.
	defer func() { release(); wg.Wait() }()
	var recs [2]*httptest.ResponseRecorder
	for i := range callers {
		wg.Go(func() { recs[i] = callers[i].send(bodies[i]) })
	}
	if h.db.Dialect == database.Postgres {
		waitForLockWaiters(t, h.db, 2)
	}
	release()
	wg.Wait()
	var out [2]*result
	for i, rec := range recs {
		out[i] = &result{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes()}
		var env struct {
			Data   map[string]json.RawMessage `json:"data"`
			Errors []gqlError                 `json:"errors"`
		}
		if err := json.Unmarshal(out[i].Raw, &env); err != nil {
			t.Fatalf("response is not JSON (%d): %s", rec.Code, out[i].Raw)
		}
		out[i].Data, out[i].Errors = env.Data, env.Errors
	}
	return out
}

// send posts body as c would, touching neither c nor a testing.T, so that
// it can run on a goroutine of its own.
func (c *caller) send(body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
	req.RemoteAddr = c.addr + ":40000"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", c.h.origin)
	req.Header.Set("User-Agent", c.ua)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: c.cookie})
	rec := httptest.NewRecorder()
	c.h.app.Handler.ServeHTTP(rec, req)
	return rec
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

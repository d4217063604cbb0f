package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/auditevent"
	"lectern/ent/user"
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
	c.Query(t, ownUserDoc, nil).Field(t, "viewer", &v)
	if v == nil {
		return nil
	}
	return &v.User
}

func (c *caller) setUserRole(t *testing.T, id, role string) (testenv.Reply, adminPayload) {
	t.Helper()
	res := c.Query(t, setUserRoleDoc, map[string]any{"input": map[string]any{"userId": id, "role": role}})
	var p adminPayload
	if len(res.Errors) == 0 {
		res.Field(t, "setUserRole", &p)
	}
	return res, p
}

func (c *caller) disableUser(t *testing.T, id string) (testenv.Reply, adminPayload) {
	t.Helper()
	res := c.Query(t, disableUserDoc, map[string]any{"id": id})
	var p adminPayload
	if len(res.Errors) == 0 {
		res.Field(t, "disableUser", &p)
	}
	return res, p
}

// wantRefused checks a request-level error with code that left the
// operation's field empty.
func wantRefused(t *testing.T, what string, res testenv.Reply, field, code string) {
	t.Helper()
	if e := res.OnlyError(t); e.Extensions.Code != code {
		t.Errorf("%s: code %q, want %s: %s", what, e.Extensions.Code, code, res.Raw)
	}
	if raw, ok := res.Root(field); ok && string(raw) != "null" {
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
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		t.Run("OnlyFromAnMFASession", alone(dialect, onlyFromAnMFASession))
		t.Run("RefusesEveryoneElse", alone(dialect, refusesEveryoneElse))
		t.Run("SetUserRole", alone(dialect, setUserRoleCases))
		t.Run("DisableUser", alone(dialect, disableUserCases))
		t.Run("DisabledIsPrivate", alone(dialect, disabledIsPrivate))
		t.Run("DisabledAccountSessionEnds", alone(dialect, disabledAccountSessionEnds))
		t.Run("AuditEvents", alone(dialect, auditEventsCases))
		// The guard counts administrators across the whole database: each
		// of its cases has one whose only administrators are its own.
		t.Run("LastAdministrator", func(t *testing.T) { lastAdministrator(t, dialect) })
	})
}

// A session whose account is disabled by any path (disableUser also
// deletes the sessions, a direct write does not) signs nobody in.
func disabledAccountSessionEnds(t *testing.T, h *harness) {
	target := h.createUser(t, "disabled-live@example.com", mfaPassword)
	signedIn := h.browser()
	signedIn.mustLogIn(t, "disabled-live@example.com", mfaPassword)
	if v := signedIn.viewer(t); v == nil {
		t.Fatal("the session does not work to begin with")
	}
	if _, err := h.db.SQL.ExecContext(context.Background(), h.db.Spell(`UPDATE users SET disabled_at = $1 WHERE id = $2`),
		time.Now().UTC(), target.ID); err != nil {
		t.Fatal(err)
	}
	if v := signedIn.viewer(t); v != nil {
		t.Errorf("the disabled account's session still signs in: %+v", v)
	}
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
		b.Query(t, createTokenDoc, map[string]any{"input": map[string]any{"name": "admin script", "scopes": []string{"READ", "WRITE"}}}).
			Field(t, "createApiToken", &tp)
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

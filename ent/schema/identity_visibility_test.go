package schema_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/session"
	"lectern/ent/user"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// TestIdentityVisibility checks who sees identity rows: a credential only
// its owner from a session (not through an API token, not even an admin),
// unverified accounts only themselves and admins from a session that passed
// MFA, secrets in waiting and the audit trail nobody but the process (and,
// for the audit trail, admins with MFA).
func TestIdentityVisibility(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		sys := viewer.SystemContext(context.Background())
		now := time.Now().UTC()
		owner := db.Ent.User.Create().SetEmail("owner@example.com").SetDisplayName("O").SetEmailVerifiedAt(now).SaveX(sys)
		fresh := db.Ent.User.Create().SetEmail("fresh@example.com").SetDisplayName("F").SaveX(sys)
		hash := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
		db.Ent.Session.Create().SetUserID(owner.ID).SetTokenHash(hash("s")).SetTransport(session.TransportCOOKIE).
			SetExpiresAt(now.Add(time.Hour)).ExecX(sys)
		db.Ent.APIToken.Create().SetUserID(owner.ID).SetName("t").SetScopes([]string{"READ"}).SetTokenHash(hash("t")).
			SetExpiresAt(now.Add(time.Hour)).ExecX(sys)
		db.Ent.EmailToken.Create().SetUserID(owner.ID).SetPurpose("RESET_PASSWORD").SetEmail(owner.Email).
			SetTokenHash(hash("e")).SetExpiresAt(now.Add(time.Hour)).ExecX(sys)
		db.Ent.AuditEvent.Create().SetAction("login.success").ExecX(sys)
		as := func(id uuid.UUID, role viewer.Role) context.Context {
			return viewer.NewContext(context.Background(), viewer.Viewer{UserID: id, Role: role, Credential: viewer.CredentialCookie})
		}
		adminMFA := func(cred viewer.Credential) context.Context {
			return viewer.NewContext(context.Background(), viewer.Viewer{UserID: uuid.New(), Role: viewer.RoleAdmin,
				Credential: cred, MFA: true})
		}
		for name, tc := range map[string]struct {
			ctx                                  context.Context
			credentials, fresh, emailTokens, log int
		}{
			"Anonymous": {ctx: context.Background()},
			"Owner":     {ctx: as(owner.ID, viewer.RoleLearner), credentials: 1},
			"OwnerSessionToken": {ctx: viewer.NewContext(context.Background(), viewer.Viewer{UserID: owner.ID,
				Role: viewer.RoleLearner, Credential: viewer.CredentialSessionToken}), credentials: 1},
			// An API token is refused viewer.sessions and viewer.apiTokens;
			// it finds none by ID either.
			"OwnerAPIToken": {ctx: viewer.NewContext(context.Background(), viewer.Viewer{UserID: owner.ID,
				Role: viewer.RoleLearner, Credential: viewer.CredentialAPIToken, Scopes: []string{viewer.ScopeRead}})},
			"FreshUser": {ctx: as(fresh.ID, viewer.RoleLearner), fresh: 1},
			// Unverified accounts and the audit trail need an admin session
			// that passed MFA, as auditEvents does; an admin's API token
			// never has, whatever it claims.
			"OtherAdmin":      {ctx: as(uuid.New(), viewer.RoleAdmin)},
			"OtherAdminMFA":   {ctx: adminMFA(viewer.CredentialCookie), fresh: 1, log: 1},
			"OtherAdminToken": {ctx: adminMFA(viewer.CredentialAPIToken)},
		} {
			t.Run(name, func(t *testing.T) {
				got := map[string]int{
					"sessions":    db.Ent.Session.Query().CountX(tc.ctx),
					"api tokens":  db.Ent.APIToken.Query().CountX(tc.ctx),
					"fresh user":  countFresh(tc.ctx, db, fresh.ID),
					"email token": db.Ent.EmailToken.Query().CountX(tc.ctx),
					"audit":       db.Ent.AuditEvent.Query().CountX(tc.ctx),
				}
				want := map[string]int{"sessions": tc.credentials, "api tokens": tc.credentials, "fresh user": tc.fresh,
					"email token": tc.emailTokens, "audit": tc.log}
				for k := range want {
					if got[k] != want[k] {
						t.Errorf("%s visible: %d, want %d", k, got[k], want[k])
					}
				}
			})
		}
	})
}

func countFresh(ctx context.Context, db *database.DB, id uuid.UUID) int {
	n, err := db.Ent.User.Query().Where(user.ID(id)).Count(ctx)
	if err != nil {
		panic(err)
	}
	return n
}

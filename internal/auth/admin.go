package auth

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/apitoken"
	"lectern/ent/user"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/cache"
	"lectern/internal/database"
)

// SetUserRole gives account id the global role. Every session of the
// account ends, so the new role (more or less privilege) takes effect with
// a fresh sign-in. Changing one's own role, or demoting the last active
// administrator, is refused (INVALID) so nobody can lock administration
// out. An unknown account is NOT_FOUND as a user error. The operation is
// for administrators; the policy decides who may call it.
func (s *Service) SetUserRole(ctx context.Context, id uuid.UUID, role user.Role) (*ent.User, error) {
	v, err := access.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := user.RoleValidator(role); err != nil {
		return nil, apperr.Problem(apperr.UserInvalid, "role must be LEARNER, INSTRUCTOR or ADMIN", "role")
	}
	if id == v.UserID {
		return nil, apperr.Problem(apperr.UserInvalid, "you cannot change your own role", "userId")
	}
	var out *ent.User
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		u, err := tx.System().User.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.Problem(apperr.UserNotFound, "no such user", "userId")
		}
		if err != nil {
			return err
		}
		if u.Role == role {
			out = u
			return nil
		}
		if u.Role == user.RoleADMIN {
			if err := s.lastAdminGuard(ctx, tx, u.ID, "userId"); err != nil {
				return err
			}
		}
		tx.Touch() // the role is not part of the public profile
		if out, err = tx.User.UpdateOne(u).SetRole(role).Save(ctx); err != nil {
			return err
		}
		if err := s.endSessions(ctx, tx, u.ID, uuid.Nil); err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.UserRoleChange, ActorID: v.UserID, TargetType: "User",
			TargetID: u.ID.String(), Details: map[string]string{"role": string(role)}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lastAdminGuard refuses to remove the last active administrator other
// than the one being changed. The active administrators' rows are locked
// first (SQLite's write transactions are serial already), so two
// administrators demoting or disabling each other at the same moment
// cannot both pass the check.
func (s *Service) lastAdminGuard(ctx context.Context, tx *database.Tx, changing uuid.UUID, field ...string) error {
	if s.db.Dialect == database.Postgres {
		rows, err := tx.SQL.QueryContext(ctx,
			`SELECT id FROM users WHERE role = 'ADMIN' AND disabled_at IS NULL ORDER BY id FOR UPDATE`)
		if err != nil {
			return err
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	others, err := tx.System().User.Query().Where(user.RoleEQ(user.RoleADMIN), user.DisabledAtIsNil(), user.IDNEQ(changing)).Exist(ctx)
	if err != nil {
		return err
	}
	if !others {
		return apperr.Problem(apperr.UserInvalid, "this is the last active administrator", field...)
	}
	return nil
}

// DisableUser stops account id from signing in: its sessions, API tokens
// and pending MFA sign-ins end at once. Disabling oneself or the last
// active administrator is refused (INVALID); an unknown account is
// NOT_FOUND as a user error. Disabling a disabled account changes nothing.
func (s *Service) DisableUser(ctx context.Context, id uuid.UUID) (*ent.User, error) {
	v, err := access.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if id == v.UserID {
		return nil, apperr.Problem(apperr.UserInvalid, "you cannot disable your own account", "id")
	}
	var out *ent.User
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		u, err := tx.System().User.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.Problem(apperr.UserNotFound, "no such user", "id")
		}
		if err != nil {
			return err
		}
		if u.DisabledAt != nil {
			out = u
			return nil
		}
		if u.Role == user.RoleADMIN {
			if err := s.lastAdminGuard(ctx, tx, u.ID, "id"); err != nil {
				return err
			}
		}
		tx.Touch(cache.User(u.ID))
		if out, err = tx.User.UpdateOne(u).SetDisabledAt(s.clock()).Save(ctx); err != nil {
			return err
		}
		if err := s.endSessions(ctx, tx, u.ID, uuid.Nil); err != nil {
			return err
		}
		if _, err := tx.APIToken.Delete().Where(apitoken.UserID(u.ID)).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.UserDisable, ActorID: v.UserID, TargetType: "User", TargetID: u.ID.String()})
	})
	if err != nil {
		return nil, fmt.Errorf("disable user: %w", err)
	}
	return out, nil
}

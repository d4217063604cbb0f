package auth

import (
	"context"
	"fmt"

	"lectern/ent"
	"lectern/ent/user"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/cache"
	"lectern/internal/database"
)

// NewUser is an account created by an operator (the `user create`
// command) or the demo dataset, not by sign-up.
type NewUser struct {
	Email, Password, DisplayName string
	Role                         user.Role
}

// CreateUser creates a verified account with role, applying the same
// email and password rules as sign-up. A taken address is CONFLICT: the
// operator is not an anonymous caller, so there is nothing to hide.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (*ent.User, error) {
	email := NormalizeEmail(in.Email)
	var problems []apperr.FieldError
	if fe := checkEmail(email, "email"); fe != nil {
		problems = append(problems, *fe)
	}
	name, fe := checkText(in.DisplayName, 100, "displayName")
	if fe != nil {
		problems = append(problems, *fe)
	}
	problems = append(problems, checkPassword(in.Password, email, "password")...)
	if err := user.RoleValidator(in.Role); err != nil {
		problems = append(problems, apperr.FieldError{Code: apperr.UserInvalid, Field: []string{"role"}, Message: "role must be LEARNER, INSTRUCTOR or ADMIN"})
	}
	if err := invalid(problems); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	var u *ent.User
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		u, err = tx.User.Create().SetEmail(email).SetDisplayName(name).SetRole(in.Role).SetPasswordHash(hash).
			SetEmailVerifiedAt(s.clock()).Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.New(apperr.Conflict, "an account with this email address already exists")
		}
		if err != nil {
			return err
		}
		tx.Touch(cache.User(u.ID)) // verified: public at once
		return s.record(ctx, tx.Client, audit.Event{Action: audit.UserCreate, TargetType: "User", TargetID: u.ID.String(),
			Details: map[string]string{"role": string(in.Role)}})
	})
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

package auth

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/apitoken"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/auth/secret"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// API token lifetimes: tokens always expire, within a year.
const (
	DefaultTokenDays = 90
	MaxTokenDays     = 365
)

// APITokenInput describes a new personal API token.
type APITokenInput struct {
	Name          string
	Scopes        []string
	ExpiresInDays int
}

// CreateAPIToken creates a personal API token for the caller and returns
// it with its secret, which is never available again. Names are unique per
// account (NAME_TAKEN); scopes must be non-empty, from READ and WRITE.
func (s *Service) CreateAPIToken(ctx context.Context, in APITokenInput) (*ent.APIToken, string, error) {
	v, u, err := s.callerUser(ctx)
	if err != nil {
		return nil, "", err
	}
	if u.EmailVerifiedAt == nil {
		return nil, "", access.EmailNotVerified()
	}
	var problems []apperr.FieldError
	name, fe := checkText(in.Name, 100, "name")
	if fe != nil {
		problems = append(problems, *fe)
	}
	scopes, fe := checkScopes(in.Scopes)
	if fe != nil {
		problems = append(problems, *fe)
	}
	if in.ExpiresInDays < 1 || in.ExpiresInDays > MaxTokenDays {
		problems = append(problems, apperr.FieldError{Code: apperr.UserInvalid, Field: []string{"expiresInDays"},
			Message: fmt.Sprintf("choose between 1 and %d days", MaxTokenDays)})
	}
	if err := invalid(problems); err != nil {
		return nil, "", err
	}
	tok, err := secret.New(secret.PersonalTokenPrefix)
	if err != nil {
		return nil, "", err
	}
	var created *ent.APIToken
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		n, err := tx.System().APIToken.Query().Where(apitoken.UserID(v.UserID)).Count(ctx)
		if err != nil {
			return err
		}
		if n >= maxAPITokens {
			return apperr.Problem(apperr.UserInvalid, fmt.Sprintf("an account can hold at most %d tokens; revoke one first", maxAPITokens))
		}
		taken, err := tx.System().APIToken.Query().Where(apitoken.UserID(v.UserID), apitoken.Name(name)).Exist(ctx)
		if err != nil {
			return err
		}
		if taken {
			return apperr.Problem(apperr.UserNameTaken, "you already have a token with this name", "name")
		}
		now := s.clock()
		created, err = tx.APIToken.Create().SetUserID(v.UserID).SetName(name).SetScopes(scopes).SetTokenHash(tok.Hash).
			SetCreatedAt(now).SetExpiresAt(now.Add(time.Duration(in.ExpiresInDays) * 24 * time.Hour)).Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.Problem(apperr.UserNameTaken, "you already have a token with this name", "name")
		}
		if err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.TokenCreate, ActorID: v.UserID, TargetType: "ApiToken",
			TargetID: created.ID.String(), Details: map[string]string{"name": name, "scopes": fmt.Sprint(scopes)}})
	})
	if err != nil {
		return nil, "", err
	}
	return created, tok.Plain, nil
}

// checkScopes returns the scopes deduplicated in canonical order.
func checkScopes(in []string) ([]string, *apperr.FieldError) {
	var out []string
	for _, s := range []string{viewer.ScopeRead, viewer.ScopeWrite} {
		if slices.Contains(in, s) {
			out = append(out, s)
		}
	}
	for _, s := range in {
		if s != viewer.ScopeRead && s != viewer.ScopeWrite {
			return nil, &apperr.FieldError{Code: apperr.UserInvalid, Field: []string{"scopes"}, Message: "unknown scope"}
		}
	}
	if len(out) == 0 {
		return nil, &apperr.FieldError{Code: apperr.UserRequired, Field: []string{"scopes"}, Message: "choose at least one scope"}
	}
	return out, nil
}

// APITokens returns the tokens of account userID, newest first (expired
// ones included, so they can be seen and removed). Only the account's own
// viewer may be shown them.
func (s *Service) APITokens(ctx context.Context, userID uuid.UUID) ([]*ent.APIToken, error) {
	if err := access.CredentialsListable(ctx); err != nil {
		return nil, err
	}
	return s.sys.APIToken.Query().Where(apitoken.UserID(userID)).
		Order(ent.Desc(apitoken.FieldCreatedAt), ent.Desc(apitoken.FieldID)).All(ctx)
}

// RevokeAPIToken deletes one of the caller's tokens; anyone else's, or
// none, is NOT_FOUND as a user error.
func (s *Service) RevokeAPIToken(ctx context.Context, id uuid.UUID) error {
	v, err := access.SessionCaller(ctx)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *database.Tx) error {
		n, err := tx.APIToken.Delete().Where(apitoken.ID(id), apitoken.UserID(v.UserID)).Exec(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.Problem(apperr.UserNotFound, "no such token", "id")
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.TokenRevoke, ActorID: v.UserID, TargetType: "ApiToken", TargetID: id.String()})
	})
}

package access

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/user"
	"lectern/internal/apperr"
	"lectern/internal/viewer"
)

// Caller returns the signed-in caller, or UNAUTHENTICATED for anonymous
// callers (and the system, which never calls an operation).
func Caller(ctx context.Context) (viewer.Viewer, error) {
	v, ok := viewer.FromContext(ctx)
	if !ok || v.IsSystem() || v.UserID == uuid.Nil {
		return viewer.Viewer{}, apperr.New(apperr.Unauthenticated, "sign in to do this")
	}
	return v, nil
}

// SessionCaller is Caller for operations on the account's credentials
// (password, email, MFA, API tokens), which need a signed-in session: an
// API token caller is FORBIDDEN.
func SessionCaller(ctx context.Context) (viewer.Viewer, error) {
	v, err := Caller(ctx)
	if err == nil && v.SessionID == uuid.Nil {
		return v, apperr.New(apperr.Forbidden, "this needs a signed-in session, not an API token")
	}
	return v, err
}

// CredentialsListable refuses (FORBIDDEN) an API token caller asking for
// the account's sessions or tokens: where its owner signs in and what
// their tokens are called are for the signed-in owner, not for whoever
// holds a read-only token.
func CredentialsListable(ctx context.Context) error {
	if v, ok := viewer.FromContext(ctx); ok && v.Credential == viewer.CredentialAPIToken {
		return apperr.New(apperr.Forbidden, "sessions and API tokens are listed only to a signed-in session")
	}
	return nil
}

// VerifiedUser returns the signed-in caller when their email address is
// verified, the condition for learning, authoring and holding credentials
// that outlive a session. An anonymous caller is UNAUTHENTICATED; an
// unverified one gets the EMAIL_NOT_VERIFIED user error. The caller's own
// account row is always visible to them, so client reads with their eyes.
func VerifiedUser(ctx context.Context, client *ent.Client) (viewer.Viewer, error) {
	v, err := Caller(ctx)
	if err != nil {
		return v, err
	}
	verified, err := client.User.Query().Where(user.ID(v.UserID), user.EmailVerifiedAtNotNil()).Exist(ctx)
	if err != nil {
		return v, fmt.Errorf("verified user: %w", err)
	}
	if !verified {
		return v, EmailNotVerified()
	}
	return v, nil
}

// EmailNotVerified is the user error for a caller whose address is not
// verified yet.
func EmailNotVerified() error {
	return apperr.Problem(apperr.UserEmailNotVerified, "verify your email address first")
}

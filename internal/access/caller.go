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

// VerifiedUser returns the signed-in caller when their email address is
// verified, the condition for learning, authoring and holding credentials
// that outlive a session. An anonymous caller is UNAUTHENTICATED; an
// unverified one gets the EMAIL_NOT_VERIFIED user error.
func VerifiedUser(ctx context.Context, client *ent.Client) (viewer.Viewer, error) {
	v, ok := viewer.FromContext(ctx)
	if !ok || v.IsSystem() || v.UserID == uuid.Nil {
		return v, apperr.New(apperr.Unauthenticated, "sign in to do this")
	}
	verified, err := client.User.Query().Where(user.ID(v.UserID), user.EmailVerifiedAtNotNil()).Exist(viewer.SystemContext(ctx))
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

package graph

import (
	"context"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/graph/model"
	"lectern/internal/access"
	"lectern/internal/auth"
	"lectern/internal/gid"
)

// transportOf defaults an omitted transport to COOKIE.
func transportOf(t *auth.Transport) auth.Transport {
	if t == nil {
		return auth.TransportCookie
	}
	return *t
}

// logInPayload maps a sign-in result: a session (with the new viewer and,
// for transport TOKEN, the token) or an MFA challenge. The request goes on
// as the account that signed in, so the payload shows the new viewer their
// own private fields and their new session as current.
func logInPayload(ctx context.Context) func(auth.LogInResult, userErrors) *model.LogInPayload {
	return func(res auth.LogInResult, ue userErrors) *model.LogInPayload {
		out := &model.LogInPayload{UserErrors: ue}
		switch {
		case len(ue) > 0:
		case res.MFARequired():
			out.MfaRequired, out.MfaChallenge = true, &res.Challenge
		case res.Session != nil:
			access.SignedIn(ctx, res.User.ID, res.Session.ID)
			out.Viewer = &model.Viewer{User: res.User, SessionMFA: res.Session.Mfa}
			if res.Session.Transport == auth.TransportToken {
				out.Token = &res.Token
			}
		}
		return out
	}
}

// sessionID is the global ID of session id, or nil when there was none.
func sessionID(id uuid.UUID) *gid.ID {
	if id == uuid.Nil {
		return nil
	}
	g := gid.New("Session", id)
	return &g
}

// private is v when the caller may read u's private fields (email, role,
// verification, disabled), and null to anyone else.
func private[T any](ctx context.Context, u *ent.User, v T) *T {
	if !access.PrivateFieldsReadable(ctx, u.ID) {
		return nil
	}
	return &v
}

// The identity mutations' payloads, from the domain's results. Secrets and
// IDs of what was revoked appear only when the mutation succeeded.

func signUpPayload(u *ent.User, ue userErrors) *model.SignUpPayload {
	return &model.SignUpPayload{User: u, UserErrors: ue}
}

func verifyEmailPayload(u *ent.User, ue userErrors) *model.VerifyEmailPayload {
	return &model.VerifyEmailPayload{User: u, UserErrors: ue}
}

func requestEmailVerificationPayload(_ struct{}, ue userErrors) *model.RequestEmailVerificationPayload {
	return &model.RequestEmailVerificationPayload{UserErrors: ue}
}

func logOutPayload(id uuid.UUID, ue userErrors) *model.LogOutPayload {
	return &model.LogOutPayload{SessionID: sessionID(id), UserErrors: ue}
}

func revokeSessionPayload(id gid.ID, ue userErrors) *model.RevokeSessionPayload {
	out := &model.RevokeSessionPayload{UserErrors: ue}
	if len(ue) == 0 {
		out.SessionID = &id
	}
	return out
}

func revokeOtherSessionsPayload(n int, ue userErrors) *model.RevokeOtherSessionsPayload {
	return &model.RevokeOtherSessionsPayload{RevokedCount: n, UserErrors: ue}
}

func requestPasswordResetPayload(_ struct{}, ue userErrors) *model.RequestPasswordResetPayload {
	return &model.RequestPasswordResetPayload{UserErrors: ue}
}

func resetPasswordPayload(_ struct{}, ue userErrors) *model.ResetPasswordPayload {
	return &model.ResetPasswordPayload{PasswordChanged: len(ue) == 0, UserErrors: ue}
}

func changePasswordPayload(u *ent.User, ue userErrors) *model.ChangePasswordPayload {
	return &model.ChangePasswordPayload{User: u, UserErrors: ue}
}

func changeEmailPayload(u *ent.User, ue userErrors) *model.ChangeEmailPayload {
	return &model.ChangeEmailPayload{User: u, UserErrors: ue}
}

func startTotpEnrollmentPayload(e auth.TotpEnrollment, ue userErrors) *model.StartTotpEnrollmentPayload {
	out := &model.StartTotpEnrollmentPayload{UserErrors: ue}
	if len(ue) == 0 {
		out.Secret, out.OtpauthURI = &e.Secret, &e.URI
	}
	return out
}

func confirmTotpEnrollmentPayload(codes []string, ue userErrors) *model.ConfirmTotpEnrollmentPayload {
	return &model.ConfirmTotpEnrollmentPayload{RecoveryCodes: codes, UserErrors: ue}
}

func disableTotpPayload(u *ent.User, ue userErrors) *model.DisableTotpPayload {
	return &model.DisableTotpPayload{User: u, UserErrors: ue}
}

func regenerateRecoveryCodesPayload(codes []string, ue userErrors) *model.RegenerateRecoveryCodesPayload {
	return &model.RegenerateRecoveryCodesPayload{RecoveryCodes: codes, UserErrors: ue}
}

// createAPITokenPayload carries secret, the token's plain text, which is
// shown this once.
func createAPITokenPayload(secret string) func(*ent.APIToken, userErrors) *model.CreateAPITokenPayload {
	return func(t *ent.APIToken, ue userErrors) *model.CreateAPITokenPayload {
		out := &model.CreateAPITokenPayload{APIToken: t, UserErrors: ue}
		if len(ue) == 0 {
			out.Token = &secret
		}
		return out
	}
}

func revokeAPITokenPayload(id gid.ID, ue userErrors) *model.RevokeAPITokenPayload {
	out := &model.RevokeAPITokenPayload{UserErrors: ue}
	if len(ue) == 0 {
		out.APITokenID = &id
	}
	return out
}

package auth

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/predicate"
	"lectern/ent/recoverycode"
	"lectern/ent/user"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/auth/secret"
	"lectern/internal/auth/totp"
	"lectern/internal/database"
)

// TotpEnrollment is a started TOTP enrolment: the secret to type or scan.
type TotpEnrollment struct {
	Secret string
	URI    string
}

// StartTotpEnrollment creates a new TOTP secret for the caller, kept
// pending until ConfirmTotpEnrollment proves the authenticator has it.
// Starting again replaces the pending secret. MFA already on is
// MFA_ALREADY_ENABLED.
func (s *Service) StartTotpEnrollment(ctx context.Context) (TotpEnrollment, error) {
	_, u, err := s.callerUser(ctx)
	if err != nil {
		return TotpEnrollment{}, err
	}
	if u.MfaEnabledAt != nil {
		return TotpEnrollment{}, apperr.Problem(apperr.UserMFAAlreadyEnabled, "two-factor sign-in is already on")
	}
	if u.EmailVerifiedAt == nil {
		// Credentials that outlive a session are refused to unproven
		// addresses: whoever registered someone else's address must not
		// keep a way in once the owner recovers it.
		return TotpEnrollment{}, access.EmailNotVerified()
	}
	sec, err := totp.NewSecret()
	if err != nil {
		return TotpEnrollment{}, err
	}
	stored, err := SealTOTPSecret(s.totpKeys, u.ID, sec)
	if err != nil {
		return TotpEnrollment{}, fmt.Errorf("start totp: %w", err)
	}
	if err := s.db.Ent.User.UpdateOne(u).SetTotpPendingSecret(stored).Exec(database.Touching(ctx)); err != nil {
		return TotpEnrollment{}, fmt.Errorf("start totp: %w", database.Coded(err))
	}
	return TotpEnrollment{Secret: sec, URI: totp.URI(sec, s.cfg.Issuer, u.Email)}, nil
}

// ConfirmTotpEnrollment turns MFA on when code matches the pending secret
// and returns the new recovery codes (shown once; stored hashed). A cookie
// session continues under a new token marked as having passed MFA.
func (s *Service) ConfirmTotpEnrollment(ctx context.Context, code string) ([]string, error) {
	v, u, err := s.callerUser(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case u.MfaEnabledAt != nil:
		return nil, apperr.Problem(apperr.UserMFAAlreadyEnabled, "two-factor sign-in is already on")
	case u.TotpPendingSecret == nil:
		return nil, apperr.Problem(apperr.UserMFAEnrollmentNotStarted, "start the enrolment first")
	}
	if err := s.hit(ctx, u.ID, check{mfaPerAccount, u.ID.String()}, check{mfaPerAddr, clientAddr(ctx)}); err != nil {
		return nil, err
	}
	pending, err := OpenTOTPSecret(s.totpKeys, u.ID, *u.TotpPendingSecret)
	if err != nil {
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	step, ok, err := totp.Verify(pending, code, s.clock(), 0)
	if err != nil || !ok {
		s.recordAside(ctx, audit.Event{Action: audit.MFAFailure, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
		return nil, apperr.Problem(apperr.UserInvalidCode, "the code is incorrect", "code")
	}
	s.undo(ctx, check{mfaPerAccount, u.ID.String()}, check{mfaPerAddr, clientAddr(ctx)})
	var codes []string
	var rotated *LogInResult
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		// Only while MFA is still off: of two confirmations racing, one
		// wins and the other's recovery codes are never issued. The sealed
		// pending secret becomes the confirmed one as it is: both are
		// sealed for this account.
		tx.Touch()
		n, err := tx.User.Update().Where(user.ID(u.ID), user.MfaEnabledAtIsNil(), user.TotpPendingSecret(*u.TotpPendingSecret)).
			SetTotpSecret(*u.TotpPendingSecret).ClearTotpPendingSecret().SetTotpLastStep(step).SetMfaEnabledAt(s.clock()).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.Problem(apperr.UserMFAAlreadyEnabled, "two-factor sign-in is already on")
		}
		if u, err = tx.System().User.Get(ctx, u.ID); err != nil {
			return err
		}
		if codes, err = s.replaceRecoveryCodes(ctx, tx, u.ID); err != nil {
			return err
		}
		if rotated, err = s.rotate(ctx, tx, v, u, true); err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.MFAEnable, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
	})
	if err != nil {
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	return codes, setCookie(ctx, rotated)
}

// DisableTotp turns MFA off after checking the password and a current
// code (TOTP or recovery).
func (s *Service) DisableTotp(ctx context.Context, pw, code string) (*ent.User, error) {
	u, err := s.reauthenticate(ctx, pw, code)
	if err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		tx.Touch()
		u, err = tx.User.UpdateOne(u).ClearTotpSecret().ClearTotpPendingSecret().ClearMfaEnabledAt().
			SetTotpLastStep(0).Save(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.RecoveryCode.Delete().Where(recoverycode.UserID(u.ID)).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.MFADisable, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
	})
	if err != nil {
		return nil, fmt.Errorf("disable totp: %w", err)
	}
	return u, nil
}

// RegenerateRecoveryCodes replaces the caller's recovery codes after
// checking the password and a current code, and returns the new ones.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, pw, code string) ([]string, error) {
	u, err := s.reauthenticate(ctx, pw, code)
	if err != nil {
		return nil, err
	}
	var codes []string
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		if codes, err = s.replaceRecoveryCodes(ctx, tx, u.ID); err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.RecoveryCodesRegenerate, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
	})
	if err != nil {
		return nil, fmt.Errorf("regenerate recovery codes: %w", err)
	}
	return codes, nil
}

// reauthenticate checks the caller's password and second factor before a
// change to the second factor itself. MFA off is MFA_NOT_ENABLED.
func (s *Service) reauthenticate(ctx context.Context, pw, code string) (*ent.User, error) {
	_, u, err := s.callerUser(ctx)
	if err != nil {
		return nil, err
	}
	if u.MfaEnabledAt == nil || u.TotpSecret == nil {
		return nil, apperr.Problem(apperr.UserMFANotEnabled, "two-factor sign-in is not on")
	}
	if err := s.verifyPassword(ctx, u, pw, "password"); err != nil {
		return nil, err
	}
	checks := []check{{mfaPerAccount, u.ID.String()}, {mfaPerAddr, clientAddr(ctx)}}
	if err := s.hit(ctx, u.ID, checks...); err != nil {
		return nil, err
	}
	method, err := s.checkSecondFactor(ctx, u, code)
	if err != nil {
		return nil, err
	}
	if method == "" {
		s.recordAside(ctx, audit.Event{Action: audit.MFAFailure, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
		return nil, apperr.Problem(apperr.UserInvalidCode, "the code is incorrect", "code")
	}
	s.undo(ctx, checks...)
	return s.loadUser(ctx, u.ID)
}

// replaceRecoveryCodes deletes the account's recovery codes and stores
// hashes of new ones, returning the plain codes.
func (s *Service) replaceRecoveryCodes(ctx context.Context, tx *database.Tx, userID uuid.UUID) ([]string, error) {
	if _, err := tx.RecoveryCode.Delete().Where(recoverycode.UserID(userID)).Exec(ctx); err != nil {
		return nil, err
	}
	codes, err := secret.RecoveryCodes(recoveryCodeCount)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	builders := make([]*ent.RecoveryCodeCreate, len(codes))
	for i, c := range codes {
		builders[i] = tx.RecoveryCode.Create().SetUserID(userID).SetCodeHash(secret.HashOf(secret.NormalizeRecoveryCode(c))).SetCreatedAt(now)
	}
	if err := tx.RecoveryCode.CreateBulk(builders...).Exec(ctx); err != nil {
		return nil, err
	}
	return codes, nil
}

// userIDAndStepBelow matches the account only while its last accepted
// TOTP step is below step.
func userIDAndStepBelow(id uuid.UUID, step int64) predicate.User {
	return user.And(user.ID(id), user.TotpLastStepLT(step))
}

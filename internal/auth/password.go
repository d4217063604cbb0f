package auth

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/apitoken"
	"lectern/ent/emailtoken"
	"lectern/ent/mfachallenge"
	"lectern/ent/recoverycode"
	"lectern/ent/session"
	"lectern/internal/access"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/cache"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/viewer"
)

// RequestPasswordReset queues a reset link for the account registered
// under email, if there is one that may sign in. It answers the same either
// way; only a malformed address (an Invalid error) or too many requests
// (RATE_LIMITED) differ, and neither depends on the account existing.
//
// The request does not look the account up: it queues an email job naming
// the address, and the job finds the account (or nothing to send) when it
// runs. Every request thus does the same work, a job and an audit record in
// one transaction, and its time tells nothing either.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	email = NormalizeEmail(email)
	if fe := checkEmail(email, "email"); fe != nil {
		return apperr.Invalid(*fe)
	}
	if err := s.hit(ctx, uuid.Nil, check{resetPerAddr, clientAddr(ctx)}, check{resetPerAccount, email}); err != nil {
		return err
	}
	err := s.db.Transact(ctx, func(tx *database.Tx) error {
		if err := s.enqueue(ctx, tx, jobs.EmailArgs{Template: jobs.TemplatePasswordReset, Address: email}); err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.PasswordResetRequest})
	})
	if err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	return nil
}

// ResetPassword sets a new password with a token from a reset email and
// treats the account as recovered: every session, API token and pending
// MFA sign-in ends, and (the link having proved it) the address is marked
// verified. If it was not verified before, whoever registered it may not
// have been its owner, so a TOTP factor they enrolled is removed too.
// The count of failed sign-ins at the account starts afresh. An
// unusable token — unknown, used, expired or sent to an address the account
// has since left — is INVALID_TOKEN; a password the policy refuses is
// reported per problem and the link stays usable.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) error {
	if err := s.hit(ctx, uuid.Nil, check{tokenPerAddr, clientAddr(ctx)}); err != nil {
		return err
	}
	// Read the link without using it, so that a refused password leaves it
	// usable, and hash outside the transaction: argon2id takes tens of
	// milliseconds that SQLite's single writer should not wait for.
	t, u, err := s.peekEmailToken(ctx, token, emailtoken.PurposeRESET_PASSWORD)
	if err != nil {
		return err
	}
	if err := invalid(checkPassword(newPassword, u.Email, "newPassword")); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		if _, err := s.useEmailToken(ctx, tx, token, emailtoken.PurposeRESET_PASSWORD); err != nil {
			return err
		}
		upd := tx.User.UpdateOneID(u.ID).SetPasswordHash(hash)
		if u.EmailVerifiedAt == nil {
			tx.Touch(cache.User(u.ID)) // verifying the address makes the profile public
			upd.SetEmailVerifiedAt(s.clock()).ClearTotpSecret().ClearTotpPendingSecret().ClearMfaEnabledAt().SetTotpLastStep(0)
			if _, err := tx.RecoveryCode.Delete().Where(recoverycode.UserID(u.ID)).Exec(ctx); err != nil {
				return err
			}
		} else {
			tx.Touch()
		}
		if err := upd.Exec(ctx); err != nil {
			return err
		}
		if err := s.endSessions(ctx, tx, u.ID, uuid.Nil); err != nil {
			return err
		}
		if _, err := tx.APIToken.Delete().Where(apitoken.UserID(u.ID)).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.PasswordReset, ActorID: u.ID, TargetType: "User", TargetID: t.UserID.String()})
	})
	if err != nil {
		return err
	}
	// Failed guesses at the old password no longer matter, and whoever
	// holds the mailbox must not stay locked out by them: the account's
	// sign-in limits, and this client's on it, start afresh.
	s.clear(ctx, check{loginPerAccount, u.Email}, check{loginPerAccountAddr, fromClient(u.Email, clientAddr(ctx))})
	return nil
}

// endSessions deletes every session of the account except keep, and its
// half-finished MFA sign-ins.
func (s *Service) endSessions(ctx context.Context, tx *database.Tx, userID, keep uuid.UUID) error {
	del := tx.Session.Delete().Where(session.UserID(userID))
	if keep != uuid.Nil {
		del.Where(session.IDNEQ(keep))
	}
	if _, err := del.Exec(ctx); err != nil {
		return err
	}
	_, err := tx.MFAChallenge.Delete().Where(mfachallenge.UserID(userID)).Exec(ctx)
	return err
}

// verifyPassword checks the signed-in caller's password before a sensitive
// change. Wrong answers count as failed sign-ins, so a borrowed session
// cannot be used to guess the password.
func (s *Service) verifyPassword(ctx context.Context, u *ent.User, pw string, field ...string) error {
	checks := passwordChecks(ctx, u.Email)
	if err := s.hit(ctx, u.ID, checks...); err != nil {
		return err
	}
	ok, _, err := s.checkPassword(ctx, u.PasswordHash, pw, checks)
	if err != nil {
		return err
	}
	if !ok {
		s.recordAside(ctx, audit.Event{Action: audit.LoginFailure, ActorID: u.ID, TargetType: "User",
			TargetID: u.ID.String(), Details: map[string]string{"reason": "wrong_password"}})
		return apperr.Problem(apperr.UserInvalidCredentials, "the password is incorrect", field...)
	}
	s.undo(ctx, checks...)
	return nil
}

// ChangePassword replaces the caller's password after checking the
// current one. Every other session of the account ends, and a cookie
// session continues under a new token.
func (s *Service) ChangePassword(ctx context.Context, current, next string) (*ent.User, error) {
	v, u, err := s.callerUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.verifyPassword(ctx, u, current, "currentPassword"); err != nil {
		return nil, err
	}
	problems := checkPassword(next, u.Email, "newPassword")
	if len(problems) == 0 && current == next {
		problems = append(problems, apperr.FieldError{Code: apperr.UserSameAsCurrent, Field: []string{"newPassword"},
			Message: "choose a password different from the current one"})
	}
	if err := invalid(problems); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return nil, err
	}
	var rotated *LogInResult
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		tx.Touch()
		if u, err = tx.User.UpdateOne(u).SetPasswordHash(hash).Save(ctx); err != nil {
			return err
		}
		if err := s.endSessions(ctx, tx, u.ID, v.SessionID); err != nil {
			return err
		}
		if rotated, err = s.rotate(ctx, tx, v, u, false); err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.PasswordChange, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
	})
	if err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	return u, setCookie(ctx, rotated)
}

// ChangeEmail starts moving the caller's account to a new address: after
// the password check it emails a verification link to the new address, and
// the account moves (and the old address is told) when the link is used.
// An address that belongs to another account gets no link and the answer
// is the same.
func (s *Service) ChangeEmail(ctx context.Context, pw, newEmail string) (*ent.User, error) {
	_, u, err := s.callerUser(ctx)
	if err != nil {
		return nil, err
	}
	email := NormalizeEmail(newEmail)
	if fe := checkEmail(email, "newEmail"); fe != nil {
		return nil, apperr.Invalid(*fe)
	}
	if err := s.verifyPassword(ctx, u, pw, "password"); err != nil {
		return nil, err
	}
	if email == u.Email {
		return nil, apperr.Problem(apperr.UserSameAsCurrent, "this is already your address", "newEmail")
	}
	// Each request mails a link to an address of the caller's choosing:
	// limited like verification requests, so nobody can flood a mailbox.
	if err := s.hit(ctx, u.ID, check{verifyPerAccount, u.ID.String()}, check{verifyPerAddr, clientAddr(ctx)}); err != nil {
		return nil, err
	}
	taken, err := s.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		if taken == nil {
			if err := s.enqueue(ctx, tx, jobs.EmailArgs{Template: jobs.TemplateVerification, UserID: u.ID, Address: email}); err != nil {
				return err
			}
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.EmailChangeRequest, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
	})
	if err != nil {
		return nil, fmt.Errorf("change email: %w", err)
	}
	return u, nil
}

// callerUser returns the signed-in caller and their account row.
func (s *Service) callerUser(ctx context.Context) (viewer.Viewer, *ent.User, error) {
	v, err := access.SessionCaller(ctx)
	if err != nil {
		return v, nil, err
	}
	u, err := s.loadUser(ctx, v.UserID)
	return v, u, err
}

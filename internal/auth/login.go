package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/mfachallenge"
	"lectern/ent/recoverycode"
	"lectern/ent/session"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/auth/secret"
	"lectern/internal/auth/totp"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/viewer"
)

// Transport is how a new session's token reaches the client.
type Transport = session.Transport

// Transports.
const (
	TransportCookie = session.TransportCOOKIE
	TransportToken  = session.TransportTOKEN
)

// LogInInput is a sign-in attempt.
type LogInInput struct {
	Email, Password string
	Transport       Transport
}

// LogInResult is a completed sign-in (Session and Token set) or one that
// needs a second factor (Challenge set).
type LogInResult struct {
	// Session is the new session; Token is its secret, for the cookie or
	// (transport TOKEN) for the client to keep.
	Session *ent.Session
	User    *ent.User
	Token   string
	// Challenge is the MFA challenge to pass to VerifyMfa.
	Challenge string
}

// MFARequired reports whether the sign-in waits for a second factor.
func (r LogInResult) MFARequired() bool { return r.Challenge != "" }

var errCredentials = apperr.Problem(apperr.UserInvalidCredentials, "the email or password is incorrect")

// LogIn checks an email and password. Unknown addresses, wrong passwords
// and disabled accounts all fail with the same INVALID_CREDENTIALS error,
// after the same password-hashing work and the same statements. Too many
// failures for the account from this client, for the account from
// anywhere, or from this client for any account is RATE_LIMITED, checked
// before the password, so the answer says nothing about a guess made over
// the limit.
func (s *Service) LogIn(ctx context.Context, in LogInInput) (LogInResult, error) {
	email := NormalizeEmail(in.Email)
	checks := passwordChecks(ctx, email)
	if err := s.hit(ctx, uuid.Nil, checks...); err != nil {
		return LogInResult{}, err
	}
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return LogInResult{}, err
	}
	var hash *string
	if u != nil && u.DisabledAt == nil {
		hash = u.PasswordHash
	}
	ok, rehash, err := s.checkPassword(ctx, hash, in.Password, checks)
	if err != nil {
		return LogInResult{}, fmt.Errorf("log in: %w", err)
	}
	if hash == nil {
		reason := "unknown_account"
		if u != nil {
			reason = "no_password"
			if u.DisabledAt != nil {
				reason = "disabled"
			}
		}
		return LogInResult{}, s.loginFailed(ctx, u, reason)
	}
	if !ok {
		return LogInResult{}, s.loginFailed(ctx, u, "wrong_password")
	}
	s.undo(ctx, checks...)
	if rehash {
		s.upgradeHash(ctx, u.ID, in.Password)
	}
	if u.MfaEnabledAt != nil {
		return s.startChallenge(ctx, u)
	}
	return s.startSession(ctx, u, in.Transport, false, "password")
}

// checkPassword verifies pw against hash, or spends the same work on a
// dummy when there is no hash to check (no account, no password, a
// disabled one), so that the time taken does not tell the cases apart.
// When the computation could not run (the request ended, or the server
// was hashing all it could: password.ErrBusy) the answer is that error,
// the same whether there was a hash or not, and the attempt counted under
// checks is taken back: nothing was checked.
func (s *Service) checkPassword(ctx context.Context, hash *string, pw string, checks []check) (ok, rehash bool, err error) {
	if hash != nil {
		ok, rehash, err = s.hasher.Verify(ctx, pw, *hash)
	} else {
		err = s.hasher.VerifyDummy(ctx, pw)
	}
	if err != nil {
		s.undo(context.WithoutCancel(ctx), checks...)
		return false, false, err
	}
	return ok, rehash, nil
}

// loginFailed records a failed sign-in and returns the one error every
// failure shares.
func (s *Service) loginFailed(ctx context.Context, u *ent.User, reason string) error {
	e := audit.Event{Action: audit.LoginFailure, Details: map[string]string{"reason": reason}}
	if u != nil {
		e.TargetType, e.TargetID = "User", u.ID.String()
	}
	s.recordAside(ctx, e)
	return errCredentials
}

// upgradeHash rehashes a verified password whose stored parameters are
// weaker than the current ones. Failing to upgrade does not fail sign-in.
func (s *Service) upgradeHash(ctx context.Context, id uuid.UUID, pw string) {
	hash, err := s.hasher.Hash(ctx, pw)
	if err == nil {
		err = s.db.Ent.User.UpdateOneID(id).SetPasswordHash(hash).Exec(database.Touching(ctx))
	}
	if err != nil {
		s.logger.WarnContext(ctx, "password hash upgrade failed", "error", err.Error())
	}
}

func (s *Service) startChallenge(ctx context.Context, u *ent.User) (LogInResult, error) {
	tok, err := secret.New(secret.ChallengePrefix)
	if err != nil {
		return LogInResult{}, err
	}
	now := s.clock()
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		if err := tx.MFAChallenge.Create().SetUserID(u.ID).SetTokenHash(tok.Hash).SetCreatedAt(now).
			SetExpiresAt(now.Add(challengeTTL)).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.LoginMFARequired, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
	})
	if err != nil {
		return LogInResult{}, fmt.Errorf("log in: %w", err)
	}
	return LogInResult{User: u, Challenge: tok.Plain}, nil
}

// VerifyMfaInput completes a sign-in that needs a second factor: a TOTP
// code or one of the account's recovery codes.
type VerifyMfaInput struct {
	Challenge, Code string
	Transport       Transport
}

// VerifyMfa trades an MFA challenge and a code for a session that is
// marked as having passed MFA. A TOTP code is accepted once, within one
// time step either side of now; a recovery code once ever. An unknown or
// expired challenge is INVALID_TOKEN, a wrong code INVALID_CODE (after five
// the challenge is spent); too many failures is RATE_LIMITED.
func (s *Service) VerifyMfa(ctx context.Context, in VerifyMfaInput) (LogInResult, error) {
	if err := s.hit(ctx, uuid.Nil, check{mfaPerAddr, clientAddr(ctx)}); err != nil {
		return LogInResult{}, err
	}
	badChallenge := apperr.Problem(apperr.UserInvalidToken, "the sign-in has expired; sign in again", "challenge")
	if !secret.Parse(in.Challenge, secret.ChallengePrefix) {
		return LogInResult{}, badChallenge
	}
	now := s.clock()
	ch, err := s.sys.MFAChallenge.Query().Where(mfachallenge.TokenHash(secret.HashOf(in.Challenge)),
		mfachallenge.ExpiresAtGT(now)).WithUser().Only(ctx)
	if ent.IsNotFound(err) {
		return LogInResult{}, badChallenge
	}
	if err != nil {
		return LogInResult{}, fmt.Errorf("verify mfa: %w", err)
	}
	u := ch.Edges.User
	if err := s.hit(ctx, u.ID, check{mfaPerAccount, u.ID.String()}); err != nil {
		return LogInResult{}, err
	}
	if u.DisabledAt != nil || u.TotpSecret == nil {
		return LogInResult{}, badChallenge
	}
	method, err := s.checkSecondFactor(ctx, u, in.Code)
	if err != nil {
		return LogInResult{}, err
	}
	if method == "" {
		return LogInResult{}, s.mfaFailed(ctx, u, ch)
	}
	s.undo(ctx, check{mfaPerAddr, clientAddr(ctx)}, check{mfaPerAccount, u.ID.String()})
	// The challenge is spent by whoever deletes it: of several requests
	// racing on one challenge, only one gets a session.
	n, err := s.db.Ent.MFAChallenge.Delete().Where(mfachallenge.ID(ch.ID)).Exec(ctx)
	if err != nil {
		return LogInResult{}, fmt.Errorf("verify mfa: %w", err)
	}
	if n == 0 {
		return LogInResult{}, badChallenge
	}
	return s.startSession(ctx, u, in.Transport, true, method)
}

// checkSecondFactor returns "totp" or "recovery_code" when code is a
// valid second factor for u, consuming it, or "" when it is not.
func (s *Service) checkSecondFactor(ctx context.Context, u *ent.User, code string) (string, error) {
	code = strings.TrimSpace(code)
	if len(code) == 6 {
		sec, err := s.totpSecret(u)
		if err != nil {
			return "", fmt.Errorf("verify mfa: %w", err)
		}
		step, ok, err := totp.Verify(sec, code, s.clock(), u.TotpLastStep)
		if err != nil || !ok {
			return "", nil //nolint:nilerr // a malformed code is a wrong code
		}
		// The step moves only forward: two requests racing with one code
		// cannot both succeed.
		n, err := s.db.Ent.User.Update().Where(userIDAndStepBelow(u.ID, step)).SetTotpLastStep(step).Save(database.Touching(ctx))
		if err != nil {
			return "", fmt.Errorf("verify mfa: %w", err)
		}
		if n == 0 {
			return "", nil
		}
		return "totp", nil
	}
	hash := secret.HashOf(secret.NormalizeRecoveryCode(code))
	n, err := s.db.Ent.RecoveryCode.Update().Where(recoverycode.UserID(u.ID), recoverycode.CodeHash(hash),
		recoverycode.UsedAtIsNil()).SetUsedAt(s.clock()).Save(ctx)
	if err != nil {
		return "", fmt.Errorf("verify mfa: %w", err)
	}
	if n == 0 {
		return "", nil
	}
	s.recordAside(ctx, audit.Event{Action: audit.RecoveryCodeUse, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
	return "recovery_code", nil
}

// mfaFailed counts a wrong code against the challenge, spending it after
// challengeAttempts, and returns INVALID_CODE.
func (s *Service) mfaFailed(ctx context.Context, u *ent.User, ch *ent.MFAChallenge) error {
	s.recordAside(ctx, audit.Event{Action: audit.MFAFailure, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
	// Counted in the database (failed_attempts + 1), so concurrent wrong
	// codes cannot overwrite each other's count.
	_, err := s.db.Ent.MFAChallenge.Update().Where(mfachallenge.ID(ch.ID)).AddFailedAttempts(1).Save(ctx)
	if err == nil {
		_, err = s.db.Ent.MFAChallenge.Delete().Where(mfachallenge.ID(ch.ID),
			mfachallenge.FailedAttemptsGTE(challengeAttempts)).Exec(ctx)
	}
	if err != nil {
		return fmt.Errorf("verify mfa: %w", err)
	}
	return apperr.Problem(apperr.UserInvalidCode, "the code is incorrect", "code")
}

// startSession creates a session for u, replacing the caller's current
// session if they had one (a new token at every sign-in), and queues a
// sign-in notice when the client has not been seen for this account.
func (s *Service) startSession(ctx context.Context, u *ent.User, transport Transport, mfa bool, method string) (LogInResult, error) {
	if transport == "" {
		transport = TransportCookie
	}
	var res LogInResult
	err := s.db.Transact(ctx, func(tx *database.Tx) error {
		if v, ok := viewer.FromContext(ctx); ok && v.SessionID != uuid.Nil {
			if err := tx.Session.DeleteOneID(v.SessionID).Exec(ctx); err != nil && !ent.IsNotFound(err) {
				return err
			}
		}
		known, err := s.knownClient(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		res, err = s.createSession(ctx, tx, u, transport, mfa)
		if err != nil {
			return err
		}
		if !known {
			c := viewer.ClientFrom(ctx)
			if err := s.enqueue(ctx, tx, jobs.EmailArgs{Template: jobs.TemplateSignInNotice, UserID: u.ID,
				ClientAddr: c.Addr, UserAgent: c.UserAgent}); err != nil {
				return err
			}
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.LoginSuccess, ActorID: u.ID, TargetType: "Session",
			TargetID: res.Session.ID.String(), Details: map[string]string{"transport": string(transport), "method": method}})
	})
	if err != nil {
		return LogInResult{}, fmt.Errorf("log in: %w", err)
	}
	return res, setCookie(ctx, &res)
}

// createSession inserts a session row and returns it with its token.
func (s *Service) createSession(ctx context.Context, tx *database.Tx, u *ent.User, transport Transport, mfa bool) (LogInResult, error) {
	tok, err := secret.New(secret.SessionPrefix)
	if err != nil {
		return LogInResult{}, err
	}
	now := s.clock()
	c := viewer.ClientFrom(ctx)
	sess, err := tx.Session.Create().SetUserID(u.ID).SetTokenHash(tok.Hash).SetTransport(transport).SetMfa(mfa).
		SetCreatedAt(now).SetLastSeenAt(now).SetExpiresAt(now.Add(s.cfg.SessionMaxAge)).
		SetClientAddr(truncate(c.Addr, 64)).SetUserAgent(truncate(c.UserAgent, 256)).Save(ctx)
	if err != nil {
		return LogInResult{}, err
	}
	return LogInResult{Session: sess, User: u, Token: tok.Plain}, nil
}

// knownClient reports whether u has a live session from the same client
// address and browser, in which case a sign-in notice would be noise.
func (s *Service) knownClient(ctx context.Context, tx *database.Tx, id uuid.UUID) (bool, error) {
	c := viewer.ClientFrom(ctx)
	return tx.System().Session.Query().Where(session.UserID(id), session.ClientAddr(truncate(c.Addr, 64)),
		session.UserAgent(truncate(c.UserAgent, 256)), session.ExpiresAtGT(s.clock())).Exist(ctx)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

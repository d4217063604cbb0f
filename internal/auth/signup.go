package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/emailtoken"
	"lectern/ent/user"
	"lectern/internal/apperr"
	"lectern/internal/audit"
	"lectern/internal/auth/secret"
	"lectern/internal/cache"
	"lectern/internal/database"
	"lectern/internal/jobs"
)

// SignUpInput is a new account's details as the person typed them.
type SignUpInput struct {
	Email, Password, DisplayName string
}

// SignUp creates a learner account and queues the verification email.
//
// For an address that already has an account it creates nothing, emails
// the owner instead, and answers exactly as for a new account: a user
// with a fresh ID (which, like every unverified account, nobody else can
// look up). Invalid input is an Invalid error with one problem per field;
// too many attempts is RATE_LIMITED.
func (s *Service) SignUp(ctx context.Context, in SignUpInput) (*ent.User, error) {
	email := NormalizeEmail(in.Email)
	if err := s.hit(ctx, uuid.Nil, check{signUpPerAddr, clientAddr(ctx)}, check{signUpPerAccount, email}); err != nil {
		return nil, err
	}
	var problems []apperr.FieldError
	if fe := checkEmail(email, "email"); fe != nil {
		problems = append(problems, *fe)
	}
	name, fe := checkText(in.DisplayName, 100, "displayName")
	if fe != nil {
		problems = append(problems, *fe)
	}
	problems = append(problems, checkPassword(in.Password, email, "password")...)
	if err := invalid(problems); err != nil {
		return nil, err
	}
	// Hash first and then try the insert whether or not the address is
	// taken: a new and a registered address cost the same argon2id
	// computation and the same statements, so the time of the answer says
	// no more than the answer does.
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	var created *ent.User
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		tx.Touch() // an unverified account is not public
		var err error
		created, err = s.createLearner(ctx, tx, email, name, hash)
		switch {
		case err != nil:
			return err
		case created == nil:
			return s.signUpTaken(ctx, tx, email)
		}
		if err := s.enqueue(ctx, tx, jobs.EmailArgs{Template: jobs.TemplateVerification, UserID: created.ID}); err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.SignUp, ActorID: created.ID,
			TargetType: "User", TargetID: created.ID.String()})
	})
	if err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	if created == nil {
		now := s.clock()
		created = &ent.User{ID: uuid.New(), Email: email, DisplayName: name, Role: user.RoleLEARNER,
			CreatedAt: now, UpdatedAt: now}
	}
	return created, nil
}

// createLearner inserts a learner account in tx, or returns nil when the
// address is already registered. It learns that from the unique index
// refusing the insert rather than from a lookup, so a taken address runs
// the same statements as a free one, and two sign-ups racing for one
// address cannot both succeed. The insert runs in a savepoint because a
// refused statement aborts a PostgreSQL transaction.
func (s *Service) createLearner(ctx context.Context, tx *database.Tx, email, name, hash string) (*ent.User, error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT sign_up"); err != nil {
		return nil, err
	}
	u, err := tx.User.Create().SetEmail(email).SetDisplayName(name).
		SetPasswordHash(hash).SetRole(user.RoleLEARNER).Save(ctx)
	if err == nil {
		_, err = tx.ExecContext(ctx, "RELEASE SAVEPOINT sign_up")
		return u, err
	}
	if !uniqueViolation(err) {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT sign_up"); err != nil {
		return nil, err
	}
	return nil, nil
}

// uniqueViolation reports whether err is a database refusing a row that
// would duplicate a unique key: SQLSTATE 23505 from PostgreSQL, or
// SQLITE_CONSTRAINT_UNIQUE (an extended result code, which the SQLite
// driver turns on) from SQLite. Other constraint failures are not.
func uniqueViolation(err error) bool {
	const (
		pgUniqueViolation      = "23505"
		sqliteConstraintUnique = 2067
	)
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pg.SQLState() == pgUniqueViolation
	}
	var lite interface{ Code() int }
	return errors.As(err, &lite) && lite.Code() == sqliteConstraintUnique
}

// signUpTaken tells an address's owner that someone tried to register it.
// The email job finds the account by its address when it runs.
func (s *Service) signUpTaken(ctx context.Context, tx *database.Tx, email string) error {
	if err := s.enqueue(ctx, tx, jobs.EmailArgs{Template: jobs.TemplateAccountExists, Address: email}); err != nil {
		return err
	}
	return s.record(ctx, tx.Client, audit.Event{Action: audit.SignUp, Details: map[string]string{"reason": "address_taken"}})
}

// RequestEmailVerification sends the caller a new verification link for
// their current address (the first may have been lost). A verified address
// is EMAIL_ALREADY_VERIFIED; too many requests RATE_LIMITED.
func (s *Service) RequestEmailVerification(ctx context.Context) error {
	_, u, err := s.callerUser(ctx)
	if err != nil {
		return err
	}
	if u.EmailVerifiedAt != nil {
		return apperr.Problem(apperr.UserEmailAlreadyVerified, "your address is already verified")
	}
	if err := s.hit(ctx, u.ID, check{verifyPerAccount, u.ID.String()}, check{verifyPerAddr, clientAddr(ctx)}); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *database.Tx) error {
		if err := s.enqueue(ctx, tx, jobs.EmailArgs{Template: jobs.TemplateVerification, UserID: u.ID}); err != nil {
			return err
		}
		return s.record(ctx, tx.Client, audit.Event{Action: audit.EmailVerifyRequest, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
	})
}

// VerifyEmail consumes a VERIFY_EMAIL token: it marks the address verified
// or, for a token sent by ChangeEmail, moves the account to the new address
// and notifies the old one. An unknown, used or expired token is an Invalid
// error (INVALID_TOKEN).
func (s *Service) VerifyEmail(ctx context.Context, token string) (*ent.User, error) {
	if err := s.hit(ctx, uuid.Nil, check{tokenPerAddr, clientAddr(ctx)}); err != nil {
		return nil, err
	}
	var out *ent.User
	err := s.db.Transact(ctx, func(tx *database.Tx) error {
		t, err := s.useEmailToken(ctx, tx, token, emailtoken.PurposeVERIFY_EMAIL)
		if err != nil {
			return err
		}
		u, err := tx.System().User.Get(ctx, t.UserID)
		if err != nil {
			return err
		}
		tx.Touch(cache.User(u.ID)) // a verified profile is public
		now := s.clock()
		if t.Email == u.Email {
			if u.EmailVerifiedAt == nil {
				u, err = tx.User.UpdateOne(u).SetEmailVerifiedAt(now).Save(ctx)
				if err != nil {
					return err
				}
			}
			out = u
			return s.record(ctx, tx.Client, audit.Event{Action: audit.EmailVerify, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
		}
		old := u.Email
		u, err = tx.User.UpdateOne(u).SetEmail(t.Email).SetEmailVerifiedAt(now).Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.Problem(apperr.UserInvalidToken, "this address now belongs to another account", "token")
		}
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, jobs.EmailArgs{Template: jobs.TemplateEmailChangeNotice, UserID: u.ID, Address: old}); err != nil {
			return err
		}
		out = u
		return s.record(ctx, tx.Client, audit.Event{Action: audit.EmailChange, ActorID: u.ID, TargetType: "User", TargetID: u.ID.String()})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// peekEmailToken returns a live token of purpose and its account without
// using it. A token sent to an address the account no longer has is
// refused: a link in a mailbox the owner has left must not reach the
// account.
func (s *Service) peekEmailToken(ctx context.Context, plain string, purpose emailtoken.Purpose) (*ent.EmailToken, *ent.User, error) {
	bad := badLink()
	if !secret.Parse(plain, secret.EmailPrefix) {
		return nil, nil, bad
	}
	t, err := s.sys.EmailToken.Query().Where(emailtoken.TokenHash(secret.HashOf(plain)), emailtoken.PurposeEQ(purpose),
		emailtoken.UsedAtIsNil(), emailtoken.ExpiresAtGT(s.clock())).WithUser().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, bad
	}
	if err != nil {
		return nil, nil, err
	}
	if purpose == emailtoken.PurposeRESET_PASSWORD && t.Email != t.Edges.User.Email {
		return nil, nil, bad
	}
	return t, t.Edges.User, nil
}

// useEmailToken marks a live token of purpose used and returns it; the
// conditional update makes two concurrent uses of one token impossible.
func (s *Service) useEmailToken(ctx context.Context, tx *database.Tx, plain string, purpose emailtoken.Purpose) (*ent.EmailToken, error) {
	bad := badLink()
	if !secret.Parse(plain, secret.EmailPrefix) {
		return nil, bad
	}
	now := s.clock()
	t, err := tx.System().EmailToken.Query().Where(emailtoken.TokenHash(secret.HashOf(plain)), emailtoken.PurposeEQ(purpose),
		emailtoken.UsedAtIsNil(), emailtoken.ExpiresAtGT(now)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	n, err := tx.EmailToken.Update().Where(emailtoken.ID(t.ID), emailtoken.UsedAtIsNil()).SetUsedAt(now).Save(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, bad
	}
	// A used link retires its siblings: older links of the same kind
	// must not outlive the one that was acted on.
	_, err = tx.EmailToken.Update().Where(emailtoken.UserID(t.UserID), emailtoken.PurposeEQ(purpose),
		emailtoken.UsedAtIsNil()).SetUsedAt(now).Save(ctx)
	return t, err
}

// badLink is the answer for an unusable emailed token, located at the
// token field of the mutation that takes it.
func badLink() error {
	return apperr.Problem(apperr.UserInvalidToken, "this link is invalid or has expired; ask for a new one", "token")
}

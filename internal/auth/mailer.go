package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/emailtoken"
	"lectern/ent/user"
	"lectern/internal/auth/secret"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/mail"
)

// Mailer composes account emails for the email job (it implements
// jobs.Composer). Link tokens are made here, when the job runs, so the plain
// token never sits in the job queue: it exists only in the sent message.
type Mailer struct {
	renderer *mail.Renderer
	now      func() time.Time
}

// NewMailer returns a Mailer rendering with r; now defaults to time.Now.
func NewMailer(r *mail.Renderer, now func() time.Time) *Mailer {
	if now == nil {
		now = time.Now
	}
	return &Mailer{renderer: r, now: now}
}

// Compose builds the message for args inside tx. send is false when the
// message no longer makes sense: the account is gone or disabled, or the
// address was verified or changed since the job was queued.
//
// A job without a UserID is about whichever account is registered under
// Address when it runs, if any: requests that must not reveal whether an
// address is registered (a reset request, a sign-up with a taken address)
// queue one without looking, and nothing is sent when there is no account.
func (m *Mailer) Compose(ctx context.Context, tx *database.Tx, args jobs.EmailArgs) (mail.Message, bool, error) {
	var u *ent.User
	var err error
	if args.UserID == uuid.Nil {
		u, err = tx.System().User.Query().Where(user.Email(args.Address)).Only(ctx)
	} else {
		u, err = tx.System().User.Get(ctx, args.UserID)
	}
	if ent.IsNotFound(err) {
		return mail.Message{}, false, nil
	}
	if err != nil {
		return mail.Message{}, false, fmt.Errorf("compose: %w", err)
	}
	if u.DisabledAt != nil {
		return mail.Message{}, false, nil
	}
	var msg mail.Message
	switch args.Template {
	case jobs.TemplateVerification:
		to := u.Email
		if args.Address != "" {
			to = args.Address
		}
		if to == u.Email && u.EmailVerifiedAt != nil {
			return mail.Message{}, false, nil
		}
		tok, err := m.token(ctx, tx, u, emailtoken.PurposeVERIFY_EMAIL, to, verificationTTL)
		if err != nil {
			return mail.Message{}, false, err
		}
		msg, err = m.renderer.Verification(to, u.DisplayName, tok)
		if err != nil {
			return mail.Message{}, false, err
		}
	case jobs.TemplatePasswordReset:
		tok, err := m.token(ctx, tx, u, emailtoken.PurposeRESET_PASSWORD, u.Email, resetTTL)
		if err != nil {
			return mail.Message{}, false, err
		}
		msg, err = m.renderer.PasswordReset(u.Email, u.DisplayName, tok)
		if err != nil {
			return mail.Message{}, false, err
		}
	case jobs.TemplateEmailChangeNotice:
		msg, err = m.renderer.EmailChangeNotice(args.Address, u.DisplayName, u.Email)
	case jobs.TemplateSignInNotice:
		msg, err = m.renderer.SignInNotice(u.Email, u.DisplayName, args.At, args.ClientAddr, args.UserAgent)
	case jobs.TemplateAccountExists:
		msg, err = m.renderer.AccountExists(u.Email, u.DisplayName)
	default:
		return mail.Message{}, false, fmt.Errorf("compose: unknown template %q: %w", args.Template, mail.ErrInvalid)
	}
	if err != nil {
		return mail.Message{}, false, fmt.Errorf("compose %s: %w", args.Template, err)
	}
	return msg, true, nil
}

// token stores a new single-use link token and returns its plain value.
func (m *Mailer) token(ctx context.Context, tx *database.Tx, u *ent.User, purpose emailtoken.Purpose, email string, ttl time.Duration) (string, error) {
	tok, err := secret.New(secret.EmailPrefix)
	if err != nil {
		return "", err
	}
	now := m.now().UTC()
	err = tx.EmailToken.Create().SetUserID(u.ID).SetPurpose(purpose).SetEmail(email).SetTokenHash(tok.Hash).
		SetCreatedAt(now).SetExpiresAt(now.Add(ttl)).Exec(ctx)
	if err != nil {
		return "", fmt.Errorf("compose: store token: %w", err)
	}
	return tok.Plain, nil
}

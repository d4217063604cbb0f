package auth

import (
	"fmt"
	"log/slog"
	"time"

	"lectern/internal/audit"
	"lectern/internal/auth/password"
	"lectern/internal/auth/throttle"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/mail"
	"lectern/internal/sealed"
)

// FromConfig returns the identity service as Lectern runs it: argon2id at
// the default parameters, throttling and audit in db, sessions timed by
// cfg, TOTP secrets sealed with cfg's keys. now may be nil (time.Now). It
// fails when a part cannot be built.
func FromConfig(cfg config.Config, db *database.DB, queue *jobs.Queue, logger *slog.Logger, now func() time.Time) (*Service, error) {
	hasher, err := password.NewHasher(password.DefaultParams())
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	totpKeys, err := TOTPKeyring(cfg)
	if err != nil {
		return nil, err
	}
	return New(Deps{
		DB:      db,
		Queue:   queue,
		Hasher:  hasher,
		Limiter: throttle.New(db, now),
		Audit:   audit.New(logger),
		Logger:  logger,
		Now:     now,
		Config:  Config{SessionIdle: cfg.SessionIdleTimeout, SessionMaxAge: cfg.SessionMaxAge},

		TOTPKeys: totpKeys,
	})
}

// TOTPKeyring returns the keyring of cfg's TOTP encryption keys, or nil
// when cfg has none. It fails when the keys do not make a keyring, which
// Load rules out.
func TOTPKeyring(cfg config.Config) (*sealed.Keyring, error) {
	if len(cfg.TOTPEncryptionKeys) == 0 {
		return nil, nil
	}
	kr, err := sealed.NewKeyring(cfg.TOTPEncryptionKeys...)
	if err != nil {
		return nil, fmt.Errorf("auth: TOTP encryption keys: %w", err)
	}
	return kr, nil
}

// MailerFromConfig returns the Mailer for cfg's public address and sender.
func MailerFromConfig(cfg config.Config, now func() time.Time) (*Mailer, error) {
	r, err := mail.NewRenderer(cfg.PublicBaseURL, cfg.MailFrom)
	if err != nil {
		return nil, err
	}
	return NewMailer(r, now), nil
}

// HashPassword hashes a password for an account created outside sign-up
// (demo data).
func (s *Service) HashPassword(pw string) (string, error) { return s.hasher.Hash(pw) }

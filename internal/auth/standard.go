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
)

// FromConfig returns the identity service as Lectern runs it: argon2id at
// the default parameters, throttling and audit in db, sessions timed by
// cfg. now may be nil (time.Now). It fails when a part cannot be built.
func FromConfig(cfg config.Config, db *database.DB, queue *jobs.Queue, logger *slog.Logger, now func() time.Time) (*Service, error) {
	hasher, err := password.NewHasher(password.DefaultParams())
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
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
	})
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

package app

import (
	"fmt"
	"log/slog"
	"time"

	"lectern/internal/audit"
	"lectern/internal/auth"
	"lectern/internal/auth/password"
	"lectern/internal/auth/throttle"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/mail"
	"lectern/internal/sealed"
)

// newAuth returns the identity service as Lectern runs it: argon2id at the
// default parameters, a computation waiting for its turn no longer than a
// GraphQL request waits for its own (GRAPHQL_QUEUE_TIMEOUT), throttling in db, sessions timed by cfg, TOTP secrets
// sealed with cfg's keys. now may be nil (time.Now). It fails when a part
// cannot be built.
func newAuth(cfg config.Config, db *database.DB, queue *jobs.Queue, log *audit.Log, logger *slog.Logger, now func() time.Time) (*auth.Service, error) {
	hasher, err := password.NewHasher(password.DefaultParams(), password.WithQueueTimeout(cfg.Admission.QueueTimeout))
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	keys, err := TOTPKeyring(cfg)
	if err != nil {
		return nil, err
	}
	return auth.New(auth.Deps{
		DB:       db,
		Queue:    queue,
		Hasher:   hasher,
		Limiter:  throttle.New(db, now),
		Audit:    log,
		Logger:   logger,
		Now:      now,
		Config:   auth.Config{SessionIdle: cfg.SessionIdleTimeout, SessionMaxAge: cfg.SessionMaxAge},
		TOTPKeys: keys,
	})
}

// TOTPKeyring returns the keyring of cfg's TOTP encryption keys, or nil
// when cfg has none. It fails when the keys do not make a keyring, which
// config.Load rules out.
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

// NewMailer returns the Mailer for cfg's public address and sender; now
// may be nil (time.Now). It fails when the address or sender does not make
// a renderer, which config.Load rules out.
func NewMailer(cfg config.Config, now func() time.Time) (*auth.Mailer, error) {
	r, err := mail.NewRenderer(cfg.PublicBaseURL, cfg.MailFrom)
	if err != nil {
		return nil, err
	}
	return auth.NewMailer(r, now), nil
}

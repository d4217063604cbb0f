package app

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"lectern/internal/access"
	"lectern/internal/admission"
	"lectern/internal/audit"
	"lectern/internal/auth"
	"lectern/internal/authoring"
	"lectern/internal/cache"
	"lectern/internal/catalog"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/export"
	"lectern/internal/idempotency"
	"lectern/internal/jobs"
	"lectern/internal/learning"
	"lectern/internal/mail"
	"lectern/internal/media"
	"lectern/internal/storage"
	"lectern/policy"
)

// App is Lectern as one process runs it: every service, built once and
// shared by the HTTP handler and the job workers.
type App struct {
	// The policy, the authorizer over it, the one audit log and the
	// domain services the GraphQL resolvers call.
	Policy    *policy.Enforcer
	Access    *access.Authorizer
	Audit     *audit.Log
	Auth      *auth.Service
	Learning  *learning.Service
	Authoring *authoring.Service
	Catalog   *catalog.Service
	// Mailer renders the emails the queue delivers.
	Mailer *auth.Mailer
	// Sender delivers email; nil unless the queue was built WithWorkers.
	Sender mail.Sender
	// Queue enqueues jobs and, when built WithWorkers, works them between
	// its Start and Stop, which are the caller's to call.
	Queue *jobs.Queue
	// Jobs shows the queue to administrators and retries and cancels jobs.
	Jobs *jobs.Admin
	// Handler is the HTTP surface: the GraphQL endpoint, the health checks
	// and, in dev and stage, the playground.
	Handler http.Handler
	// Debug is the diagnostics surface for DEBUG_ADDR (profiles, runtime
	// statistics and request and statement totals); nil when DEBUG_ADDR
	// is empty.
	Debug http.Handler
	// Cache answers anonymous queries from memory (and Redis); nil when
	// CACHE_TTL is 0. Close stops it.
	Cache *cache.Cache
	// Store keeps uploaded files; Media runs uploads over it.
	Store *storage.Store
	Media *media.Service
	// Export writes the files users ask for (exports) into Store.
	Export *export.Service
	// Idempotency runs mutations sent with an Idempotency-Key once.
	Idempotency *idempotency.Service

	requests  atomic.Int64
	admission *admission.Bound
	unwatch   func()
	ownStore  bool
}

// Build assembles Lectern for cfg over db, logging through logger. It
// fails when a part cannot be built (the policy does not load, the mail
// sender or the job queue rejects its settings, the session timeouts are
// invalid); nothing is left running then.
func Build(cfg config.Config, db *database.DB, logger *slog.Logger, opts ...Option) (*App, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	a, err := services(db, logger, o.now)
	if err == nil {
		a.Idempotency, err = newIdempotency(cfg, db, logger, o.now)
	}
	if err == nil {
		a.Mailer, err = NewMailer(cfg, o.now)
	}
	if err == nil {
		err = a.buildQueue(cfg, db, logger, o)
	}
	if err == nil {
		a.Jobs = jobs.NewAdmin(db, a.Queue, a.Audit)
	}
	if err == nil {
		err = a.buildMedia(cfg, db, logger, o)
	}
	if err == nil {
		err = a.buildExport(cfg, db, logger, o)
	}
	if err == nil {
		a.Authoring = authoring.New(db, a.Audit, a.Media, o.now)
	}
	if err == nil {
		a.Auth, err = newAuth(cfg, db, a.Queue, a.Audit, logger, o.now)
	}
	if err == nil {
		err = a.buildCache(cfg, db, logger)
	}
	if err == nil {
		a.Handler, err = a.handler(cfg, db, logger, o.loaderWait)
	}
	if err == nil && cfg.DebugAddr != "" {
		a.Debug = a.debug()
	}
	if err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Close stops what Build started beside the handler (the cache's
// invalidation listener); the job queue is the caller's to stop.
func (a *App) Close() {
	if a == nil {
		return
	}
	if a.unwatch != nil {
		a.unwatch()
	}
	if a.Cache != nil {
		a.Cache.Close()
	}
	if a.ownStore {
		_ = a.Store.Close()
	}
}

// newIdempotency returns the idempotent-request service, sealing stored
// answers with the TOTP encryption keys (TOTP_ENCRYPTION_KEYS: required
// outside dev, generated in dev). It fails when those keys are invalid.
func newIdempotency(cfg config.Config, db *database.DB, logger *slog.Logger, now func() time.Time) (*idempotency.Service, error) {
	keys, err := TOTPKeyring(cfg)
	if err != nil {
		return nil, err
	}
	return idempotency.New(db, keys, logger, now), nil
}

// services builds the services that need nothing from the configuration.
// It fails when the policy does not load.
func services(db *database.DB, logger *slog.Logger, now func() time.Time) (*App, error) {
	enforcer, err := policy.New()
	if err != nil {
		return nil, err
	}
	log := audit.New(logger)
	return &App{
		Policy:   enforcer,
		Access:   access.New(enforcer, db.Ent),
		Audit:    log,
		Catalog:  catalog.New(db.Ent, db.Dialect),
		Learning: learning.New(db, log, now),
	}, nil
}

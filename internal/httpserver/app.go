package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"lectern/graph"
	"lectern/internal/access"
	"lectern/internal/audit"
	"lectern/internal/auth"
	"lectern/internal/auth/web"
	"lectern/internal/authoring"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/learning"
	"lectern/internal/playground"
	"lectern/policy"
)

// AppOption adjusts NewApp.
type AppOption func(*appOptions)

type appOptions struct {
	graph graph.Options
	queue *jobs.Queue
	now   func() time.Time
}

// WithLoaderWait sets the dataloaders' batching window. Tests widen it so
// batching, and with it the statement counts they assert, does not depend on
// goroutine scheduling.
func WithLoaderWait(d time.Duration) AppOption {
	return func(o *appOptions) { o.graph.LoaderWait = d }
}

// WithQueue makes the app enqueue jobs through q (the process's queue,
// which also works them). Without it the app gets an insert-only queue.
func WithQueue(q *jobs.Queue) AppOption {
	return func(o *appOptions) { o.queue = q }
}

// WithClock sets the identity service's clock (tests of expiry).
func WithClock(now func() time.Time) AppOption {
	return func(o *appOptions) { o.now = now }
}

// NewApp assembles Lectern's HTTP surface for cfg over db: the GraphQL
// endpoint with the policy, the health checks and, in dev and stage, the
// playground. The process (server.go) and the tests build it the same way.
func NewApp(cfg config.Config, db *database.DB, logger *slog.Logger, opts ...AppOption) (http.Handler, error) {
	enforcer, err := policy.New()
	if err != nil {
		return nil, err
	}
	o := appOptions{graph: graph.Options{DB: db, Authorizer: access.New(enforcer), Logger: logger, Debug: cfg.Dev(),
		Introspection: cfg.GraphQLIntrospection, HideSuggestions: !cfg.GraphQLSuggestions()}}
	for _, opt := range opts {
		opt(&o)
	}
	if o.queue == nil {
		if o.queue, err = jobs.New(db, jobs.Config{}); err != nil {
			return nil, err
		}
	}
	identity, err := auth.FromConfig(cfg, db, o.queue, logger, o.now)
	if err != nil {
		return nil, err
	}
	o.graph.Auth = identity
	o.graph.Learning = learning.New(db, audit.New(logger), o.now)
	o.graph.Authoring = authoring.New(db, audit.New(logger), o.now)
	name, secure := cfg.SessionCookie()
	deps := Deps{
		Logger:         logger,
		Ready:          Readiness(db, logger),
		GraphQL:        graph.NewHandler(o.graph),
		MaxBodyBytes:   cfg.MaxBodyBytes,
		RequestTimeout: cfg.RequestTimeout,
		HSTS:           cfg.StrictTransportSecurity(),
		Auth: web.Config{CookieName: name, SecureCookie: secure, OwnOrigin: cfg.PublicOrigin(),
			AllowedOrigins: cfg.CORSOrigins, TrustedProxies: cfg.TrustedProxies, Logger: logger},
		Authenticator: identity,
	}
	if cfg.Playground() {
		deps.Playground, err = playground.New(playground.Config{Endpoint: "/v1/graphql", AssetsDir: cfg.PlaygroundAssetsDir})
		if err != nil {
			return nil, err
		}
	}
	return New(deps)
}

// Readiness checks that the database answers and its schema (Lectern's
// and the job queue's) is current. Reasons are safe to show; details go to
// the log.
func Readiness(db *database.DB, logger *slog.Logger) Checker {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			logger.WarnContext(ctx, "readiness: database ping failed", slog.String("error", err.Error()))
			return errors.New("database unreachable")
		}
		pending, err := db.Pending(ctx)
		if err == nil {
			var queue []string
			queue, err = jobs.Pending(ctx, db)
			pending = append(pending, queue...)
		}
		if err != nil {
			logger.WarnContext(ctx, "readiness: reading migrations failed", slog.String("error", err.Error()))
			return errors.New("migration state unknown")
		}
		if len(pending) > 0 {
			return fmt.Errorf("%d migrations pending: %s", len(pending), strings.Join(pending, ", "))
		}
		return nil
	}
}

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
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/playground"
	"lectern/policy"
)

// AppOption adjusts NewApp.
type AppOption func(*graph.Options)

// WithLoaderWait sets the dataloaders' batching window. Tests widen it so
// batching, and with it the statement counts they assert, does not depend on
// goroutine scheduling.
func WithLoaderWait(d time.Duration) AppOption {
	return func(o *graph.Options) { o.LoaderWait = d }
}

// NewApp assembles Lectern's HTTP surface for cfg over db: the GraphQL
// endpoint with the policy, the health checks and, in dev and stage, the
// playground. The process (server.go) and the tests build it the same way.
func NewApp(cfg config.Config, db *database.DB, logger *slog.Logger, opts ...AppOption) (http.Handler, error) {
	enforcer, err := policy.New()
	if err != nil {
		return nil, err
	}
	gopts := graph.Options{DB: db, Authorizer: access.New(enforcer), Logger: logger, Debug: cfg.Dev()}
	for _, o := range opts {
		o(&gopts)
	}
	deps := Deps{
		Logger:         logger,
		Ready:          Readiness(db, logger),
		GraphQL:        graph.NewHandler(gopts),
		MaxBodyBytes:   cfg.MaxBodyBytes,
		RequestTimeout: cfg.RequestTimeout,
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

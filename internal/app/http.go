package app

import (
	"log/slog"
	"maps"
	"net/http"
	"time"

	"lectern/graph"
	"lectern/internal/admission"
	"lectern/internal/auth/web"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/httpserver"
	"lectern/internal/playground"
)

// handler returns the HTTP surface over a's services: the GraphQL endpoint
// under cfg's limits and cookie, CORS and proxy settings, the health checks
// and, where cfg turns it on, the playground. It fails when the playground
// assets cannot be read or the settings do not make a working surface.
func (a *App) handler(cfg config.Config, db *database.DB, logger *slog.Logger, loaderWait time.Duration) (http.Handler, error) {
	name, secure := cfg.SessionCookie()
	a.admission = admission.New(cfg.Admission.Concurrency, cfg.Admission.QueueTimeout)
	deps := httpserver.Deps{
		Logger:         logger,
		Ready:          httpserver.Readiness(db, logger),
		GraphQL:        a.graphQL(cfg, db, logger, loaderWait),
		MaxBodyBytes:   cfg.MaxBodyBytes,
		RequestTimeout: cfg.RequestTimeout,
		HSTS:           cfg.StrictTransportSecurity(),
		Auth: web.Config{CookieName: name, SecureCookie: secure, OwnOrigin: cfg.PublicOrigin(),
			AllowedOrigins: cfg.CORSOrigins, TrustedProxies: cfg.TrustedProxies, Logger: logger},
		Authenticator: a.Auth,
		Files:         a.Store.FileHandler(),
		Assets:        a.Media.AssetHandler(),
		Admission:     a.admission,
	}
	if a.Cache != nil {
		deps.Cache = a.Cache.Middleware
	}
	if cfg.Playground() {
		var err error
		deps.Playground, err = playground.New(playground.Config{Endpoint: "/v1/graphql", AssetsDir: cfg.PlaygroundAssetsDir})
		if err != nil {
			return nil, err
		}
	}
	h, err := httpserver.New(deps)
	if err != nil {
		return nil, err
	}
	return a.countRequests(h), nil
}

// graphQL returns the GraphQL endpoint over a's services; dev adds the
// statement log to responses.
func (a *App) graphQL(cfg config.Config, db *database.DB, logger *slog.Logger, loaderWait time.Duration) http.Handler {
	return graph.NewHandler(graph.Options{
		DB:              db,
		Authorizer:      a.Access,
		Logger:          logger,
		Debug:           cfg.Dev(),
		LoaderWait:      loaderWait,
		Auth:            a.Auth,
		Learning:        a.Learning,
		Authoring:       a.Authoring,
		Media:           a.Media,
		Export:          a.Export,
		Jobs:            a.Jobs,
		Catalog:         a.Catalog,
		Introspection:   cfg.GraphQLIntrospection,
		HideSuggestions: !cfg.GraphQLSuggestions(),
		Idempotency:     a.Idempotency,
	})
}

// countRequests counts the GraphQL requests h serves, answered from the
// cache or not, for the diagnostics listener (App.Debug).
func (a *App) countRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/graphql" {
			a.requests.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

// debug returns the diagnostics surface (httpserver.Debug) with the
// process's GraphQL request and SQL statement totals.
func (a *App) debug() http.Handler {
	return httpserver.Debug(func() map[string]int64 {
		stats := map[string]int64{
			"graphql_requests": a.requests.Load(),
			"sql_statements":   database.StatementsRun(),
		}
		if a.Cache != nil {
			maps.Copy(stats, a.Cache.Stats())
		}
		maps.Copy(stats, a.admission.Stats())
		return stats
	})
}

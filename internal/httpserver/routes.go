package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"lectern/internal/apperr"
	"lectern/internal/auth/web"
	"lectern/internal/idempotency"
	"lectern/internal/obs"
)

// routes lists every route Lectern serves.
func routes(mux *http.ServeMux, d Deps) {
	mux.Handle("/v1/graphql", graphqlRoute(d))
	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /readyz", readyz(d.Ready, d.Logger))
	if d.Files != nil {
		mux.Handle(filesRoute, transfer(transferTimeout, d.Files))
	}
	if d.Assets != nil {
		mux.Handle("GET /v1/assets/", transfer(transferTimeout, d.Assets))
	}
	if d.Playground != nil {
		mux.Handle("GET /{$}", d.Playground)
		mux.Handle("GET /playground/", d.Playground)
	}
	mux.HandleFunc("/", notFound)
}

// graphqlRoute stacks CORS → POST/JSON guard → Idempotency-Key check →
// Authenticate → public-read cache (when on) → admission → GraphQL. CORS
// goes first so preflights (OPTIONS) are answered and browsers can read
// every refusal after it; a malformed Idempotency-Key is refused before
// anything runs; the credential is read only once the request is known to
// be one GraphQL can execute; the cache comes after it, since only an
// anonymous viewer may be answered from it; a request waits for its turn
// (Admission) only once it has to run, its body read in full by the guard.
func graphqlRoute(d Deps) http.Handler {
	h := d.Admission.Handler(d.GraphQL)
	if d.Cache != nil {
		h = d.Cache(h)
	}
	h = web.Authenticate(d.Auth, d.Authenticator)(h)
	h = idempotency.CheckHeader(h)
	h = graphqlRequest(d.MaxBodyBytes, h)
	return web.CORS(d.Auth)(h)
}

// filesRoute is where the file store's signed URLs point.
const filesRoute = "/v1/files/"

// transferTimeout bounds one file transfer: as long as an upload URL
// lives, since a 50 MB upload on a slow link takes minutes, not the
// seconds an API request gets.
const transferTimeout = 15 * time.Minute

// transfer gives a file transfer its own deadline, for the request's
// context and for reading and writing the connection (the server's
// timeouts are sized for API requests).
func transfer(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		end := time.Now().Add(d)
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(end)
		_ = rc.SetWriteDeadline(end)
		ctx, cancel := context.WithDeadline(r.Context(), end)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// healthz answers while the process is alive; it checks nothing else, so an
// orchestrator restarts the process only when it is truly stuck.
func healthz(w http.ResponseWriter, _ *http.Request) {
	obs.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the service can serve traffic (database reachable,
// migrations current) and 503 with the reason otherwise.
func readyz(check Checker, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := check(r.Context()); err != nil {
			obs.LoggerFromContext(r.Context(), logger).WarnContext(r.Context(), "not ready", slog.String("error", err.Error()))
			obs.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
			return
		}
		obs.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}

// notFound answers unknown paths with a JSON error that carries the
// request ID, like every other error.
func notFound(w http.ResponseWriter, r *http.Request) {
	obs.WriteError(w, r, http.StatusNotFound, apperr.NotFound, "no such endpoint; GraphQL is served at POST /v1/graphql")
}

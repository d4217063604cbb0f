package httpserver

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"lectern/internal/apperr"
	"lectern/internal/obs"
)

// routes lists every route Lectern serves.
func routes(mux *http.ServeMux, d Deps) {
	mux.Handle("/v1/graphql", graphqlRequest(d.MaxBodyBytes, d.GraphQL))
	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /readyz", readyz(d.Ready, d.Logger))
	if d.Playground != nil {
		mux.Handle("GET /{$}", d.Playground)
		mux.Handle("GET /playground/", d.Playground)
	}
	mux.HandleFunc("/", notFound)
}

// healthz answers while the process is alive; it checks nothing else, so an
// orchestrator restarts the process only when it is truly stuck.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the service can serve traffic (database reachable,
// migrations current) and 503 with the reason otherwise.
func readyz(check Checker, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := check(r.Context()); err != nil {
			obs.LoggerFromContext(r.Context(), logger).WarnContext(r.Context(), "not ready", slog.String("error", err.Error()))
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}

// notFound answers unknown paths with a JSON error that carries the
// request ID, like every other error.
func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, http.StatusNotFound, apperr.NotFound, "no such endpoint; GraphQL is served at POST /v1/graphql")
}

// writeError answers in the shape of a GraphQL error response, so clients
// parse every failure the same way.
func writeError(w http.ResponseWriter, r *http.Request, status int, code apperr.Code, message string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{
		"message":    message,
		"extensions": map[string]string{"code": string(code), "requestId": obs.RequestIDFromContext(r.Context())},
	}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Package httpserver assembles Lectern's HTTP surface: every route is listed
// in routes.go and every request passes the middleware in the order given
// here, once.
package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"lectern/internal/apperr"
	"lectern/internal/obs"
)

// Deps are what the HTTP surface needs. GraphQL is required; Playground is
// nil where the playground is off (prod).
type Deps struct {
	Logger         *slog.Logger
	Ready          Checker
	GraphQL        http.Handler
	Playground     http.Handler
	MaxBodyBytes   int64
	RequestTimeout time.Duration
}

// Checker reports whether the service can take traffic; an error says why not.
type Checker func(ctx context.Context) error

// New returns the root handler. It fails when a required dependency is
// missing.
func New(d Deps) (http.Handler, error) {
	switch {
	case d.Logger == nil:
		return nil, errors.New("httpserver: no logger")
	case d.GraphQL == nil:
		return nil, errors.New("httpserver: no GraphQL handler")
	case d.Ready == nil:
		return nil, errors.New("httpserver: no readiness check")
	case d.MaxBodyBytes <= 0 || d.RequestTimeout <= 0:
		return nil, errors.New("httpserver: body limit and request timeout must be positive")
	}
	mux := http.NewServeMux()
	routes(mux, d)
	// Outermost first: request ID, access log and panic recovery (obs), then
	// security headers and the request deadline; the GraphQL route admits only
	// POSTed JSON within the body limit.
	var h http.Handler = mux
	h = deadline(d.RequestTimeout, h)
	h = securityHeaders(h)
	h = obs.Middleware(d.Logger)(h)
	return h, nil
}

// securityHeaders sets headers every response should carry.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// deadline bounds how long one request may hold resources; the database
// calls under it are cancelled when it passes.
func deadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// graphqlRequest admits only what the GraphQL endpoint can execute: a POST
// with a JSON body of at most n bytes. Anything else is refused here, in the
// API's error shape and before any parsing, so clients get a precise status
// (405, 415, 413, 400) rather than a generic failure.
func graphqlRequest(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, r, http.StatusMethodNotAllowed, apperr.BadUserInput, "GraphQL requests must use POST")
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeError(w, r, http.StatusUnsupportedMediaType, apperr.BadUserInput, "the request body must be JSON (Content-Type: application/json)")
			return
		}
		tooLarge := func() {
			writeError(w, r, http.StatusRequestEntityTooLarge, apperr.BadUserInput,
				fmt.Sprintf("request body exceeds %d bytes", n))
		}
		if r.ContentLength > n {
			tooLarge()
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, n))
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			tooLarge()
			return
		}
		if err != nil || !json.Valid(body) {
			writeError(w, r, http.StatusBadRequest, apperr.BadUserInput, "the request body is not valid JSON")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

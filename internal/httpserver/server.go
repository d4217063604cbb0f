// Package httpserver assembles Lectern's HTTP surface: every route is listed
// in routes.go and every request passes the middleware in the order given
// here, once. It takes finished services (Deps); internal/app builds them.
package httpserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"lectern/graph"
	"lectern/internal/admission"
	"lectern/internal/apperr"
	"lectern/internal/auth/web"
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
	// HSTS sends Strict-Transport-Security on every response (stage and
	// prod, which are served over HTTPS only).
	HSTS bool
	// Auth sets the session cookie, the CSRF origins, CORS and the trusted
	// proxies of the GraphQL route. The zero value has no cookie and allows
	// no other origin; a nil Auth.Logger means Logger.
	Auth web.Config
	// Authenticator checks credentials; nil serves every request
	// anonymously (CORS and the refusal of credentials in URLs still apply).
	Authenticator web.Authenticator
	// Cache, when set, answers anonymous GraphQL queries from memory
	// (internal/cache); it runs after authentication.
	Cache func(http.Handler) http.Handler
	// Admission bounds the GraphQL requests executing at once; nil sets
	// no bound. Answers from the cache never wait for it.
	Admission *admission.Bound
	// Files serves the file store's signed uploads and downloads at
	// /v1/files/ (storage.Store.FileHandler); nil serves none.
	Files http.Handler
	// Assets serves public image renditions at /v1/assets/
	// (media.Service.AssetHandler); nil serves none.
	Assets http.Handler
}

// Checker reports whether the service can take traffic; an error says why not.
type Checker func(ctx context.Context) error

// New returns the root handler. It fails when a required dependency is
// missing or d.Auth cannot work (see web.Config.Validate).
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
	if err := d.Auth.Validate(); err != nil {
		return nil, fmt.Errorf("httpserver: %w", err)
	}
	if d.Auth.Logger == nil {
		d.Auth.Logger = d.Logger
	}
	mux := http.NewServeMux()
	routes(mux, d)
	// Outermost first: request ID, access log and panic recovery (obs), then
	// security headers and the request deadline; the GraphQL route answers
	// CORS, admits only POSTed JSON within the body limit, then reads the
	// credential (routes.go).
	var h http.Handler = mux
	h = deadline(d.RequestTimeout, h)
	h = securityHeaders(d.HSTS, h)
	h = obs.Middleware(d.Logger)(h)
	return h, nil
}

// securityHeaders sets headers every response should carry; with hsts,
// browsers are told to use HTTPS only for a year, subdomains included.
func securityHeaders(hsts bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// deadline bounds how long one request may hold resources; the database
// calls under it are cancelled when it passes.
func deadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, filesRoute) {
			// File transfers set their own, longer deadline (transfer).
			next.ServeHTTP(w, r)
			return
		}
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
			obs.WriteError(w, r, http.StatusMethodNotAllowed, apperr.BadUserInput, "GraphQL requests must use POST")
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			obs.WriteError(w, r, http.StatusUnsupportedMediaType, apperr.BadUserInput, "the request body must be JSON (Content-Type: application/json)")
			return
		}
		tooLarge := func() {
			obs.WriteError(w, r, http.StatusRequestEntityTooLarge, apperr.BadUserInput,
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
		if err != nil {
			obs.WriteError(w, r, http.StatusBadRequest, apperr.BadUserInput, graph.ErrNotJSON.Error())
			return
		}
		// Decoded here, once, and handed to the GraphQL transport: the
		// shape is checked before anything else reads the body, and
		// gqlgen's own decoding error would quote the whole body
		// (passwords in variables included) into the log.
		params, err := graph.DecodeRequest(body)
		if err != nil {
			obs.WriteError(w, r, http.StatusBadRequest, apperr.BadUserInput, err.Error())
			return
		}
		r = r.WithContext(graph.WithRequest(r.Context(), params))
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

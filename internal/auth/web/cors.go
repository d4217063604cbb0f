package web

import (
	"net/http"

	"lectern/internal/apperr"
	"lectern/internal/obs"
)

// Preflight answers, kept to what the GraphQL route accepts.
const (
	corsAllowMethods = "POST"
	corsAllowHeaders = "Content-Type, Authorization, X-Request-ID, Idempotency-Key"
	// corsMaxAge lets browsers skip the preflight for ten minutes, Chrome's
	// own upper bound, so a change to the allowlist takes effect soon.
	corsMaxAge = "600"
)

// CORS returns middleware that lets pages from cfg.AllowedOrigins call the
// route with credentials: their requests get Access-Control-Allow-Origin
// (their own origin, never "*"), Allow-Credentials and X-Request-ID exposed,
// and their preflights a 204 allowing POST with Content-Type, Authorization
// and X-Request-ID for ten minutes. A preflight from any other origin,
// cfg.OwnOrigin included (same-origin requests need none), is refused with
// 403 FORBIDDEN in the API's error shape; other requests from other origins
// pass without CORS headers, so the browser withholds the answer. Every
// response carries Vary: Origin. Credentials in the URL are refused with 400
// here already, so a browser can read the refusal.
func CORS(cfg Config) func(http.Handler) http.Handler {
	allowed := originSet(cfg.AllowedOrigins...)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			// Caches must not hand one origin's answer, with its CORS
			// headers or without, to another.
			h.Add("Vary", "Origin")
			raw, origin, ok := requestOrigin(r)
			allow := ok && allowed[origin]
			if allow {
				h.Set("Access-Control-Allow-Origin", raw)
				h.Set("Access-Control-Allow-Credentials", "true")
				h.Set("Access-Control-Expose-Headers", obs.HeaderRequestID+", Idempotent-Replayed, Retry-After")
			}
			if refuseURLCredential(w, r, cfg.Logger) {
				return
			}
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				preflight(w, r, allow)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func preflight(w http.ResponseWriter, r *http.Request, allow bool) {
	if !allow {
		obs.WriteError(w, r, http.StatusForbidden, apperr.Forbidden, "cross-origin requests from this origin are not allowed")
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", corsAllowMethods)
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
}

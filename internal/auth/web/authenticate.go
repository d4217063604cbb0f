package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"lectern/internal/apperr"
	"lectern/internal/obs"
	"lectern/internal/viewer"
)

// Authenticate returns middleware that puts the client (ClientOf) and, when
// a credential checks out, the viewer into the request context, and lets
// handlers below it call SetSessionCookie and ClearSessionCookie. Requests
// without a credential continue anonymously; authorization is decided per
// operation further in.
//
// It refuses, before the handler runs and in the API's error shape:
//   - 400 BAD_USER_INPUT for access_token or token in the query string;
//   - 401 UNAUTHENTICATED for an Authorization header that is not
//     "Bearer <token>" or whose token a refuses (with WWW-Authenticate);
//   - 403 FORBIDDEN for a session cookie on a request whose Origin is
//     neither cfg.OwnOrigin nor in cfg.AllowedOrigins;
//   - 503 UNAVAILABLE when a cannot decide (the cause is logged).
//
// A bearer token makes it ignore the cookie. A cookie a refuses as
// UNAUTHENTICATED is expired in the response and the request continues
// anonymously. A nil a treats every request as anonymous but still refuses
// credentials in the URL.
func Authenticate(cfg Config, a Authenticator) func(http.Handler) http.Handler {
	g := &gate{cfg: cfg, auth: a, origins: originSet(append([]string{cfg.OwnOrigin}, cfg.AllowedOrigins...)...)}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r = r.WithContext(viewer.WithClient(r.Context(), ClientOf(r, cfg.TrustedProxies)))
			if refuseURLCredential(w, r, cfg.Logger) {
				return
			}
			if a == nil {
				next.ServeHTTP(w, r)
				return
			}
			g.serve(w, r, next)
		})
	}
}

// gate holds what Authenticate prepares once rather than per request.
type gate struct {
	cfg     Config
	auth    Authenticator
	origins map[string]bool
}

func (g *gate) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	var jar *cookieJar
	if g.cfg.CookieName != "" {
		jar = &cookieJar{header: w.Header(), name: g.cfg.CookieName, secure: g.cfg.SecureCookie}
		w = &jarWriter{ResponseWriter: w, jar: jar}
		r = r.WithContext(context.WithValue(r.Context(), cookieJarKey{}, jar))
	}
	if _, ok := r.Header["Authorization"]; ok {
		g.bearer(w, r, next)
		return
	}
	g.cookie(w, r, next, jar)
}

func (g *gate) bearer(w http.ResponseWriter, r *http.Request, next http.Handler) {
	token, ok := bearerToken(r.Header.Values("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request"`)
		obs.WriteError(w, r, http.StatusUnauthorized, apperr.Unauthenticated,
			`the Authorization header must be "Bearer" followed by a token`)
		return
	}
	v, err := g.auth.Authenticate(r.Context(), token, false)
	switch {
	case err == nil:
		next.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), v)))
	case apperr.CodeOf(err) == apperr.Unauthenticated:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		obs.WriteError(w, r, http.StatusUnauthorized, apperr.Unauthenticated,
			"the access token is invalid, expired or revoked; sign in again")
	default:
		g.unavailable(w, r, "bearer", err)
	}
}

// cookie checks the Origin before asking the Authenticator, so a cross-site
// request has no effect at all, not even refreshing the session's last use.
func (g *gate) cookie(w http.ResponseWriter, r *http.Request, next http.Handler, jar *cookieJar) {
	value := g.sessionCookie(r)
	if value == "" {
		next.ServeHTTP(w, r)
		return
	}
	if _, origin, ok := requestOrigin(r); !ok || !g.origins[origin] {
		obs.WriteError(w, r, http.StatusForbidden, apperr.Forbidden, "cross-site request refused")
		return
	}
	jar.presented = value
	v, err := g.auth.Authenticate(r.Context(), value, true)
	switch {
	case err == nil:
		r = r.WithContext(viewer.NewContext(r.Context(), v))
	case apperr.CodeOf(err) == apperr.Unauthenticated:
		// An expired or signed-out session is normal; deleting the cookie
		// stops the browser from presenting it on every later request.
		if err := jar.clear(); err != nil {
			g.logger(r).WarnContext(r.Context(), "clearing stale session cookie", slog.String("error", err.Error()))
		}
	default:
		g.unavailable(w, r, "cookie", err)
		return
	}
	next.ServeHTTP(w, r)
}

// sessionCookie returns the first session cookie's value; an empty one is no
// credential. Browsers send the most specific cookie first, and the __Host-
// prefix keeps other sites from adding a second one.
func (g *gate) sessionCookie(r *http.Request) string {
	if g.cfg.CookieName == "" {
		return ""
	}
	if cs := r.CookiesNamed(g.cfg.CookieName); len(cs) > 0 {
		return cs[0].Value
	}
	return ""
}

func (g *gate) unavailable(w http.ResponseWriter, r *http.Request, via string, err error) {
	level := slog.LevelError
	if r.Context().Err() != nil { // the client went away: no server fault
		level = slog.LevelInfo
	}
	g.logger(r).Log(r.Context(), level, "authentication unavailable",
		slog.String("credential", via), slog.String("error", err.Error()))
	obs.WriteError(w, r, http.StatusServiceUnavailable, apperr.Unavailable,
		"signing in is temporarily unavailable; try again shortly")
}

func (g *gate) logger(r *http.Request) *slog.Logger {
	return obs.LoggerFromContext(r.Context(), g.cfg.Logger)
}

// bearerToken accepts exactly one `Authorization: Bearer <token>` header
// (RFC 6750), the scheme in any case, the token in b64token syntax.
func bearerToken(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	if !validToken(token, isB64TokenChar) || strings.Contains(strings.TrimRight(token, "="), "=") {
		return "", false
	}
	return token, true
}

// isB64TokenChar is RFC 6750's b64token alphabet; "=" is allowed only as
// trailing padding, which bearerToken checks.
func isB64TokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/=", c) >= 0
}

// refuseURLCredential answers 400 when the query string carries a token.
// URLs end up in browser history, proxy logs and Referer headers, so a
// credential there must be treated as leaked; refusing it teaches clients
// the right way before they ship. Keys are compared case-insensitively and
// after unescaping, so no spelling slips through.
func refuseURLCredential(w http.ResponseWriter, r *http.Request, logger *slog.Logger) bool {
	if !hasURLCredential(r.URL.RawQuery) {
		return false
	}
	obs.LoggerFromContext(r.Context(), logger).WarnContext(r.Context(), "credential in URL refused")
	obs.WriteError(w, r, http.StatusBadRequest, apperr.BadUserInput,
		"credentials are not accepted in the URL; send the token in an Authorization: Bearer header")
	return true
}

func hasURLCredential(rawQuery string) bool {
	pairs := strings.FieldsFunc(rawQuery, func(r rune) bool { return r == '&' || r == ';' })
	for _, pair := range pairs {
		key, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		key = strings.TrimSpace(key)
		if strings.EqualFold(key, "access_token") || strings.EqualFold(key, "token") {
			return true
		}
	}
	return false
}

package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"lectern/internal/viewer"
)

// Authenticator turns a presented credential into a viewer.
type Authenticator interface {
	// Authenticate returns the viewer a credential stands for. fromCookie is true for the session cookie's value,
	// false for an `Authorization: Bearer` token (session tokens "lct_ses_…" and API tokens "lct_pat_…").
	// It returns an *apperr.Error with code UNAUTHENTICATED when the credential is unknown, expired, revoked
	// or presented the wrong way, and another error when it cannot decide (database down).
	Authenticate(ctx context.Context, credential string, fromCookie bool) (viewer.Viewer, error)
}

// Config is what CORS and Authenticate need to know about the deployment.
// The zero value is valid: no session cookie and no other allowed origin.
type Config struct {
	// CookieName is the session cookie's name (config.SessionCookie); empty
	// means sessions travel only as bearer tokens.
	CookieName string
	// SecureCookie adds the Secure attribute; a __Host- or __Secure- name
	// requires it.
	SecureCookie bool
	// OwnOrigin is the origin the web app is served from
	// (config.PublicOrigin), as scheme://host[:port].
	OwnOrigin string
	// AllowedOrigins are other origins whose pages may call the API with
	// credentials (config CORS_ORIGINS).
	AllowedOrigins []string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed.
	TrustedProxies []netip.Prefix
	// Logger receives failures to reach the Authenticator; nil means the
	// request's logger from internal/obs, or slog.Default.
	Logger *slog.Logger
}

// Validate returns an error naming the first setting that cannot work: a
// cookie name that is not an HTTP token, a __Host- or __Secure- name without
// SecureCookie (browsers would drop the cookie), a cookie without OwnOrigin
// (every cookie request would fail the CSRF check), or an origin that is not
// scheme://host[:port]. It returns nil for the zero Config.
func (c Config) Validate() error {
	if c.CookieName != "" {
		if err := checkCookieName(c.CookieName, c.SecureCookie); err != nil {
			return err
		}
		if c.OwnOrigin == "" {
			return errors.New("web: a session cookie needs OwnOrigin for the CSRF check")
		}
	}
	if c.OwnOrigin != "" {
		if err := checkOrigin(c.OwnOrigin); err != nil {
			return fmt.Errorf("web: OwnOrigin: %w", err)
		}
	}
	for _, o := range c.AllowedOrigins {
		if err := checkOrigin(o); err != nil {
			return fmt.Errorf("web: AllowedOrigins: %w", err)
		}
	}
	return nil
}

func checkCookieName(name string, secure bool) error {
	if strings.IndexFunc(name, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
		return fmt.Errorf("web: cookie name %q is not an HTTP token", name)
	}
	if (strings.HasPrefix(name, "__Host-") || strings.HasPrefix(name, "__Secure-")) && !secure {
		return fmt.Errorf("web: cookie %q needs SecureCookie, or browsers drop it", name)
	}
	return nil
}

// isTokenChar is RFC 9110's tchar.
func isTokenChar(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}

func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("%q is not an origin (scheme://host[:port])", o)
	}
	return nil
}

// originSet lower-cases origins once so each request needs one map lookup.
func originSet(origins ...string) map[string]bool {
	set := make(map[string]bool, len(origins))
	for _, o := range origins {
		if o != "" {
			set[strings.ToLower(o)] = true
		}
	}
	return set
}

// requestOrigin returns the request's Origin header lower-cased; ok is false
// when there is none or more than one, which no browser sends.
func requestOrigin(r *http.Request) (raw string, lower string, ok bool) {
	values := r.Header.Values("Origin")
	if len(values) != 1 || values[0] == "" {
		return "", "", false
	}
	return values[0], strings.ToLower(values[0]), true
}

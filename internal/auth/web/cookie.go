package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxTokenLen bounds a credential handed to the Authenticator; real tokens
// are far shorter, and longer ones are refused before touching the database.
const maxTokenLen = 1024

// errNoMiddleware is returned by the cookie functions when there is no
// response to write to: the request did not pass through Authenticate, or
// that has no Authenticator or no cookie name.
var errNoMiddleware = errors.New("web: session cookie: the request did not pass through Authenticate with cookie sessions on")

type cookieJarKey struct{}

// cookieJar lets resolvers write the session cookie onto the response while
// the GraphQL handler runs. Resolvers may run concurrently, hence the lock;
// started turns a cookie set too late into an error instead of a silently
// missing header.
type cookieJar struct {
	mu        sync.Mutex
	header    http.Header
	started   bool
	name      string
	secure    bool
	presented string
}

// SetSessionCookie adds Set-Cookie for the session token to the response of
// the request ctx belongs to: HttpOnly, SameSite=Lax, Path=/, Secure when
// configured, never a Domain, expiring at expires. It replaces any session
// cookie set or cleared earlier in the same request. It returns an error
// when ctx did not come through Authenticate with a cookie name configured,
// when the response has already started, when token holds characters a
// cookie cannot carry, or when expires is not in the future.
func SetSessionCookie(ctx context.Context, token string, expires time.Time) error {
	jar, ok := ctx.Value(cookieJarKey{}).(*cookieJar)
	if !ok {
		return errNoMiddleware
	}
	if !validToken(token, isCookieOctet) {
		return errors.New("web: session cookie: token is empty, too long or holds characters a cookie cannot carry")
	}
	// Max-Age wins over Expires in every current browser; rounding up keeps
	// the cookie until the session itself expires rather than a moment before.
	maxAge := int(math.Ceil(time.Until(expires).Seconds()))
	if maxAge <= 0 {
		return fmt.Errorf("web: session cookie: expiry %v is not in the future", expires)
	}
	return jar.write(jar.cookie(token, expires.UTC(), maxAge))
}

// ClearSessionCookie makes the browser delete the session cookie when the
// response arrives (Max-Age=0 and an expiry in 1970), replacing any session
// cookie set earlier in the same request. It returns an error when ctx did
// not come through Authenticate with a cookie name configured, or when the
// response has already started.
func ClearSessionCookie(ctx context.Context) error {
	jar, ok := ctx.Value(cookieJarKey{}).(*cookieJar)
	if !ok {
		return errNoMiddleware
	}
	return jar.clear()
}

// SessionCookieFrom returns the session cookie the request presented, once
// it passed the CSRF check, whether or not it was still valid. ok is false
// when the request carried none, when it authenticated with a bearer token
// instead (the cookie is then ignored), or outside Authenticate.
func SessionCookieFrom(ctx context.Context) (token string, ok bool) {
	jar, found := ctx.Value(cookieJarKey{}).(*cookieJar)
	if !found || jar.presented == "" {
		return "", false
	}
	return jar.presented, true
}

func (j *cookieJar) clear() error {
	return j.write(j.cookie("", time.Unix(0, 0).UTC(), -1))
}

// cookie always carries every attribute, for clearing too: a browser only
// replaces a cookie whose name, path and domain match, and refuses a
// __Host- cookie without Secure and Path=/.
func (j *cookieJar) cookie(value string, expires time.Time, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: j.name, Value: value, Path: "/", Expires: expires, MaxAge: maxAge,
		HttpOnly: true, Secure: j.secure, SameSite: http.SameSiteLaxMode,
	}
}

// write keeps one Set-Cookie line for the session so that, for example, a
// sign-in after a stale cookie was cleared does not leave the browser two
// contradictory instructions.
func (j *cookieJar) write(c *http.Cookie) error {
	line := c.String()
	if line == "" {
		return errors.New("web: session cookie: cannot be written")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started {
		return errors.New("web: session cookie: the response has already started")
	}
	prefix := j.name + "="
	var lines []string
	for _, l := range j.header.Values("Set-Cookie") {
		if !strings.HasPrefix(l, prefix) {
			lines = append(lines, l)
		}
	}
	j.header["Set-Cookie"] = append(lines, line)
	return nil
}

func (j *cookieJar) start() {
	j.mu.Lock()
	j.started = true
	j.mu.Unlock()
}

// jarWriter tells the jar when headers go out. It implements Flush and
// Unwrap like internal/obs's recorder, so streaming and
// http.ResponseController keep working through it.
type jarWriter struct {
	http.ResponseWriter
	jar *cookieJar
}

func (w *jarWriter) WriteHeader(code int) {
	// Informational responses leave the real headers still to come.
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.jar.start()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *jarWriter) Write(b []byte) (int, error) {
	w.jar.start()
	return w.ResponseWriter.Write(b)
}

func (w *jarWriter) Flush() {
	w.jar.start()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *jarWriter) Unwrap() http.ResponseWriter {
	return w.ResponseWriter
}

// validToken checks a credential's length and that every byte passes ok.
func validToken(s string, ok func(byte) bool) bool {
	if s == "" || len(s) > maxTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// isCookieOctet is RFC 6265's cookie-octet: printable ASCII except space,
// double quote, comma, semicolon and backslash.
func isCookieOctet(c byte) bool {
	return c == 0x21 || (0x23 <= c && c <= 0x2B) || (0x2D <= c && c <= 0x3A) ||
		(0x3C <= c && c <= 0x5B) || (0x5D <= c && c <= 0x7E)
}

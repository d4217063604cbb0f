package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"lectern/internal/apperr"
	"lectern/internal/auth/web"
	"lectern/internal/obs"
	"lectern/internal/viewer"
)

// Credentials the test account service knows.
const (
	sessionToken = "lct_ses_Zm9vYmFyYmF6cXV4"
	apiToken     = "lct_pat_cXV4YmF6YmFyZm9v"
	staleToken   = "lct_ses_c3RhbGVzdGFsZQ"
	downToken    = "lct_ses_ZGJkb3du"
)

const (
	ownOrigin     = "https://courses.example.com"
	allowedOrigin = "https://studio.example.org"
	foreignOrigin = "https://evil.example.net"
)

var (
	cookieUser = viewer.Viewer{UserID: uuid.MustParse("00000000-0000-4000-8000-000000000001"), Role: viewer.RoleLearner, Credential: viewer.CredentialCookie}
	tokenUser  = viewer.Viewer{UserID: uuid.MustParse("00000000-0000-4000-8000-000000000002"), Role: viewer.RoleLearner, Credential: viewer.CredentialSessionToken}
	apiUser    = viewer.Viewer{UserID: uuid.MustParse("00000000-0000-4000-8000-000000000003"), Role: viewer.RoleInstructor, Credential: viewer.CredentialAPIToken}
)

// accounts stands in for the account service: a fixed set of credentials,
// each valid only the way it was issued, and a record of what it was asked.
type accounts struct {
	mu    sync.Mutex
	calls []presented
}

type presented struct {
	credential string
	fromCookie bool
}

func (a *accounts) Authenticate(_ context.Context, credential string, fromCookie bool) (viewer.Viewer, error) {
	a.mu.Lock()
	a.calls = append(a.calls, presented{credential, fromCookie})
	a.mu.Unlock()
	switch {
	case credential == sessionToken && fromCookie:
		return cookieUser, nil
	case credential == sessionToken:
		return tokenUser, nil
	case credential == apiToken && !fromCookie:
		return apiUser, nil
	case credential == downToken:
		return viewer.Viewer{}, errors.New("dial tcp 127.0.0.1:5432: connection refused")
	}
	return viewer.Viewer{}, apperr.New(apperr.Unauthenticated, "session expired")
}

func (a *accounts) asked() []presented {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]presented(nil), a.calls...)
}

func devConfig() web.Config {
	return web.Config{
		CookieName: "lectern_session", OwnOrigin: ownOrigin, AllowedOrigins: []string{allowedOrigin},
		Logger: slog.New(slog.DiscardHandler),
	}
}

func secureConfig() web.Config {
	c := devConfig()
	c.CookieName, c.SecureCookie = "__Host-lectern_session", true
	return c
}

// seen is what the protected handler observed; ran is false when the
// middleware answered without calling it.
type seen struct {
	ran       bool
	viewer    viewer.Viewer
	signedIn  bool
	client    viewer.Client
	cookie    string
	hasCookie bool
}

// outcome is one request's response and what the handler below saw.
type outcome struct {
	rec  *httptest.ResponseRecorder
	seen seen
}

// run sends r through obs.RequestID and mw to a handler that records what it
// saw and then calls act (if any) before answering 200.
func run(mw func(http.Handler) http.Handler, r *http.Request, act func(context.Context) error) outcome {
	var s seen
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		s.ran = true
		s.viewer, s.signedIn = viewer.FromContext(ctx)
		s.client = viewer.ClientFrom(ctx)
		s.cookie, s.hasCookie = web.SessionCookieFrom(ctx)
		if act != nil {
			if err := act(ctx); err != nil {
				http.Error(w, err.Error(), http.StatusTeapot)
				return
			}
		}
		_, _ = w.Write([]byte(`{"data":{}}`))
	})
	rec := httptest.NewRecorder()
	obs.RequestID(mw(h)).ServeHTTP(rec, r)
	return outcome{rec: rec, seen: s}
}

// post builds a GraphQL request as the guard in front of Authenticate admits
// it; header pairs are added in order.
func post(target string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"query":"{ viewer { id } }"}`))
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

// expectError fails unless the response is status with one API error of
// code whose requestId matches the X-Request-ID header.
func expectError(t *testing.T, rec *httptest.ResponseRecorder, status int, code apperr.Code) string {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	var body struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code, RequestID string }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 {
		t.Fatalf("body is not one API error (%v): %s", err, rec.Body)
	}
	e := body.Errors[0]
	if e.Extensions.Code != string(code) {
		t.Fatalf("extensions.code = %q, want %q", e.Extensions.Code, code)
	}
	if id := rec.Header().Get(obs.HeaderRequestID); id == "" || e.Extensions.RequestID != id {
		t.Fatalf("extensions.requestId = %q, X-Request-ID = %q; want equal and set", e.Extensions.RequestID, id)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	return e.Message
}

// sessionCookies returns the Set-Cookie lines for name.
func sessionCookies(rec *httptest.ResponseRecorder, name string) []string {
	var out []string
	for _, l := range rec.Header().Values("Set-Cookie") {
		if strings.HasPrefix(l, name+"=") {
			out = append(out, l)
		}
	}
	return out
}

package httpserver_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/internal/apperr"
	"lectern/internal/auth/web"
	"lectern/internal/httpserver"
	"lectern/internal/viewer"
)

const (
	siteOrigin   = "https://courses.example.com"
	studioOrigin = "https://studio.example.org"
	evilOrigin   = "https://evil.example.net"
	goodToken    = "lct_ses_Z29vZHRva2Vu"
)

var member = viewer.Viewer{UserID: uuid.MustParse("00000000-0000-4000-8000-0000000000aa"), Role: viewer.RoleLearner}

// tokenService stands in for the account service: one valid token, and a
// count of how often it was asked.
type tokenService struct{ asked int }

func (s *tokenService) Authenticate(_ context.Context, credential string, fromCookie bool) (viewer.Viewer, error) {
	s.asked++
	if credential != goodToken {
		return viewer.Viewer{}, apperr.New(apperr.Unauthenticated, "unknown token")
	}
	v := member
	v.Credential = viewer.CredentialSessionToken
	if fromCookie {
		v.Credential = viewer.CredentialCookie
	}
	return v, nil
}

// echoGraphQL answers with the viewer's user ID (or "anonymous") and, for a
// body mentioning logIn, sets the session cookie the way the account service
// does, so the whole stack is seen from the client's side.
func echoGraphQL(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), "logIn") {
			if err := web.SetSessionCookie(r.Context(), goodToken, time.Now().Add(time.Hour)); err != nil {
				t.Errorf("SetSessionCookie through the stack: %v", err)
			}
		}
		who := "anonymous"
		if v, ok := viewer.FromContext(r.Context()); ok {
			who = v.UserID.String()
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"viewer":"`+who+`"}}`)
	})
}

func newServer(t *testing.T, auth web.Config, a web.Authenticator) http.Handler {
	t.Helper()
	h, err := httpserver.New(httpserver.Deps{
		Logger:         slog.New(slog.DiscardHandler),
		Ready:          func(context.Context) error { return nil },
		GraphQL:        echoGraphQL(t),
		MaxBodyBytes:   2048,
		RequestTimeout: 5 * time.Second,
		Auth:           auth,
		Authenticator:  a,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h
}

func browserConfig() web.Config {
	return web.Config{
		CookieName: "__Host-lectern_session", SecureCookie: true,
		OwnOrigin: siteOrigin, AllowedOrigins: []string{studioOrigin},
	}
}

// request builds a request to the GraphQL route; header pairs are added in
// order.
func request(method, target, contentType, body string, header ...string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

func withSessionCookie(r *http.Request, token string) *http.Request {
	r.AddCookie(&http.Cookie{Name: "__Host-lectern_session", Value: token})
	return r
}

const viewerQuery = `{"query":"{ viewer { id } }"}`

func TestGraphQLRouteAuthOrder(t *testing.T) {
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string // "" for a GraphQL answer
		wantViewer string
		wantAsked  bool
		wantACAO   string
	}{
		{"PreflightAnsweredBeforeThePOSTGuard",
			request(http.MethodOptions, "/v1/graphql", "", "", "Origin", studioOrigin, "Access-Control-Request-Method", "POST"),
			http.StatusNoContent, "", "", false, studioOrigin},
		{"PreflightFromForeignOriginRefused",
			request(http.MethodOptions, "/v1/graphql", "", "", "Origin", evilOrigin, "Access-Control-Request-Method", "POST"),
			http.StatusForbidden, "FORBIDDEN", "", false, ""},
		{"GuardRefusesGetBeforeCredentialsAreRead",
			withSessionCookie(request(http.MethodGet, "/v1/graphql", "", "", "Origin", evilOrigin), goodToken),
			http.StatusMethodNotAllowed, "BAD_USER_INPUT", "", false, ""},
		{"GuardRefusalReadableByAllowedOrigin",
			request(http.MethodPost, "/v1/graphql", "text/plain", viewerQuery, "Origin", studioOrigin),
			http.StatusUnsupportedMediaType, "BAD_USER_INPUT", "", false, studioOrigin},
		{"TokenInURLRefused",
			request(http.MethodPost, "/v1/graphql?access_token="+goodToken, "application/json", viewerQuery),
			http.StatusBadRequest, "BAD_USER_INPUT", "", false, ""},
		{"CookieFromForeignOriginRefused",
			withSessionCookie(request(http.MethodPost, "/v1/graphql", "application/json", viewerQuery, "Origin", evilOrigin), goodToken),
			http.StatusForbidden, "FORBIDDEN", "", false, ""},
		{"CookieWithoutOriginRefused",
			withSessionCookie(request(http.MethodPost, "/v1/graphql", "application/json", viewerQuery), goodToken),
			http.StatusForbidden, "FORBIDDEN", "", false, ""},
		{"CookieFromOwnOriginSignsIn",
			withSessionCookie(request(http.MethodPost, "/v1/graphql", "application/json", viewerQuery, "Origin", siteOrigin), goodToken),
			http.StatusOK, "", member.UserID.String(), true, ""},
		{"CookieFromAllowedOriginSignsIn",
			withSessionCookie(request(http.MethodPost, "/v1/graphql", "application/json", viewerQuery, "Origin", studioOrigin), goodToken),
			http.StatusOK, "", member.UserID.String(), true, studioOrigin},
		{"BearerSignsIn",
			request(http.MethodPost, "/v1/graphql", "application/json", viewerQuery, "Authorization", "Bearer "+goodToken),
			http.StatusOK, "", member.UserID.String(), true, ""},
		{"UnknownBearerRefused",
			request(http.MethodPost, "/v1/graphql", "application/json", viewerQuery, "Authorization", "Bearer lct_ses_bm9wZQ"),
			http.StatusUnauthorized, "UNAUTHENTICATED", "", true, ""},
		{"NoCredentialIsAnonymous",
			request(http.MethodPost, "/v1/graphql", "application/json", viewerQuery),
			http.StatusOK, "", "anonymous", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &tokenService{}
			r := serve(newServer(t, browserConfig(), svc), tt.req)
			if tt.wantCode != "" {
				r.expectError(t, tt.wantStatus, tt.wantCode)
			} else if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", r.status, tt.wantStatus, r.body)
			}
			if tt.wantViewer != "" && !strings.Contains(string(r.body), `"viewer":"`+tt.wantViewer+`"`) {
				t.Fatalf("body %s, want viewer %s", r.body, tt.wantViewer)
			}
			if (svc.asked > 0) != tt.wantAsked {
				t.Fatalf("account service asked %d times, want asked = %v", svc.asked, tt.wantAsked)
			}
			if got := r.header.Get("Access-Control-Allow-Origin"); got != tt.wantACAO {
				t.Fatalf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantACAO)
			}
			if !containsToken(r.header.Values("Vary"), "Origin") {
				t.Fatalf("Vary = %q, want Origin", r.header.Values("Vary"))
			}
		})
	}
}

func TestGraphQLRouteSetsSessionCookieFromResolvers(t *testing.T) {
	r := serve(newServer(t, browserConfig(), &tokenService{}),
		request(http.MethodPost, "/v1/graphql", "application/json", `{"query":"mutation { logIn }"}`, "Origin", siteOrigin))
	cookies := r.header.Values("Set-Cookie")
	if r.status != http.StatusOK || len(cookies) != 1 ||
		!strings.HasPrefix(cookies[0], "__Host-lectern_session="+goodToken+"; Path=/;") ||
		!strings.HasSuffix(cookies[0], "; HttpOnly; Secure; SameSite=Lax") {
		t.Fatalf("status %d, Set-Cookie %q; want the secure session cookie", r.status, cookies)
	}
}

func TestGraphQLRouteWithoutAuthDeps(t *testing.T) {
	h := newServer(t, web.Config{}, nil)
	t.Run("CookieIgnoredAndAnonymous", func(t *testing.T) {
		r := serve(h, withSessionCookie(request(http.MethodPost, "/v1/graphql", "application/json", viewerQuery, "Origin", evilOrigin), goodToken))
		if r.status != http.StatusOK || !strings.Contains(string(r.body), `"viewer":"anonymous"`) {
			t.Fatalf("got %d %s, want an anonymous answer", r.status, r.body)
		}
	})
	t.Run("TokenInURLStillRefused", func(t *testing.T) {
		serve(h, request(http.MethodPost, "/v1/graphql?token=x", "application/json", viewerQuery)).
			expectError(t, http.StatusBadRequest, "BAD_USER_INPUT")
	})
	t.Run("PreflightStillRefused", func(t *testing.T) {
		serve(h, request(http.MethodOptions, "/v1/graphql", "", "", "Origin", evilOrigin, "Access-Control-Request-Method", "POST")).
			expectError(t, http.StatusForbidden, "FORBIDDEN")
	})
}

func TestNewRefusesUnworkableAuthConfig(t *testing.T) {
	_, err := httpserver.New(httpserver.Deps{
		Logger:         slog.New(slog.DiscardHandler),
		Ready:          func(context.Context) error { return nil },
		GraphQL:        http.NotFoundHandler(),
		MaxBodyBytes:   2048,
		RequestTimeout: time.Second,
		Auth:           web.Config{CookieName: "__Host-lectern_session", OwnOrigin: siteOrigin},
	})
	if err == nil || !strings.Contains(err.Error(), "SecureCookie") {
		t.Fatalf("New = %v, want an error about the insecure __Host- cookie", err)
	}
}

func containsToken(values []string, token string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

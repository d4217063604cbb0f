package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"lectern/internal/apperr"
	"lectern/internal/auth/web"
)

func TestAuthenticateRefusesCredentialsInURL(t *testing.T) {
	tests := []struct {
		name   string
		target string
		refuse bool
	}{
		{"AccessToken", "/v1/graphql?access_token=" + sessionToken, true},
		{"Token", "/v1/graphql?token=" + apiToken, true},
		{"TokenWithoutValue", "/v1/graphql?token", true},
		{"UpperCaseKey", "/v1/graphql?ACCESS_TOKEN=x", true},
		{"EscapedKey", "/v1/graphql?acc%65ss_token=x", true},
		{"AmongOtherParameters", "/v1/graphql?a=1&token=x&b=2", true},
		{"AfterSemicolon", "/v1/graphql?a=1;token=x", true},
		{"OtherParameter", "/v1/graphql?tokens=1&page=token", false},
		{"NoQuery", "/v1/graphql", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &accounts{}
			out := run(web.Authenticate(devConfig(), a), post(tt.target, "Authorization", "Bearer "+sessionToken), nil)
			if !tt.refuse {
				if out.rec.Code != http.StatusOK || !out.seen.signedIn {
					t.Fatalf("status %d, signed in %v; want the request through", out.rec.Code, out.seen.signedIn)
				}
				return
			}
			expectError(t, out.rec, http.StatusBadRequest, apperr.BadUserInput)
			if out.seen.ran || len(a.asked()) != 0 {
				t.Fatalf("handler ran = %v, account service asked %v; want neither", out.seen.ran, a.asked())
			}
		})
	}
}

func TestAuthenticateWithoutAuthenticatorStillRefusesCredentialsInURL(t *testing.T) {
	out := run(web.Authenticate(devConfig(), nil), post("/v1/graphql?access_token=x"), nil)
	expectError(t, out.rec, http.StatusBadRequest, apperr.BadUserInput)
	if out.seen.ran {
		t.Fatal("handler ran for a request with a token in its URL")
	}
}

func TestAuthenticateBearer(t *testing.T) {
	tests := []struct {
		name          string
		authorization []string
		wantStatus    int
		wantViewer    bool
		wantChallenge string
		wantAsked     bool
	}{
		{"SessionTokenSignsIn", []string{"Bearer " + sessionToken}, http.StatusOK, true, "", true},
		{"APITokenSignsIn", []string{"Bearer " + apiToken}, http.StatusOK, true, "", true},
		{"LowerCaseScheme", []string{"bearer " + sessionToken}, http.StatusOK, true, "", true},
		{"UpperCaseScheme", []string{"BEARER " + sessionToken}, http.StatusOK, true, "", true},
		{"PaddedToken", []string{"Bearer YWJjZA=="}, http.StatusUnauthorized, false, `Bearer error="invalid_token"`, true},
		{"UnknownToken", []string{"Bearer lct_ses_bm9wZQ"}, http.StatusUnauthorized, false, `Bearer error="invalid_token"`, true},
		{"RevokedToken", []string{"Bearer " + staleToken}, http.StatusUnauthorized, false, `Bearer error="invalid_token"`, true},
		{"BasicScheme", []string{"Basic dXNlcjpwYXNz"}, http.StatusUnauthorized, false, `Bearer error="invalid_request"`, false},
		{"TokenWithoutScheme", []string{sessionToken}, http.StatusUnauthorized, false, `Bearer error="invalid_request"`, false},
		{"SchemeWithoutToken", []string{"Bearer"}, http.StatusUnauthorized, false, `Bearer error="invalid_request"`, false},
		{"SchemeWithBlankToken", []string{"Bearer   "}, http.StatusUnauthorized, false, `Bearer error="invalid_request"`, false},
		{"EmptyHeader", []string{""}, http.StatusUnauthorized, false, `Bearer error="invalid_request"`, false},
		{"TokenWithSpace", []string{"Bearer lct_ses_a b"}, http.StatusUnauthorized, false, `Bearer error="invalid_request"`, false},
		{"TokenWithInnerEquals", []string{"Bearer ab=cd"}, http.StatusUnauthorized, false, `Bearer error="invalid_request"`, false},
		{"OversizedToken", []string{"Bearer " + strings.Repeat("a", 1025)}, http.StatusUnauthorized, false, `Bearer error="invalid_request"`, false},
		{"TwoHeaders", []string{"Bearer " + sessionToken, "Bearer " + apiToken}, http.StatusUnauthorized, false, `Bearer error="invalid_request"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &accounts{}
			r := post("/v1/graphql")
			for _, v := range tt.authorization {
				r.Header.Add("Authorization", v)
			}
			out := run(web.Authenticate(devConfig(), a), r, nil)
			if tt.wantStatus != http.StatusOK {
				msg := expectError(t, out.rec, tt.wantStatus, apperr.Unauthenticated)
				if strings.Contains(msg, "lct_") {
					t.Fatalf("message %q echoes the credential", msg)
				}
				if out.seen.ran {
					t.Fatal("handler ran for a refused bearer")
				}
			} else if out.rec.Code != http.StatusOK || !out.seen.signedIn {
				t.Fatalf("status %d, signed in %v; want 200 and a viewer", out.rec.Code, out.seen.signedIn)
			}
			if got := out.rec.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Fatalf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
			asked := a.asked()
			if (len(asked) == 1) != tt.wantAsked || (len(asked) == 1 && asked[0].fromCookie) {
				t.Fatalf("account service asked %v; want asked=%v with fromCookie=false", asked, tt.wantAsked)
			}
		})
	}
}

func TestAuthenticateBearerPutsTheTokensViewerInContext(t *testing.T) {
	for name, tc := range map[string]struct {
		token string
		want  any
	}{
		"SessionToken": {sessionToken, tokenUser.UserID},
		"APIToken":     {apiToken, apiUser.UserID},
	} {
		t.Run(name, func(t *testing.T) {
			out := run(web.Authenticate(devConfig(), &accounts{}), post("/v1/graphql", "Authorization", "Bearer "+tc.token), nil)
			if !out.seen.signedIn || out.seen.viewer.UserID != tc.want {
				t.Fatalf("viewer = %+v (signed in %v), want user %v", out.seen.viewer, out.seen.signedIn, tc.want)
			}
		})
	}
}

func TestAuthenticateBearerUnavailableWhenServiceCannotDecide(t *testing.T) {
	var logs bytes.Buffer
	cfg := devConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	out := run(web.Authenticate(cfg, &accounts{}), post("/v1/graphql", "Authorization", "Bearer "+downToken), nil)
	msg := expectError(t, out.rec, http.StatusServiceUnavailable, apperr.Unavailable)
	if out.seen.ran || strings.Contains(msg, "5432") {
		t.Fatalf("handler ran = %v, message %q; want no handler and no internals", out.seen.ran, msg)
	}
	if !strings.Contains(logs.String(), "connection refused") || strings.Contains(logs.String(), downToken) {
		t.Fatalf("log %q; want the cause logged and the token not", logs.String())
	}
}

func TestAuthenticateNeverLogsURLCredential(t *testing.T) {
	var logs bytes.Buffer
	cfg := devConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	run(web.Authenticate(cfg, &accounts{}), post("/v1/graphql?access_token="+sessionToken), nil)
	if logs.Len() == 0 || strings.Contains(logs.String(), sessionToken) {
		t.Fatalf("log %q; want the refusal logged without the token", logs.String())
	}
}

func TestAuthenticateBearerIgnoresCookie(t *testing.T) {
	tests := []struct {
		name   string
		cookie string
		origin string
	}{
		{"ForeignOriginCookieNeedsNoCSRFCheck", sessionToken, foreignOrigin},
		{"StaleCookieIsLeftAlone", staleToken, ownOrigin},
		{"CookieWithoutOrigin", sessionToken, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &accounts{}
			r := post("/v1/graphql", "Authorization", "Bearer "+apiToken)
			r.AddCookie(&http.Cookie{Name: "lectern_session", Value: tt.cookie})
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			out := run(web.Authenticate(devConfig(), a), r, nil)
			if out.rec.Code != http.StatusOK || out.seen.viewer.UserID != apiUser.UserID {
				t.Fatalf("status %d, viewer %+v; want 200 as the API token's user", out.rec.Code, out.seen.viewer)
			}
			if got := a.asked(); len(got) != 1 || got[0] != (presented{apiToken, false}) {
				t.Fatalf("account service asked %v, want only the bearer", got)
			}
			if c := sessionCookies(out.rec, "lectern_session"); len(c) != 0 || out.seen.hasCookie {
				t.Fatalf("Set-Cookie %q, SessionCookieFrom ok=%v; want the cookie ignored", c, out.seen.hasCookie)
			}
		})
	}
}

func TestAuthenticateCookie(t *testing.T) {
	tests := []struct {
		name       string
		cookie     string
		origins    []string
		wantStatus int
		wantUser   bool
		wantAsked  bool
		wantClear  bool
	}{
		{"MissingOriginRefused", sessionToken, nil, http.StatusForbidden, false, false, false},
		{"ForeignOriginRefused", sessionToken, []string{foreignOrigin}, http.StatusForbidden, false, false, false},
		{"NullOriginRefused", sessionToken, []string{"null"}, http.StatusForbidden, false, false, false},
		{"LookalikeOriginRefused", sessionToken, []string{ownOrigin + ".evil.example.net"}, http.StatusForbidden, false, false, false},
		{"OwnOriginWithPortRefused", sessionToken, []string{ownOrigin + ":8443"}, http.StatusForbidden, false, false, false},
		{"TwoOriginsRefused", sessionToken, []string{ownOrigin, foreignOrigin}, http.StatusForbidden, false, false, false},
		{"StaleCookieFromForeignOriginRefusedUntouched", staleToken, []string{foreignOrigin}, http.StatusForbidden, false, false, false},
		{"OwnOriginSignsIn", sessionToken, []string{ownOrigin}, http.StatusOK, true, true, false},
		{"OwnOriginInOtherCaseSignsIn", sessionToken, []string{strings.ToUpper(ownOrigin)}, http.StatusOK, true, true, false},
		{"AllowlistedOriginSignsIn", sessionToken, []string{allowedOrigin}, http.StatusOK, true, true, false},
		{"StaleCookieContinuesAnonymouslyAndIsCleared", staleToken, []string{ownOrigin}, http.StatusOK, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &accounts{}
			r := post("/v1/graphql")
			r.AddCookie(&http.Cookie{Name: "lectern_session", Value: tt.cookie})
			for _, o := range tt.origins {
				r.Header.Add("Origin", o)
			}
			out := run(web.Authenticate(devConfig(), a), r, nil)
			if tt.wantStatus == http.StatusForbidden {
				if msg := expectError(t, out.rec, http.StatusForbidden, apperr.Forbidden); msg != "cross-site request refused" {
					t.Fatalf("message = %q", msg)
				}
				if out.seen.ran {
					t.Fatal("handler ran for a cross-site cookie request")
				}
			} else if out.rec.Code != tt.wantStatus || !out.seen.ran {
				t.Fatalf("status %d, handler ran %v; want %d and the handler", out.rec.Code, out.seen.ran, tt.wantStatus)
			}
			if out.seen.signedIn != tt.wantUser || (tt.wantUser && out.seen.viewer.UserID != cookieUser.UserID) {
				t.Fatalf("viewer %+v (signed in %v), want signed in = %v as the cookie's user", out.seen.viewer, out.seen.signedIn, tt.wantUser)
			}
			asked := a.asked()
			if (len(asked) == 1) != tt.wantAsked || (tt.wantAsked && asked[0] != presented{tt.cookie, true}) {
				t.Fatalf("account service asked %v, want asked = %v with the cookie", asked, tt.wantAsked)
			}
			cleared := sessionCookies(out.rec, "lectern_session")
			if tt.wantClear != (len(cleared) == 1 && strings.Contains(cleared[0], "Max-Age=0")) {
				t.Fatalf("Set-Cookie %q, want cleared = %v", cleared, tt.wantClear)
			}
			if !tt.wantClear && len(cleared) != 0 {
				t.Fatalf("Set-Cookie %q on a request that must have no side effect", cleared)
			}
		})
	}
}

func TestAuthenticateCookieUnavailableWhenServiceCannotDecide(t *testing.T) {
	r := post("/v1/graphql", "Origin", ownOrigin)
	r.AddCookie(&http.Cookie{Name: "lectern_session", Value: downToken})
	out := run(web.Authenticate(devConfig(), &accounts{}), r, nil)
	expectError(t, out.rec, http.StatusServiceUnavailable, apperr.Unavailable)
	if out.seen.ran || len(sessionCookies(out.rec, "lectern_session")) != 0 {
		t.Fatalf("handler ran = %v, Set-Cookie %q; want neither (the session may still be valid)",
			out.seen.ran, sessionCookies(out.rec, "lectern_session"))
	}
}

func TestAuthenticateAnonymous(t *testing.T) {
	tests := []struct {
		name   string
		cfg    web.Config
		a      web.Authenticator
		cookie *http.Cookie
		origin string
	}{
		{"NoCredentialNeedsNoOrigin", devConfig(), &accounts{}, nil, ""},
		{"NoCredentialFromForeignOrigin", devConfig(), &accounts{}, nil, foreignOrigin},
		{"EmptyCookieIsNoCredential", devConfig(), &accounts{}, &http.Cookie{Name: "lectern_session", Value: ""}, ""},
		{"OtherCookieIsNoCredential", devConfig(), &accounts{}, &http.Cookie{Name: "theme", Value: "dark"}, ""},
		{"NoAuthenticatorIgnoresCookie", devConfig(), nil, &http.Cookie{Name: "lectern_session", Value: sessionToken}, foreignOrigin},
		{"NoCookieNameIgnoresCookie", web.Config{OwnOrigin: ownOrigin}, &accounts{}, &http.Cookie{Name: "lectern_session", Value: sessionToken}, foreignOrigin},
		{"ZeroConfigWithoutAuthenticator", web.Config{}, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post("/v1/graphql")
			if tt.cookie != nil {
				r.AddCookie(tt.cookie)
			}
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			out := run(web.Authenticate(tt.cfg, tt.a), r, nil)
			if out.rec.Code != http.StatusOK || !out.seen.ran || out.seen.signedIn {
				t.Fatalf("status %d, handler ran %v, signed in %v; want 200 and anonymous", out.rec.Code, out.seen.ran, out.seen.signedIn)
			}
			if a, ok := tt.a.(*accounts); ok && len(a.asked()) != 0 {
				t.Fatalf("account service asked %v without a credential", a.asked())
			}
		})
	}
}

func TestSessionCookieFromReturnsThePresentedCookie(t *testing.T) {
	r := post("/v1/graphql", "Origin", ownOrigin)
	r.AddCookie(&http.Cookie{Name: "lectern_session", Value: sessionToken})
	out := run(web.Authenticate(devConfig(), &accounts{}), r, nil)
	if !out.seen.hasCookie || out.seen.cookie != sessionToken {
		t.Fatalf("SessionCookieFrom = %q, %v; want the presented cookie", out.seen.cookie, out.seen.hasCookie)
	}
	if _, ok := web.SessionCookieFrom(context.Background()); ok {
		t.Fatal("SessionCookieFrom found a cookie outside the middleware")
	}
}

func TestAuthenticateLetsHandlersSignInOnAnonymousRequests(t *testing.T) {
	expires := time.Now().Add(time.Hour)
	out := run(web.Authenticate(devConfig(), &accounts{}), post("/v1/graphql"), func(ctx context.Context) error {
		return web.SetSessionCookie(ctx, sessionToken, expires)
	})
	if got := sessionCookies(out.rec, "lectern_session"); out.rec.Code != http.StatusOK || len(got) != 1 {
		t.Fatalf("status %d, Set-Cookie %q; want 200 and one session cookie", out.rec.Code, got)
	}
}

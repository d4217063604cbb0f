package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lectern/internal/auth/web"
)

func TestSetSessionCookieAttributes(t *testing.T) {
	expires := time.Now().Add(time.Hour)
	wantExpires := expires.UTC().Format(http.TimeFormat)
	tests := []struct {
		name string
		cfg  web.Config
		want string
	}{
		{"Dev", devConfig(),
			"lectern_session=" + sessionToken + "; Path=/; Expires=" + wantExpires + "; Max-Age=3600; HttpOnly; SameSite=Lax"},
		{"Secure", secureConfig(),
			"__Host-lectern_session=" + sessionToken + "; Path=/; Expires=" + wantExpires + "; Max-Age=3600; HttpOnly; Secure; SameSite=Lax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := run(web.Authenticate(tt.cfg, &accounts{}), post("/v1/graphql"), func(ctx context.Context) error {
				return web.SetSessionCookie(ctx, sessionToken, expires)
			})
			got := sessionCookies(out.rec, tt.cfg.CookieName)
			if out.rec.Code != http.StatusOK || len(got) != 1 {
				t.Fatalf("status %d, Set-Cookie %q; want 200 and one cookie", out.rec.Code, got)
			}
			// Max-Age is rounded up from the time left, so it is 3600 unless
			// the test stalled for a whole second.
			if got[0] != tt.want {
				t.Fatalf("Set-Cookie =\n %s\nwant\n %s", got[0], tt.want)
			}
			if strings.Contains(strings.ToLower(got[0]), "domain") {
				t.Fatalf("Set-Cookie %q has a Domain attribute", got[0])
			}
		})
	}
}

func TestClearSessionCookieAttributes(t *testing.T) {
	tests := []struct {
		name string
		cfg  web.Config
		want string
	}{
		{"Dev", devConfig(), "lectern_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax"},
		{"Secure", secureConfig(), "__Host-lectern_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := run(web.Authenticate(tt.cfg, &accounts{}), post("/v1/graphql"), web.ClearSessionCookie)
			if got := sessionCookies(out.rec, tt.cfg.CookieName); len(got) != 1 || got[0] != tt.want {
				t.Fatalf("Set-Cookie = %q, want [%q]", got, tt.want)
			}
		})
	}
}

func TestSessionCookieLastWriteWins(t *testing.T) {
	tests := []struct {
		name      string
		act       func(ctx context.Context) error
		wantValue string
	}{
		{"ClearAfterSet", func(ctx context.Context) error {
			if err := web.SetSessionCookie(ctx, sessionToken, time.Now().Add(time.Hour)); err != nil {
				return err
			}
			return web.ClearSessionCookie(ctx)
		}, ""},
		{"SetAfterClear", func(ctx context.Context) error {
			if err := web.ClearSessionCookie(ctx); err != nil {
				return err
			}
			return web.SetSessionCookie(ctx, sessionToken, time.Now().Add(time.Hour))
		}, sessionToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw := web.Authenticate(devConfig(), &accounts{})
			out := run(func(next http.Handler) http.Handler {
				return mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.SetCookie(w, &http.Cookie{Name: "theme", Value: "dark"})
					next.ServeHTTP(w, r)
				}))
			}, post("/v1/graphql"), tt.act)
			got := sessionCookies(out.rec, "lectern_session")
			if len(got) != 1 || !strings.HasPrefix(got[0], "lectern_session="+tt.wantValue+";") {
				t.Fatalf("session Set-Cookie = %q, want one with value %q", got, tt.wantValue)
			}
			if other := sessionCookies(out.rec, "theme"); len(other) != 1 {
				t.Fatalf("other cookies = %q, want the theme cookie kept", other)
			}
		})
	}
}

func TestStaleCookieReplacedBySignIn(t *testing.T) {
	r := post("/v1/graphql", "Origin", ownOrigin)
	r.AddCookie(&http.Cookie{Name: "lectern_session", Value: staleToken})
	out := run(web.Authenticate(devConfig(), &accounts{}), r, func(ctx context.Context) error {
		return web.SetSessionCookie(ctx, sessionToken, time.Now().Add(time.Hour))
	})
	got := sessionCookies(out.rec, "lectern_session")
	if len(got) != 1 || !strings.HasPrefix(got[0], "lectern_session="+sessionToken+";") {
		t.Fatalf("Set-Cookie = %q, want only the new session", got)
	}
}

func TestSessionCookieErrors(t *testing.T) {
	inHandler := func(cfg web.Config, a web.Authenticator, act func(context.Context) error) error {
		var err error
		run(web.Authenticate(cfg, a), post("/v1/graphql"), func(ctx context.Context) error {
			err = act(ctx)
			return nil
		})
		return err
	}
	set := func(token string, expires time.Time) func(context.Context) error {
		return func(ctx context.Context) error { return web.SetSessionCookie(ctx, token, expires) }
	}
	hour := time.Now().Add(time.Hour)
	tests := []struct {
		name string
		err  error
	}{
		{"SetOutsideMiddleware", web.SetSessionCookie(context.Background(), sessionToken, hour)},
		{"ClearOutsideMiddleware", web.ClearSessionCookie(context.Background())},
		{"SetWithoutCookieName", inHandler(web.Config{}, &accounts{}, set(sessionToken, hour))},
		{"SetWithoutAuthenticator", inHandler(devConfig(), nil, set(sessionToken, hour))},
		{"EmptyToken", inHandler(devConfig(), &accounts{}, set("", hour))},
		{"TokenWithSemicolon", inHandler(devConfig(), &accounts{}, set("abc; Domain=evil.example", hour))},
		{"TokenWithSpace", inHandler(devConfig(), &accounts{}, set("abc def", hour))},
		{"ExpiryInThePast", inHandler(devConfig(), &accounts{}, set(sessionToken, time.Now().Add(-time.Second)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestSessionCookieAfterResponseStartedFails(t *testing.T) {
	var setErr, clearErr error
	h := web.Authenticate(devConfig(), &accounts{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{}}`))
		setErr = web.SetSessionCookie(r.Context(), sessionToken, time.Now().Add(time.Hour))
		clearErr = web.ClearSessionCookie(r.Context())
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, post("/v1/graphql"))
	if setErr == nil || clearErr == nil {
		t.Fatalf("SetSessionCookie error %v, ClearSessionCookie error %v; want both to fail once the body is written", setErr, clearErr)
	}
}

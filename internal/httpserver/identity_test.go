package httpserver_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lectern/ent/apitoken"
	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/obs"
	"lectern/internal/seed"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// The HTTP plumbing of the identity flows: which requests carrying a
// session the app runs at all (their origin, method and body type), CORS,
// and credentials in URLs. The flows themselves are tested where they are
// built, in internal/auth.

// The dev configuration testenv builds the app with.
const (
	devOrigin   = "http://127.0.0.1:8080"
	crossOrigin = "https://evil.example"
)

// demoApp is the real app over the demo data, whose demo accounts have
// their known passwords.
func demoApp(t *testing.T, db *database.DB, opts ...app.Option) *testenv.Client {
	t.Helper()
	seedWithPasswords(t, db)
	return testenv.NewClient(t, db, opts...)
}

func seedWithPasswords(t *testing.T, db *database.DB) {
	t.Helper()
	testenv.Seeded(t, db)
	hash := func(_ context.Context, pw string) (string, error) { return testenv.PasswordHash(t, pw), nil }
	if _, err := seed.SetDemoPasswords(context.Background(), db.Ent, hash); err != nil {
		t.Fatal(err)
	}
}

// script returns a caller of client that is no browser: no Origin, only the
// token (none for an anonymous caller).
func script(client *testenv.Client, token string) *testenv.Caller {
	c := client.NewCaller()
	c.Origin, c.Bearer = "", token
	return c
}

// viewerEmail returns the email of the signed-in caller, or "" when the
// request ran anonymously; any error fails the test.
func viewerEmail(t *testing.T, c *testenv.Caller) string {
	t.Helper()
	r := c.Query(t, `{ viewer { user { email } } }`, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("viewer: status %d, errors %+v", r.Status, r.Errors)
	}
	var out struct {
		Viewer *struct{ User struct{ Email string } }
	}
	r.Decode(t, &out)
	if out.Viewer == nil {
		return ""
	}
	return out.Viewer.User.Email
}

// mustCreateToken creates an API token as c and returns its secret and
// global ID.
func mustCreateToken(t *testing.T, c *testenv.Caller, name string, scopes ...string) (secret, id string) {
	t.Helper()
	var out struct {
		CreateAPIToken struct {
			Token    *string
			APIToken *struct{ ID string } `json:"apiToken"`
		} `json:"createApiToken"`
	}
	r := c.Query(t, `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id } } }`,
		map[string]any{"input": map[string]any{"name": name, "scopes": scopes}})
	r.Decode(t, &out)
	if out.CreateAPIToken.Token == nil || out.CreateAPIToken.APIToken == nil {
		t.Fatalf("createApiToken %s: %s", name, r.Data)
	}
	return *out.CreateAPIToken.Token, out.CreateAPIToken.APIToken.ID
}

// requireRefused checks a request refused before execution: status, one
// error with code and the request ID of the response header, and no data.
func requireRefused(t *testing.T, r testenv.Reply, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; errors %+v", r.Status, status, r.Errors)
	}
	if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != code {
		t.Fatalf("errors = %+v, want one %s", r.Errors, code)
	}
	if id := r.Header.Get(obs.HeaderRequestID); id == "" || r.Errors[0].Extensions.RequestID != id {
		t.Errorf("extensions.requestId = %q, X-Request-ID = %q; want them equal and set", r.Errors[0].Extensions.RequestID, id)
	}
	if len(r.Data) != 0 && string(r.Data) != "null" {
		t.Errorf("a refused request answered data %s", r.Data)
	}
}

func sys() context.Context { return viewer.SystemContext(context.Background()) }

func TestIdentityCSRF(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		clock := testenv.NewWallClock()
		client := demoApp(t, db, app.WithClock(clock.Now))
		learner := testenv.DemoAccount(t, "LEARNER")
		b := client.NewCaller()
		b.SignIn(t, learner.Email, learner.Password, "")
		script(client, "").SignIn(t, learner.Email, learner.Password, testenv.TokenTransport)
		sess := testenv.SessionByToken(t, db, b.Cookie)
		// A request that authenticated now would move last_seen_at.
		clock.Advance(5 * time.Minute)

		const createToken = `{"query":"mutation { createApiToken(input: {name: \"csrf\", scopes: [READ, WRITE]}) { token } }"}`
		const revokeOthers = `{"query":"mutation { revokeOtherSessions { revokedCount } }"}`
		post := func(body string) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			return r
		}
		tests := []struct {
			name   string
			origin string
			req    *http.Request
			status int
			code   string
		}{
			{"NoOrigin", "", post(createToken), http.StatusForbidden, "FORBIDDEN"},
			{"ForeignOrigin", crossOrigin, post(revokeOthers), http.StatusForbidden, "FORBIDDEN"},
			{"ForeignOriginCreateToken", crossOrigin, post(createToken), http.StatusForbidden, "FORBIDDEN"},
			{"OpaqueOrigin", "null", post(revokeOthers), http.StatusForbidden, "FORBIDDEN"},
			{"LookalikeOrigin", "http://127.0.0.1:8080.evil.example", post(revokeOthers), http.StatusForbidden, "FORBIDDEN"},
			{"OtherPortOfOwnHost", "http://127.0.0.1:9090", post(createToken), http.StatusForbidden, "FORBIDDEN"},
			{"GetRequest", devOrigin, httptest.NewRequest(http.MethodGet,
				"/v1/graphql?query=mutation%7BrevokeOtherSessions%7BrevokedCount%7D%7D", nil), http.StatusMethodNotAllowed, "BAD_USER_INPUT"},
			{"TextPlainBody", devOrigin, func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader(revokeOthers))
				r.Header.Set("Content-Type", "text/plain")
				return r
			}(), http.StatusUnsupportedMediaType, "BAD_USER_INPUT"},
			{"FormBody", devOrigin, func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader("query=mutation+%7BrevokeOtherSessions%7BrevokedCount%7D%7D"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			}(), http.StatusUnsupportedMediaType, "BAD_USER_INPUT"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				attacker := client.NewCaller()
				attacker.Origin, attacker.Cookie = tt.origin, b.Cookie
				requireRefused(t, attacker.Do(t, tt.req), tt.status, tt.code)
				if n := testenv.RowCount(t, db.Ent.APIToken.Query()); n != 0 {
					t.Errorf("API tokens after the refused request: %d, want 0", n)
				}
				if n := len(testenv.SessionsOf(t, db, learner.Email)); n != 2 {
					t.Errorf("sessions after the refused request: %d, want 2", n)
				}
				now := testenv.SessionByToken(t, db, b.Cookie)
				if now == nil || !now.LastSeenAt.Equal(sess.LastSeenAt) {
					t.Errorf("the refused request touched the session (last seen %v, was %v)", now, sess.LastSeenAt)
				}
			})
		}

		t.Run("OwnOriginExecutes", func(t *testing.T) {
			r := b.Query(t, `mutation { revokeOtherSessions { revokedCount } }`, nil)
			var out struct{ RevokeOtherSessions struct{ RevokedCount int } }
			r.Decode(t, &out)
			if out.RevokeOtherSessions.RevokedCount != 1 || len(testenv.SessionsOf(t, db, learner.Email)) != 1 {
				t.Fatalf("revokeOtherSessions from the own origin = %s, want 1 ended", r.Data)
			}
		})
	})
}

// corsApp builds the app with CORS_ORIGINS set, the way the server does.
func corsApp(t *testing.T, db *database.DB, allowed string) *testenv.Client {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		if k == config.VarCORSOrigins {
			return allowed
		}
		return ""
	})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.Storage.Dir = t.TempDir()
	a, err := app.Build(cfg, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	return &testenv.Client{Handler: a.Handler}
}

func TestIdentityCORS(t *testing.T) {
	const appOrigin, otherOrigin = "https://app.example", "https://other.example"
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		seedWithPasswords(t, db)
		cors := corsApp(t, db, appOrigin)
		learner := testenv.DemoAccount(t, "LEARNER")
		preflight := func(t *testing.T, origin string) testenv.Reply {
			r := httptest.NewRequest(http.MethodOptions, "/v1/graphql", nil)
			r.Header.Set("Access-Control-Request-Method", "POST")
			r.Header.Set("Access-Control-Request-Headers", "content-type")
			c := cors.NewCaller()
			c.Origin = origin
			return c.Do(t, r)
		}

		t.Run("PreflightFromAllowedOrigin", func(t *testing.T) {
			r := preflight(t, appOrigin)
			h := r.Header
			if r.Status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != appOrigin ||
				h.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
				!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "content-type") {
				t.Fatalf("preflight: status %d, headers %v; want 204 allowing POST with credentials", r.Status, h)
			}
		})

		t.Run("PreflightFromOtherOrigin", func(t *testing.T) {
			for _, origin := range []string{otherOrigin, devOrigin, "null"} {
				r := preflight(t, origin)
				requireRefused(t, r, http.StatusForbidden, "FORBIDDEN")
				if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
					t.Errorf("a refused preflight from %s carries CORS grants: %v", origin, r.Header)
				}
			}
		})

		page := cors.NewCaller()
		page.Origin = appOrigin
		r := page.SignIn(t, learner.Email, learner.Password, "")
		if page.Cookie == "" || r.Header.Get("Access-Control-Allow-Origin") != appOrigin || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("logIn from %s: cookie %q, headers %v; want a session readable by the page", appOrigin, page.Cookie, r.Header)
		}

		t.Run("CookieRequestFromAllowedOriginExecutes", func(t *testing.T) {
			if got := viewerEmail(t, page); got != learner.Email {
				t.Fatalf("viewer from %s = %q, want %s", appOrigin, got, learner.Email)
			}
			mustCreateToken(t, page, "from the app", "READ")
			if n := testenv.RowCount(t, db.Ent.APIToken.Query()); n != 1 {
				t.Fatalf("API tokens after createApiToken from %s: %d, want 1", appOrigin, n)
			}
		})

		t.Run("CookieRequestFromOtherOriginRefused", func(t *testing.T) {
			other := cors.NewCaller()
			other.Origin, other.Cookie = otherOrigin, page.Cookie
			r := other.Query(t, `mutation { createApiToken(input: {name: "stolen", scopes: [READ]}) { token } }`, nil)
			requireRefused(t, r, http.StatusForbidden, "FORBIDDEN")
			if r.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("the refusal grants %s CORS access", otherOrigin)
			}
			if n := testenv.RowCount(t, db.Ent.APIToken.Query().Where(apitoken.Name("stolen"))); n != 0 {
				t.Error("the cross-origin mutation created a token")
			}
		})

		t.Run("OwnOriginStillExecutes", func(t *testing.T) {
			own := cors.NewCaller()
			own.Origin, own.Cookie = devOrigin, page.Cookie
			if got := viewerEmail(t, own); got != learner.Email {
				t.Fatalf("viewer from the own origin = %q, want %s", got, learner.Email)
			}
		})
	})
}

func TestIdentityTokenInURLRefused(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		client := demoApp(t, db)
		learner := testenv.DemoAccount(t, "LEARNER")
		b := client.NewCaller()
		b.SignIn(t, learner.Email, learner.Password, "")
		secret, _ := mustCreateToken(t, b, "leaky", "READ")
		api := script(client, "")
		api.SignIn(t, learner.Email, learner.Password, testenv.TokenTransport)
		session := api.Bearer
		for _, target := range []string{
			"/v1/graphql?access_token=" + secret,
			"/v1/graphql?token=" + session,
			"/v1/graphql?ACCESS_TOKEN=" + secret,
			"/v1/graphql?x=1&access%5Ftoken=" + secret,
		} {
			req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"query":"{ viewer { user { email } } }"}`))
			req.Header.Set("Content-Type", "application/json")
			requireRefused(t, script(client, "").Do(t, req), http.StatusBadRequest, "BAD_USER_INPUT")
		}
		tok, err := db.Ent.APIToken.Query().Where(apitoken.Name("leaky")).Only(sys())
		if err != nil {
			t.Fatal(err)
		}
		if tok.LastUsedAt != nil {
			t.Error("a token refused in the URL was still used to authenticate")
		}
		if logs := client.Logs.String(); strings.Contains(logs, secret) || strings.Contains(logs, session) {
			t.Error("the logs hold a token sent in the URL")
		}
	})
}

package httpserver_test

import (
	"bytes"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"lectern/internal/database"
	"lectern/internal/testenv"
)

// TestProductionExposure: prod answers no introspection (unless turned on)
// and no name suggestions, stage and prod send HSTS on every response, and
// every environment sends the other security headers everywhere.
func TestProductionExposure(t *testing.T) {
	t.Parallel()
	db := testenv.Open(t, database.SQLite)
	deployed := func(env string, extra ...string) map[string]string {
		vars := map[string]string{
			"APP_ENV": env, "ALLOW_SQLITE_IN_PRODUCTION": "true",
			"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "app.db"),
		}
		for i := 0; i+1 < len(extra); i += 2 {
			vars[extra[i]] = extra[i+1]
		}
		return vars
	}
	for _, tc := range []struct {
		name                         string
		vars                         map[string]string
		introspection, suggest, hsts bool
	}{
		{"Dev", map[string]string{"APP_ENV": "dev"}, true, true, false},
		{"Stage", deployed("stage"), true, true, true},
		{"Prod", deployed("prod"), false, false, true},
		{"ProdWithIntrospection", deployed("prod", "GRAPHQL_INTROSPECTION", "true"), true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newApp(t, db, tc.vars)

			r := postGraphQL(h, `{"query":"{ __schema { queryType { name } } }"}`)
			answered := bytes.Contains(r.body, []byte(`"queryType":{"name":"Query"}`))
			if answered != tc.introspection {
				t.Errorf("introspection answered = %v, want %v: %d %s", answered, tc.introspection, r.status, r.body)
			}
			if !tc.introspection && (r.status != http.StatusUnprocessableEntity || !bytes.Contains(r.body, []byte(`"code":"GRAPHQL_VALIDATION_FAILED"`))) {
				t.Errorf("refused introspection: %d %s, want 422 GRAPHQL_VALIDATION_FAILED", r.status, r.body)
			}

			r = postGraphQL(h, `{"query":"{ courses { totalCont } }"}`)
			if got := bytes.Contains(r.body, []byte("Did you mean")); got != tc.suggest {
				t.Errorf("suggestion shown = %v, want %v: %s", got, tc.suggest, r.body)
			}
			if !bytes.Contains(r.body, []byte(`"code":"GRAPHQL_VALIDATION_FAILED"`)) {
				t.Errorf("unknown field lacks its code: %s", r.body)
			}

			for _, resp := range []response{
				postGraphQL(h, `{"query":"{ __typename }"}`),
				postGraphQL(h, `[]`),
				get(h, "/healthz"),
				get(h, "/no-such-page"),
				get(h, "/v1/graphql"),
			} {
				checkSecurityHeaders(t, resp, tc.hsts)
			}
		})
	}
}

func checkSecurityHeaders(t *testing.T, r response, hsts bool) {
	t.Helper()
	for name, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q (status %d)", name, got, want, r.status)
		}
	}
	got := r.header.Get("Strict-Transport-Security")
	switch {
	case hsts && got != "max-age=31536000; includeSubDomains":
		t.Errorf("Strict-Transport-Security = %q, want a year with subdomains (status %d)", got, r.status)
	case !hsts && got != "":
		t.Errorf("Strict-Transport-Security = %q over plain HTTP in dev", got)
	}
	if strings.Contains(r.header.Get("Server"), "/") {
		t.Errorf("Server header names a version: %q", r.header.Get("Server"))
	}
}

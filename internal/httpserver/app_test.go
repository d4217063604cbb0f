package httpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/obs"
	"lectern/internal/testenv"
)

// newApp builds the handler the way the server does, from environment
// variables given as a map. Outside dev, the settings stage and prod require
// but these tests do not exercise get placeholder values.
func newApp(t *testing.T, db *database.DB, vars map[string]string) http.Handler {
	t.Helper()
	required := map[string]string{}
	if env := vars["APP_ENV"]; env != "" && env != "dev" {
		required = map[string]string{"PUBLIC_BASE_URL": "https://courses.example.com", "SMTP_URL": "smtp://127.0.0.1:2525",
			"TOTP_ENCRYPTION_KEYS": "test:Xl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl4=",
			"STORAGE_SIGNING_KEY":  "Xl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl4=", "API_BASE_URL": "https://api.example.com"}
	}
	cfg, err := config.Load(func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return required[k]
	})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.Storage.Dir = t.TempDir()
	a, err := app.Build(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	return a.Handler
}

// response is a recorded answer with its body.
type response struct {
	status int
	header http.Header
	body   []byte
}

func serve(h http.Handler, r *http.Request) response {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return response{rec.Code, rec.Header(), rec.Body.Bytes()}
}

func get(h http.Handler, path string) response {
	return serve(h, httptest.NewRequest(http.MethodGet, path, nil))
}

func postGraphQL(h http.Handler, body string) response {
	r := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return serve(h, r)
}

// decode unmarshals the body as JSON, failing the test if it is not JSON.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON; body %s", ct, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
}

// apiError is the shape of every error body Lectern writes.
type apiError struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code      string `json:"code"`
			RequestID string `json:"requestId"`
		} `json:"extensions"`
	} `json:"errors"`
}

// expectError checks status and error code, and that the body quotes the
// request ID the response header carries.
func (r response) expectError(t *testing.T, status int, code string) apiError {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	var e apiError
	r.decode(t, &e)
	if len(e.Errors) != 1 {
		t.Fatalf("errors = %s, want one", r.body)
	}
	if got := e.Errors[0].Extensions.Code; got != code {
		t.Errorf("extensions.code = %q, want %q", got, code)
	}
	if id := r.header.Get(obs.HeaderRequestID); id == "" || e.Errors[0].Extensions.RequestID != id {
		t.Errorf("extensions.requestId = %q, X-Request-ID = %q; want them equal and set", e.Errors[0].Extensions.RequestID, id)
	}
	if e.Data != nil {
		t.Errorf("an error response carries data: %s", e.Data)
	}
	return e
}

func TestHealthz(t *testing.T) {
	h := newApp(t, testenv.Open(t, database.SQLite), nil)
	r := get(h, "/healthz")
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", r.status)
	}
	var body map[string]string
	r.decode(t, &body)
	if len(body) != 1 || body["status"] != "ok" {
		t.Fatalf("body = %s, want {\"status\":\"ok\"}", r.body)
	}
}

func TestReadyz(t *testing.T) {
	type readiness struct{ Status, Reason string }
	expectUnavailable := func(t *testing.T, r response, reason string) {
		t.Helper()
		if r.status != http.StatusServiceUnavailable {
			t.Fatalf("status = %d, want 503; body %s", r.status, r.body)
		}
		var body readiness
		r.decode(t, &body)
		if body.Status != "unavailable" || !strings.Contains(body.Reason, reason) {
			t.Fatalf("body = %s, want status unavailable and a reason mentioning %q", r.body, reason)
		}
	}

	testenv.Each(t, func(t *testing.T, db *database.DB) {
		t.Run("ReadyOnMigratedDatabase", func(t *testing.T) {
			r := get(newApp(t, db, nil), "/readyz")
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", r.status, r.body)
			}
			var body readiness
			r.decode(t, &body)
			if body.Status != "ready" {
				t.Fatalf("body = %s, want status ready", r.body)
			}
		})

		t.Run("UnavailableWithMigrationMissing", func(t *testing.T) {
			all, err := database.Migrations(db.Dialect)
			if err != nil {
				t.Fatalf("migrations: %v", err)
			}
			last := all[len(all)-1].Version
			if _, err := db.SQL.Exec(`DELETE FROM lectern_schema_migrations WHERE version = $1`, last); err != nil {
				t.Fatalf("forget %s: %v", last, err)
			}
			expectUnavailable(t, get(newApp(t, db, nil), "/readyz"), "1 migrations pending: "+last)
		})

		t.Run("UnavailableOnClosedDatabase", func(t *testing.T) {
			h := newApp(t, db, nil)
			if err := db.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			r := get(h, "/readyz")
			expectUnavailable(t, r, "database unreachable")
			if bytes.Contains(r.body, []byte("closed")) {
				t.Errorf("the reason leaks the driver's error: %s", r.body)
			}
		})
	})

	t.Run("UnavailableOnUnmigratedDatabase", func(t *testing.T) {
		db, err := database.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "fresh.db"))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { _ = db.Close() })
		all, err := database.Migrations(database.SQLite)
		if err != nil {
			t.Fatalf("migrations: %v", err)
		}
		expectUnavailable(t, get(newApp(t, db, nil), "/readyz"), all[0].Version)
	})
}

func TestRequestID(t *testing.T) {
	h := newApp(t, testenv.Open(t, database.SQLite), nil)
	withID := func(id string) response {
		r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		r.Header.Set(obs.HeaderRequestID, id)
		return serve(h, r)
	}

	t.Run("MintedWhenAbsent", func(t *testing.T) {
		a := get(h, "/healthz").header.Get(obs.HeaderRequestID)
		b := get(h, "/healthz").header.Get(obs.HeaderRequestID)
		if !obs.ValidRequestID(a) || len(a) != 26 {
			t.Fatalf("minted ID %q, want 26 base32 characters", a)
		}
		if a == b {
			t.Fatalf("two requests got the same ID %q", a)
		}
	})

	t.Run("ReusedWhenWellFormed", func(t *testing.T) {
		for _, id := range []string{"client-abc_123:x.Y", strings.Repeat("a", obs.MaxRequestIDLen)} {
			if got := withID(id).header.Get(obs.HeaderRequestID); got != id {
				t.Errorf("sent %q, got back %q", id, got)
			}
		}
	})

	t.Run("ReplacedWhenMalformed", func(t *testing.T) {
		for name, id := range map[string]string{
			"Spaces":      "has spaces in it",
			"TooLong":     strings.Repeat("a", 200),
			"Semicolon":   "a;b",
			"Quote":       `a"b`,
			"NonASCII":    "idé",
			"JustTooLong": strings.Repeat("b", obs.MaxRequestIDLen+1),
		} {
			t.Run(name, func(t *testing.T) {
				got := withID(id).header.Get(obs.HeaderRequestID)
				if got == id || !obs.ValidRequestID(got) || len(got) != 26 {
					t.Fatalf("sent %q, got back %q; want a freshly minted ID", id, got)
				}
			})
		}
	})

	t.Run("ErrorBodyQuotesTheSameID", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/nowhere", nil)
		r.Header.Set(obs.HeaderRequestID, "trace-42")
		e := serve(h, r).expectError(t, http.StatusNotFound, "NOT_FOUND")
		if got := e.Errors[0].Extensions.RequestID; got != "trace-42" {
			t.Fatalf("requestId = %q, want trace-42", got)
		}
	})
}

func TestRoutes(t *testing.T) {
	h := newApp(t, testenv.Open(t, database.SQLite), map[string]string{"MAX_BODY_BYTES": "2048"})

	t.Run("UnknownPathIsNotFound", func(t *testing.T) {
		for _, path := range []string{"/nope", "/v1/graphql/extra", "/v2/graphql"} {
			get(h, path).expectError(t, http.StatusNotFound, "NOT_FOUND")
		}
		serve(h, httptest.NewRequest(http.MethodPost, "/healthz", nil)).expectError(t, http.StatusNotFound, "NOT_FOUND")
	})

	t.Run("GraphQLRefusesGet", func(t *testing.T) {
		r := get(h, "/v1/graphql?query=%7B__typename%7D")
		r.expectError(t, http.StatusMethodNotAllowed, "BAD_USER_INPUT")
		if allow := r.header.Get("Allow"); allow != http.MethodPost {
			t.Errorf("Allow = %q, want POST", allow)
		}
	})

	t.Run("GraphQLRefusesNonJSON", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader(`query={__typename}`))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		serve(h, r).expectError(t, http.StatusUnsupportedMediaType, "BAD_USER_INPUT")
	})

	// Batches and bodies of the wrong shape stop here, with the request
	// error code, before the GraphQL transport could quote them anywhere.
	t.Run("GraphQLRefusesWrongBodyShape", func(t *testing.T) {
		for _, body := range []string{
			`[{"query":"{ __typename }"},{"query":"{ __typename }"}]`,
			`{"query":"{ __typename }","operationName":5}`,
			`{"query":"{ __typename }","variables":[1]}`,
			`"just a string"`,
		} {
			e := postGraphQL(h, body).expectError(t, http.StatusBadRequest, "BAD_USER_INPUT")
			if strings.Contains(e.Errors[0].Message, "__typename") {
				t.Errorf("the refusal quotes the body: %q", e.Errors[0].Message)
			}
		}
	})

	t.Run("GraphQLAnswersWithinBodyLimit", func(t *testing.T) {
		body := `{"query":"{ __typename }` + strings.Repeat(" ", 1900) + `"}`
		r := postGraphQL(h, body)
		if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(`"__typename":"Query"`)) {
			t.Fatalf("a %d-byte request got %d %s", len(body), r.status, r.body)
		}
	})

	// 4 KiB against MAX_BODY_BYTES=2048: refused with 413 in the API's
	// error shape, and nothing executed (no data in the answer).
	t.Run("GraphQLRefusesBodyOverLimit", func(t *testing.T) {
		body := `{"query":"{ courses { totalCount } }` + strings.Repeat(" ", 4096) + `"}`
		e := postGraphQL(h, body).expectError(t, http.StatusRequestEntityTooLarge, "BAD_USER_INPUT")
		if !strings.Contains(e.Errors[0].Message, "2048") {
			t.Errorf("message %q does not state the limit", e.Errors[0].Message)
		}
	})

	t.Run("GraphQLRefusesChunkedBodyOverLimit", func(t *testing.T) {
		body := `{"query":"{ courses { totalCount } }` + strings.Repeat(" ", 4096) + `"}`
		r := httptest.NewRequest(http.MethodPost, "/v1/graphql", io.NopCloser(strings.NewReader(body)))
		r.ContentLength = -1 // length unknown up front, as with chunked uploads
		r.Header.Set("Content-Type", "application/json")
		serve(h, r).expectError(t, http.StatusRequestEntityTooLarge, "BAD_USER_INPUT")
	})
}

func TestSecurityHeaders(t *testing.T) {
	db := testenv.Open(t, database.SQLite)
	h := newApp(t, db, nil)
	for name, r := range map[string]response{
		"Healthz":    get(h, "/healthz"),
		"Readyz":     get(h, "/readyz"),
		"NotFound":   get(h, "/nope"),
		"Playground": get(h, "/"),
		"GraphQL":    postGraphQL(h, `{"query":"{ __typename }"}`),
		"GraphQLGet": get(h, "/v1/graphql"),
	} {
		t.Run(name, func(t *testing.T) {
			for header, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
			} {
				if got := r.header.Get(header); got != want {
					t.Errorf("%s = %q, want %q", header, got, want)
				}
			}
		})
	}
}

func TestPlayground(t *testing.T) {
	sqliteProd := func(env string) map[string]string {
		return map[string]string{
			"APP_ENV": env, "ALLOW_SQLITE_IN_PRODUCTION": "true",
			"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "app.db"),
		}
	}
	db := testenv.Open(t, database.SQLite)

	for name, vars := range map[string]map[string]string{
		"ServedInDev":   {"APP_ENV": "dev"},
		"ServedInStage": sqliteProd("stage"),
	} {
		t.Run(name, func(t *testing.T) {
			r := get(newApp(t, db, vars), "/")
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200", r.status)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want HTML", ct)
			}
			if !bytes.Contains(r.body, []byte("<title>Lectern GraphQL Playground</title>")) ||
				!bytes.Contains(r.body, []byte(`data-endpoint="/v1/graphql"`)) {
				t.Errorf("the page is not the playground for /v1/graphql: %s", r.body)
			}
			if r.header.Get("Content-Security-Policy") == "" {
				t.Errorf("the playground page has no Content-Security-Policy")
			}
		})
	}

	notServed := func(t *testing.T, h http.Handler) {
		t.Helper()
		for _, path := range []string{"/", "/playground/lectern-playground.js"} {
			r := get(h, path)
			r.expectError(t, http.StatusNotFound, "NOT_FOUND")
			if bytes.Contains(r.body, []byte("Playground")) {
				t.Errorf("%s serves the playground in prod: %s", path, r.body)
			}
		}
	}
	t.Run("NotServedInProdOnSQLite", func(t *testing.T) {
		notServed(t, newApp(t, db, sqliteProd("prod")))
	})
	t.Run("NotServedInProdOnPostgres", func(t *testing.T) {
		pg := testenv.Open(t, database.Postgres)
		notServed(t, newApp(t, pg, map[string]string{"APP_ENV": "prod", "DATABASE_URL": testenv.Postgres(t)}))
	})
}

func TestDebugExtensions(t *testing.T) {
	// Dev responses list the SQL each request ran; no other environment may.
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		testenv.Seeded(t, db)
		query := `{"query":"{ courses { totalCount } }"}`
		dev := postGraphQL(newApp(t, db, map[string]string{"APP_ENV": "dev"}), query)
		if dev.status != http.StatusOK || !bytes.Contains(dev.body, []byte(`"sqlQueries"`)) {
			t.Fatalf("dev response: %d %s; want data and extensions.debug.sqlQueries", dev.status, dev.body)
		}
		prod := postGraphQL(newApp(t, db, map[string]string{
			"APP_ENV": "prod", "ALLOW_SQLITE_IN_PRODUCTION": "true", "DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "x.db"),
		}), query)
		if prod.status != http.StatusOK || !bytes.Contains(prod.body, []byte(`"totalCount"`)) {
			t.Fatalf("prod response: %d %s; want data", prod.status, prod.body)
		}
		if bytes.Contains(prod.body, []byte("sqlQueries")) || bytes.Contains(prod.body, []byte("SELECT")) {
			t.Fatalf("prod response shows SQL: %s", prod.body)
		}
	})
}

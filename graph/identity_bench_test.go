package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"lectern/ent/user"
	"lectern/internal/app"
	"lectern/internal/auth/password"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

const benchPassword = "bench passphrase of some length"

// BenchmarkLogIn measures one logIn (transport TOKEN) through the whole
// handler: throttle count and refund, argon2id verification, the session
// insert and its audit row. argon2id dominates by design.
func BenchmarkLogIn(b *testing.B) {
	eachBenchDialect(b, func(b *testing.B, h http.Handler) {
		for b.Loop() {
			benchLogIn(b, h)
		}
	})
}

// BenchmarkSignedInViewer measures a small query made with a bearer
// session token: authentication (session and account lookup) plus
// `viewer { user sessions }`.
func BenchmarkSignedInViewer(b *testing.B) {
	eachBenchDialect(b, func(b *testing.B, h http.Handler) {
		token := benchLogIn(b, h)
		doc := `{ viewer { user { id email } sessions { id current } } }`
		for b.Loop() {
			benchPost(b, h, token, doc, nil)
		}
	})
}

func eachBenchDialect(b *testing.B, fn func(b *testing.B, h http.Handler)) {
	dialects := []string{database.SQLite}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		dialects = append(dialects, database.Postgres)
	}
	for _, d := range dialects {
		b.Run(d, func(b *testing.B) {
			db := testenv.Open(b, d)
			h, err := password.NewHasher(password.DefaultParams())
			if err != nil {
				b.Fatal(err)
			}
			hash, err := h.Hash(context.Background(), benchPassword)
			if err != nil {
				b.Fatal(err)
			}
			db.Ent.User.Create().SetEmail("bench@example.com").SetDisplayName("Bench").SetRole(user.RoleLEARNER).
				SetPasswordHash(hash).ExecX(viewer.SystemContext(context.Background()))
			cfg, err := config.Load(func(string) string { return "" })
			if err != nil {
				b.Fatal(err)
			}
			cfg.Storage.Dir = b.TempDir()
			a, err := app.Build(cfg, db, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			fn(b, a.Handler)
		})
	}
}

func benchLogIn(b *testing.B, h http.Handler) string {
	var out struct {
		LogIn struct {
			Token *string `json:"token"`
		} `json:"logIn"`
	}
	benchPost(b, h, "", `mutation($p: String!) { logIn(input: {email: "bench@example.com", password: $p, transport: TOKEN}) { token } }`,
		map[string]any{"p": benchPassword}, &out)
	if out.LogIn.Token == nil {
		b.Fatal("logIn returned no token")
	}
	return *out.LogIn.Token
}

func benchPost(b *testing.B, h http.Handler, token, doc string, vars map[string]any, data ...any) {
	body, _ := json.Marshal(map[string]any{"query": doc, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &r) != nil || len(r.Errors) > 0 {
		b.Fatalf("request failed (%d): %s", rec.Code, rec.Body.Bytes())
	}
	if len(data) > 0 {
		if err := json.Unmarshal(r.Data, data[0]); err != nil {
			b.Fatal(err)
		}
	}
}

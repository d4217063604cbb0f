package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/testenv"
)

// benchCourses is the size of the benchmark catalogue.
const benchCourses = 200

// BenchmarkCatalogueQuery posts the catalogue page (catalogueDoc, 20
// courses) through the whole HTTP handler, on SQLite and, when
// TEST_DATABASE_URL is set, on PostgreSQL. The handler is assembled as the
// server assembles it in development (statement log on, so sql-stmts/op can
// be reported) with the default dataloader window, not the wide window the
// tests use.
func BenchmarkCatalogueQuery(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchCatalogue(b, testenv.Open(b, database.SQLite)) })
	if os.Getenv("TEST_DATABASE_URL") != "" {
		b.Run("postgres", func(b *testing.B) { benchCatalogue(b, testenv.Open(b, database.Postgres)) })
	}
}

// benchHandler assembles the handler as the server does in development,
// with the default dataloader window.
func benchHandler(b *testing.B, db *database.DB) http.Handler {
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	cfg.Storage.Dir = b.TempDir()
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.Build(cfg, db, logger)
	if err != nil {
		b.Fatal(err)
	}
	return a.Handler
}

func benchCatalogue(b *testing.B, db *database.DB) {
	seedSynthetic(b, db, benchCourses)
	h := benchHandler(b, db)
	body, err := json.Marshal(map[string]any{"query": catalogueDoc, "variables": map[string]any{"n": 20}})
	if err != nil {
		b.Fatal(err)
	}
	post := func() int {
		req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var r struct {
			Errors     []json.RawMessage `json:"errors"`
			Extensions struct {
				Debug struct {
					SQLQueryCount int `json:"sqlQueryCount"`
				} `json:"debug"`
			} `json:"extensions"`
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &r) != nil || len(r.Errors) > 0 {
			b.Fatalf("catalogue query failed (%d): %s", rec.Code, rec.Body.Bytes())
		}
		return r.Extensions.Debug.SQLQueryCount
	}
	post() // warm the connection pool and statement caches

	var statements int
	b.ReportAllocs()
	for b.Loop() {
		statements += post()
	}
	b.ReportMetric(float64(statements)/float64(b.N), "sql-stmts/op")
}

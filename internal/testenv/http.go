package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"lectern/internal/app"
	"lectern/internal/cache"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/sealed"
	"lectern/internal/seed"
)

// Now is the fixed clock of seeded test data.
var Now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// Seeded returns db after loading the demo dataset into it.
func Seeded(t testing.TB, db *database.DB) *database.DB {
	t.Helper()
	if _, err := seed.Demo(context.Background(), db.Ent, Now); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	return db
}

// Client posts GraphQL documents to a handler assembled exactly as the
// server assembles it (dev configuration, so responses carry
// extensions.debug.sqlQueries).
type Client struct {
	t       testing.TB
	Handler http.Handler
	Logs    *Buffer
}

// NewClient builds the application over db through app.Build, as the
// server does, sealing TOTP secrets with TOTPKey and batching dataloads over
// a window wide enough for statement counts not to depend on scheduling;
// opts come after and may override that. The queue only inserts unless an
// option says otherwise. It fails the test when the app cannot be built,
// and, when the test ends, for every write a request made to public tables
// without declaring its cache tags (checkUndeclaredWrites).
func NewClient(t testing.TB, db *database.DB, opts ...app.Option) *Client {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.Storage.Dir = t.TempDir()
	cfg.TOTPEncryptionKeys = []sealed.Key{TOTPKey()}
	logs := &Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.Build(cfg, db, logger, append([]app.Option{app.WithLoaderWait(50 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	t.Cleanup(func() { checkUndeclaredWrites(t, logs) })
	t.Cleanup(a.Close)
	return &Client{t: t, Handler: a.Handler, Logs: logs}
}

// checkUndeclaredWrites fails the test for every write to public tables
// that a request made without declaring its cache tags: the cache logs
// cache.UndeclaredWrite at ERROR for it (and drops everything).
func checkUndeclaredWrites(t testing.TB, logs *Buffer) {
	t.Helper()
	for line := range bytes.Lines(logs.Bytes()) {
		var rec struct {
			Level  string          `json:"level"`
			Msg    string          `json:"msg"`
			Tables json.RawMessage `json:"tables"`
		}
		if json.Unmarshal(line, &rec) != nil || rec.Msg != cache.UndeclaredWrite || rec.Level != slog.LevelError.String() {
			continue
		}
		t.Errorf("a request wrote public tables %s without declaring cache tags (database.Tx.Touch, database.Touching): %s",
			rec.Tables, bytes.TrimSpace(line))
	}
}

// For returns a copy of c that reports to t, for subtests and fuzz targets
// sharing one handler.
func (c *Client) For(t testing.TB) *Client {
	cp := *c
	cp.t = t
	return &cp
}

// Response is a decoded GraphQL response.
type Response struct {
	Status int
	Header http.Header
	// Size is the length of the body in bytes.
	Size       int
	Data       json.RawMessage `json:"data"`
	Errors     []Error         `json:"errors"`
	Extensions struct {
		ErrorsOmitted int `json:"errorsOmitted"`
		Debug         struct {
			SQLQueries    []string `json:"sqlQueries"`
			SQLQueryCount int      `json:"sqlQueryCount"`
		} `json:"debug"`
	} `json:"extensions"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Extensions struct {
		Code      string `json:"code"`
		RequestID string `json:"requestId"`
	} `json:"extensions"`
}

// Query posts query with variables and decodes the answer.
func (c *Client) Query(query string, vars map[string]any) Response {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return c.Do(req)
}

// Do sends any request to the handler and decodes a GraphQL-shaped answer.
func (c *Client) Do(req *http.Request) Response {
	c.t.Helper()
	rec := httptest.NewRecorder()
	c.Handler.ServeHTTP(rec, req)
	raw, _ := io.ReadAll(rec.Body)
	var r Response
	if len(raw) > 0 && json.Unmarshal(raw, &r) != nil {
		c.t.Fatalf("response is not JSON (%d): %s", rec.Code, raw)
	}
	r.Status, r.Header, r.Size = rec.Code, rec.Header(), len(raw)
	return r
}

// Decode unmarshals the response data into v, failing the test on errors.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

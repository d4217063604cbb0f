package obs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lectern/internal/apperr"
)

type logLine map[string]any

// captureLogs returns a JSON logger at debug level and a function decoding
// everything it has written so far, one map per line.
func captureLogs(t *testing.T) (*slog.Logger, func() []logLine) {
	t.Helper()
	var buf bytes.Buffer
	logger := NewLogger(&buf, FormatJSON, slog.LevelDebug)
	return logger, func() []logLine {
		t.Helper()
		var lines []logLine
		sc := bufio.NewScanner(bytes.NewReader(buf.Bytes()))
		for sc.Scan() {
			var l logLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
			}
			lines = append(lines, l)
		}
		return lines
	}
}

func findLine(t *testing.T, lines []logLine, msg string) logLine {
	t.Helper()
	for _, l := range lines {
		if l["msg"] == msg {
			return l
		}
	}
	t.Fatalf("no %q line in %v", msg, lines)
	return nil
}

func TestHeaderOnEveryResponse(t *testing.T) {
	tests := []struct {
		name    string
		handler http.Handler
		status  int
	}{
		{"ok", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") }), 200},
		{"not found", http.NotFoundHandler(), 404},
		{"panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }), 500},
		{"silent", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, _ := captureLogs(t)
			rec := httptest.NewRecorder()
			Middleware(logger)(tt.handler).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/missing", nil))
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			if id := rec.Header().Get(HeaderRequestID); !ValidRequestID(id) {
				t.Errorf("X-Request-ID = %q, want a valid ID", id)
			}
		})
	}
}

func TestAccessLogLine(t *testing.T) {
	logger, lines := captureLogs(t)
	h := Middleware(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		LoggerFromContext(r.Context(), nil).Info("inside")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "hello")
	}))
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql?token=query-secret", strings.NewReader(`{"query":"body-secret"}`))
	req.RemoteAddr = "192.0.2.7:51234"
	req.Header.Set(HeaderRequestID, "req-42")
	req.Header.Set("Authorization", "Bearer header-secret")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	got := lines()
	inside := findLine(t, got, "inside")
	if inside[KeyRequestID] != "req-42" {
		t.Errorf("handler log request_id = %v, want req-42", inside[KeyRequestID])
	}
	access := findLine(t, got, "request")
	want := logLine{
		"level":       "INFO",
		"method":      "POST",
		"path":        "/v1/graphql",
		"status":      float64(201),
		"bytes":       float64(5),
		KeyRequestID:  "req-42",
		"remote_addr": "192.0.2.7:51234",
	}
	for k, v := range want {
		if access[k] != v {
			t.Errorf("access log %s = %v, want %v", k, access[k], v)
		}
	}
	if d, ok := access["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("duration_ms = %v, want a non-negative number", access["duration_ms"])
	}
	if n := strings.Count(rec.Body.String(), "hello"); n != 1 {
		t.Errorf("body = %q", rec.Body.String())
	}

	var all bytes.Buffer
	for _, l := range got {
		b, _ := json.Marshal(l)
		all.Write(b)
	}
	for _, leak := range []string{"query-secret", "token", "body-secret", "header-secret", "Authorization", "203.0.113.9"} {
		if strings.Contains(all.String(), leak) {
			t.Errorf("log contains %q: %s", leak, all.String())
		}
	}
}

func TestAccessLogStatusAndLevel(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		status  float64
		level   string
	}{
		{"implicit 200", func(http.ResponseWriter, *http.Request) {}, 200, "INFO"},
		{"write implies 200", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "x") }, 200, "INFO"},
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, 404, "INFO"},
		{"informational then final", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusAccepted)
		}, 202, "INFO"},
		{"server error", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }, 502, "ERROR"},
		{"refused for now", func(w http.ResponseWriter, r *http.Request) {
			WriteRetryLater(w, r, http.StatusServiceUnavailable, apperr.Unavailable, "busy", time.Second)
		}, 503, "WARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, lines := captureLogs(t)
			AccessLog(logger)(tt.handler).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
			l := findLine(t, lines(), "request")
			if l["status"] != tt.status || l["level"] != tt.level {
				t.Errorf("status=%v level=%v, want %v %v", l["status"], l["level"], tt.status, tt.level)
			}
			if !ValidRequestID(l[KeyRequestID].(string)) {
				t.Errorf("request_id = %v, want one minted by AccessLog", l[KeyRequestID])
			}
		})
	}
}

// TestAccessLogClientGone: a request whose client went away is logged at
// INFO and marked, whatever status the handler still wrote.
func TestAccessLogClientGone(t *testing.T) {
	logger, lines := captureLogs(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }
	AccessLog(logger)(http.HandlerFunc(h)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil))
	l := findLine(t, lines(), "request")
	if l["level"] != "INFO" || l["client_gone"] != true {
		t.Errorf("level=%v client_gone=%v, want INFO true", l["level"], l["client_gone"])
	}
}

func TestAccessLogWithoutRecoverLogsAndRepanics(t *testing.T) {
	logger, lines := captureLogs(t)
	h := AccessLog(logger)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the original panic", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}()
	l := findLine(t, lines(), "request")
	if l["aborted"] != true || l["status"] != float64(500) || l["level"] != "ERROR" {
		t.Errorf("access line = %v, want aborted 500 at ERROR", l)
	}
}

func TestRecoverWritesJSONError(t *testing.T) {
	logger, lines := captureLogs(t)
	h := Middleware(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/graphql?q=1", nil))

	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if ce := rec.Header().Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding = %q survived", ce)
	}
	if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Error("unrelated header dropped")
	}
	id := rec.Header().Get(HeaderRequestID)
	var body struct {
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code      string `json:"code"`
				RequestID string `json:"requestId"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	if len(body.Errors) != 1 {
		t.Fatalf("errors = %+v", body.Errors)
	}
	e := body.Errors[0]
	if e.Message != "internal server error" || e.Extensions.Code != "INTERNAL" || e.Extensions.RequestID != id || id == "" {
		t.Errorf("error = %+v, header ID %q", e, id)
	}

	got := lines()
	p := findLine(t, got, "panic recovered")
	if p[KeyRequestID] != id || p["panic"] != "boom" || p["level"] != "ERROR" || p["path"] != "/v1/graphql" {
		t.Errorf("panic line = %v, want request_id %q", p, id)
	}
	if stack, _ := p["stack"].(string); !strings.Contains(stack, "TestRecoverWritesJSONError") {
		t.Errorf("stack does not reach the panicking handler:\n%s", stack)
	}
	if a := findLine(t, got, "request"); a[KeyRequestID] != id || a["status"] != float64(500) {
		t.Errorf("access line = %v, want status 500 and request_id %q", a, id)
	}
}

func TestRecoverAfterWriteAborts(t *testing.T) {
	logger, lines := captureLogs(t)
	h := Recover(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"data":`)
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", p)
			}
		}()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	}()
	if rec.Body.String() != `{"data":` {
		t.Errorf("body = %q, want the partial write untouched", rec.Body.String())
	}
	findLine(t, lines(), "panic recovered")
}

func TestRecoverRepanicsAbortHandler(t *testing.T) {
	logger, lines := captureLogs(t)
	h := Recover(logger)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", p)
			}
		}()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	}()
	if len(lines()) != 0 {
		t.Errorf("abort was logged: %v", lines())
	}
	if rec.Body.Len() != 0 {
		t.Errorf("abort wrote a body: %q", rec.Body.String())
	}
}

func TestRecorderKeepsFlusher(t *testing.T) {
	logger, lines := captureLogs(t)
	var assertOK bool
	var controllerErr error
	h := Middleware(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "chunk")
		var f http.Flusher
		f, assertOK = w.(http.Flusher)
		if assertOK {
			f.Flush()
		}
		controllerErr = http.NewResponseController(w).Flush()
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if !assertOK {
		t.Error("wrapped writer is not an http.Flusher")
	}
	if controllerErr != nil {
		t.Errorf("ResponseController.Flush: %v", controllerErr)
	}
	if !rec.Flushed {
		t.Error("flush did not reach the underlying writer")
	}
	if l := findLine(t, lines(), "request"); l["bytes"] != float64(5) {
		t.Errorf("bytes = %v, want 5", l["bytes"])
	}
}

func TestRecorderFlushBeforeWriteCountsAsWritten(t *testing.T) {
	logger, _ := captureLogs(t)
	h := Recover(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		panic("boom")
	}))
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler once headers were flushed", p)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}

func TestRecorderUnwrap(t *testing.T) {
	rec := httptest.NewRecorder()
	w := wrap(rec)
	if w.Unwrap() != rec {
		t.Error("Unwrap did not return the wrapped writer")
	}
	if wrap(w) != w {
		t.Error("wrap added a second layer")
	}
}

func TestStreamingThroughRealServer(t *testing.T) {
	logger, _ := captureLogs(t)
	release := make(chan struct{})
	srv := httptest.NewServer(Middleware(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		<-release
		_, _ = io.WriteString(w, "second\n")
	})))
	defer srv.Close()
	defer close(release)

	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer res.Body.Close()
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first chunk = %q, %v; want it before the handler finished", line, err)
	}
}

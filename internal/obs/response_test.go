package obs

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"lectern/internal/apperr"
)

func TestWriteErrorAnswersInTheGraphQLErrorShape(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/nowhere", nil)
	r = r.WithContext(ContextWithRequestID(r.Context(), "req-7"))
	rec := httptest.NewRecorder()
	WriteError(rec, r, http.StatusNotFound, apperr.NotFound, "no such endpoint")

	if rec.Code != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", rec.Code)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"} {
		if got := rec.Header().Get(k); got != want {
			t.Fatalf("%s = %q, want %q", k, got, want)
		}
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
	}
	want := map[string]any{"errors": []any{map[string]any{
		"message":    "no such endpoint",
		"extensions": map[string]any{"code": "NOT_FOUND", "requestId": "req-7"},
	}}}
	if got, _ := json.Marshal(body); string(got) != mustJSON(t, want) {
		t.Fatalf("body = %s, want %s", got, mustJSON(t, want))
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "{\"status\":\"unavailable\"}\n" {
		t.Fatalf("got %d %q", rec.Code, rec.Body)
	}
	if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("headers = %v, want JSON and no-store", rec.Header())
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package httpserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"lectern/internal/httpserver"
)

// TestDebugVars: /debug/vars reports the runtime's memory statistics and
// the counters it is given, and the profiles are listed under
// /debug/pprof/; nothing else is served.
func TestDebugVars(t *testing.T) {
	t.Parallel()
	h := httpserver.Debug(func() map[string]int64 { return map[string]int64{"sql_statements": 7} })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/vars", nil))
	var vars struct {
		Memstats struct{ TotalAlloc, Mallocs uint64 }
		Lectern  map[string]int64
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &vars); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("/debug/vars: %d %v\n%s", rec.Code, err, rec.Body)
	}
	if vars.Memstats.TotalAlloc == 0 || vars.Memstats.Mallocs == 0 || vars.Lectern["sql_statements"] != 7 {
		t.Fatalf("/debug/vars = %+v", vars)
	}
	for path, want := range map[string]int{"/debug/pprof/": http.StatusOK, "/v1/graphql": http.StatusNotFound} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, want)
		}
	}
}

package httpserver

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"runtime"
)

// Counters reports the process's running totals by name, for /debug/vars.
type Counters func() map[string]int64

// Debug returns the diagnostics surface served on DEBUG_ADDR, a loopback
// listener of its own, never on the API's: CPU, heap and goroutine profiles
// under /debug/pprof/ (go tool pprof reads them; the load benchmark records
// default.pgo from /debug/pprof/profile), and /debug/vars, a JSON document
// with the runtime's memory statistics ("memstats") and counters
// ("lectern"), from which per-request costs are computed as differences.
func Debug(counters Counters) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/vars", func(w http.ResponseWriter, _ *http.Request) {
		var mem runtime.MemStats
		runtime.ReadMemStats(&mem)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"memstats":   &mem,
			"goroutines": runtime.NumGoroutine(),
			"lectern":    counters(),
		})
	})
	return mux
}

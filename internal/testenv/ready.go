package testenv

import (
	"net/http"
	"testing"
	"time"
)

// WaitReady polls base+"/readyz" until it answers 200, a bounded number of
// times. ended reports a non-empty reason once the server process has
// stopped, so a crash fails at once with that reason instead of waiting.
func WaitReady(t testing.TB, base string, ended func() string) {
	t.Helper()
	probe := &http.Client{Timeout: 5 * time.Second}
	last := "no answer"
	for range 600 {
		if reason := ended(); reason != "" {
			t.Fatalf("the server stopped before it was ready: %s", reason)
		}
		resp, err := probe.Get(base + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s/readyz never answered 200 (last: %s)", base, last)
}

package config

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLoadReconcileInterval(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  time.Duration
	}{
		{"", time.Hour},
		{"0", 0},
		{"0s", 0},
		{"1m", time.Minute},
		{" 30m ", 30 * time.Minute},
		{"168h", 7 * 24 * time.Hour},
	} {
		t.Run(tt.value, func(t *testing.T) {
			if got := mustLoad(t, map[string]string{VarReconcileInterval: tt.value}).ReconcileInterval; got != tt.want {
				t.Errorf("RECONCILE_INTERVAL=%q: %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestLoadRejectsReconcileInterval(t *testing.T) {
	for _, tt := range []struct{ value, problem string }{
		{"hourly", `RECONCILE_INTERVAL: "hourly" is not a duration (e.g. 15s, 2m)`},
		{"-1h", `RECONCILE_INTERVAL: "-1h" is outside 0s..168h0m0s`},
		{"169h", `RECONCILE_INTERVAL: "169h" is outside 0s..168h0m0s`},
		{"30s", `RECONCILE_INTERVAL: "30s" is shorter than 1m0s; use 0 to turn reconciliation off`},
		{"1ns", `RECONCILE_INTERVAL: "1ns" is shorter than 1m0s; use 0 to turn reconciliation off`},
	} {
		t.Run(tt.value, func(t *testing.T) {
			problems := loadProblems(t, map[string]string{VarReconcileInterval: tt.value})
			if len(problems) != 1 || problems[0] != tt.problem {
				t.Errorf("problems %q, want only %q", problems, tt.problem)
			}
		})
	}
}

// TestLoadListsReconcileProblemWithOthers: a bad interval is one more line
// in the one report, not a stop at the first problem.
func TestLoadListsReconcileProblemWithOthers(t *testing.T) {
	problems := loadProblems(t, map[string]string{
		VarReconcileInterval: "5s",
		VarHTTPAddr:          "nowhere",
		VarCacheTTL:          "forever",
	})
	joined := strings.Join(problems, "\n")
	for _, want := range []string{"HTTP_ADDR:", "CACHE_TTL:", "RECONCILE_INTERVAL:"} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %s:\n%s", want, joined)
		}
	}
}

func TestLogValueListsReconcileInterval(t *testing.T) {
	c := mustLoad(t, map[string]string{VarReconcileInterval: "2h"})
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	var line struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("decode log line: %v", err)
	}
	if got := line.Config["reconcile_interval"]; got != float64(2*time.Hour) {
		t.Errorf("config.reconcile_interval = %v, want %d", got, 2*time.Hour)
	}
}

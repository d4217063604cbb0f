package config

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"
)

func TestLoadJobRescueAfter(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  time.Duration
	}{
		{"", time.Hour},
		{"1s", time.Second},
		{" 5s ", 5 * time.Second},
		{"90m", 90 * time.Minute},
		{"168h", 7 * 24 * time.Hour},
	} {
		t.Run(tt.value, func(t *testing.T) {
			if got := mustLoad(t, map[string]string{VarJobRescueAfter: tt.value}).JobRescueAfter; got != tt.want {
				t.Errorf("JOB_RESCUE_AFTER=%q: %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestLoadRejectsJobRescueAfter(t *testing.T) {
	for _, tt := range []struct{ value, problem string }{
		{"soon", `JOB_RESCUE_AFTER: "soon" is not a duration (e.g. 15s, 2m)`},
		{"0", `JOB_RESCUE_AFTER: "0" is outside 1s..168h0m0s`},
		{"-1m", `JOB_RESCUE_AFTER: "-1m" is outside 1s..168h0m0s`},
		{"500ms", `JOB_RESCUE_AFTER: "500ms" is outside 1s..168h0m0s`},
		{"169h", `JOB_RESCUE_AFTER: "169h" is outside 1s..168h0m0s`},
	} {
		t.Run(tt.value, func(t *testing.T) {
			problems := loadProblems(t, map[string]string{VarJobRescueAfter: tt.value})
			if len(problems) != 1 || problems[0] != tt.problem {
				t.Errorf("problems %q, want only %q", problems, tt.problem)
			}
		})
	}
}

func TestLogValueListsJobRescueAfter(t *testing.T) {
	c := mustLoad(t, map[string]string{VarJobRescueAfter: "3s"})
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	var line struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("decode log line: %v", err)
	}
	if got := line.Config["job_rescue_after"]; got != float64(3*time.Second) {
		t.Errorf("config.job_rescue_after = %v, want %d", got, 3*time.Second)
	}
}

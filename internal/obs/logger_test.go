package obs

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestNewLogger(t *testing.T) {
	tests := []struct {
		name      string
		format    string
		level     slog.Leveler
		logDebug  bool
		wantJSON  bool
		wantLines int
	}{
		{"json info drops debug", FormatJSON, slog.LevelInfo, true, true, 1},
		{"json debug keeps debug", FormatJSON, slog.LevelDebug, true, true, 2},
		{"text", FormatText, slog.LevelInfo, false, false, 1},
		{"unknown format falls back to text", "xml", slog.LevelInfo, false, false, 1},
		{"nil level means info", FormatJSON, nil, true, true, 1},
		{"warn drops info", FormatText, slog.LevelWarn, false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := NewLogger(&buf, tt.format, tt.level)
			if tt.logDebug {
				l.Debug("debug line")
			}
			l.Info("info line", "k", "v")
			out := strings.TrimSpace(buf.String())
			lines := 0
			if out != "" {
				lines = len(strings.Split(out, "\n"))
			}
			if lines != tt.wantLines {
				t.Fatalf("got %d lines, want %d:\n%s", lines, tt.wantLines, out)
			}
			if lines == 0 {
				return
			}
			isJSON := json.Valid([]byte(strings.Split(out, "\n")[0]))
			if isJSON != tt.wantJSON {
				t.Errorf("JSON output = %v, want %v:\n%s", isJSON, tt.wantJSON, out)
			}
		})
	}
}

func TestLoggerFromContext(t *testing.T) {
	var stored, fallback bytes.Buffer
	storedLogger := NewLogger(&stored, FormatJSON, nil)
	fallbackLogger := NewLogger(&fallback, FormatJSON, nil)
	tests := []struct {
		name       string
		ctx        context.Context
		wantStored bool
		wantID     string
	}{
		{"stored logger wins", ContextWithLogger(ContextWithRequestID(context.Background(), "abc"), storedLogger), true, ""},
		{"fallback gains request id", ContextWithRequestID(context.Background(), "abc"), false, "abc"},
		{"plain fallback", context.Background(), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored.Reset()
			fallback.Reset()
			LoggerFromContext(tt.ctx, fallbackLogger).Info("hi")
			buf := &fallback
			if tt.wantStored {
				buf = &stored
			}
			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("expected line missing from chosen logger: %q (%v)", buf.String(), err)
			}
			id, _ := line[KeyRequestID].(string)
			if id != tt.wantID {
				t.Errorf("request_id = %q, want %q", id, tt.wantID)
			}
		})
	}
}

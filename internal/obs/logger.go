package obs

import (
	"context"
	"io"
	"log/slog"
)

// Log formats accepted by NewLogger.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// KeyRequestID is the log attribute holding the request ID.
const KeyRequestID = "request_id"

type loggerKey struct{}

// NewLogger returns a logger writing to w at level (nil means info), as JSON
// when format is "json" and as logfmt-style text for anything else, since
// config validation has already rejected unknown formats.
func NewLogger(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == FormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// ContextWithLogger returns a copy of ctx carrying l.
func ContextWithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// LoggerFromContext returns the logger stored in ctx by AccessLog or
// ContextWithLogger. Without one it returns fallback (slog.Default() when
// fallback is nil) with the context's request ID attached, so handlers can log
// with a request_id whichever middleware ran.
func LoggerFromContext(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	if fallback == nil {
		fallback = slog.Default()
	}
	if id := RequestIDFromContext(ctx); id != "" {
		return fallback.With(KeyRequestID, id)
	}
	return fallback
}

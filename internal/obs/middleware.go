package obs

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// Middleware returns RequestID, AccessLog and Recover stacked in the order
// that lets the access log record the 500 Recover writes and lets both log
// the same request ID. logger must not be nil.
func Middleware(logger *slog.Logger) func(http.Handler) http.Handler {
	accessLog, recoverer := AccessLog(logger), Recover(logger)
	return func(next http.Handler) http.Handler {
		return RequestID(accessLog(recoverer(next)))
	}
}

// AccessLog returns middleware that logs one line per request after it
// finishes, with method, path, status, bytes, duration_ms, request_id and
// remote_addr. The query string is left out because it may carry secrets,
// headers and bodies are never logged, and remote_addr comes only from
// r.RemoteAddr because forwarding headers are client-controlled. Downstream
// handlers find a logger carrying request_id via LoggerFromContext. Lines for
// 5xx responses are logged at error level, the rest at info. logger must not
// be nil.
func AccessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r = withRequestID(w, r)
			reqLogger := logger.With(KeyRequestID, RequestIDFromContext(r.Context()))
			r = r.WithContext(ContextWithLogger(r.Context(), reqLogger))
			rec := wrap(w)
			start := time.Now()
			defer func() {
				// A panic reaching here was not turned into a response (no
				// Recover inside, or an abort); log the request anyway, then let
				// net/http tear down the connection as it would have.
				if p := recover(); p != nil {
					logAccess(reqLogger, r, rec, start, true)
					panic(p)
				}
				logAccess(reqLogger, r, rec, start, false)
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

func logAccess(l *slog.Logger, r *http.Request, rec *recorder, start time.Time, aborted bool) {
	status := rec.statusOrOK()
	if aborted && !rec.written() {
		// The client got no response at all; 200 would hide the failure.
		status = http.StatusInternalServerError
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Int64("bytes", rec.bytes),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("remote_addr", r.RemoteAddr),
	}
	level := slog.LevelInfo
	if aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
		level = slog.LevelError
	}
	if status >= http.StatusInternalServerError {
		level = slog.LevelError
		if rec.Header().Get("Retry-After") != "" {
			// Refused for now (WriteRetryLater), as a server at capacity
			// does: expected under load, and logged by the thousand then.
			level = slog.LevelWarn
		}
	}
	if r.Context().Err() != nil {
		// The client went away (or the deadline passed) mid-request: what
		// failed after that is no server fault.
		attrs = append(attrs, slog.Bool("client_gone", true))
		level = slog.LevelInfo
	}
	l.LogAttrs(r.Context(), level, "request", attrs...)
}

// Recover returns middleware that turns a handler panic into an error log
// line (panic value, stack, request_id, method, path) and, when nothing has
// been written yet, a 500 response with a GraphQL-shaped JSON error body that
// quotes the request ID. When the response has already started it cannot be
// replaced, so Recover aborts the connection with http.ErrAbortHandler rather
// than let a truncated body look complete. http.ErrAbortHandler itself is
// re-panicked untouched, since it is how handlers ask for exactly that.
// logger must not be nil.
func Recover(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r = withRequestID(w, r)
			rec := wrap(w)
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logPanic(logger, r, p)
				if rec.written() {
					panic(http.ErrAbortHandler)
				}
				writeInternalError(rec, RequestIDFromContext(r.Context()))
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

func logPanic(l *slog.Logger, r *http.Request, p any) {
	l.LogAttrs(r.Context(), slog.LevelError, "panic recovered",
		slog.String(KeyRequestID, RequestIDFromContext(r.Context())),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("panic", fmt.Sprint(p)),
		slog.String("stack", string(debug.Stack())),
	)
}

type errorBody struct {
	Errors []errorEntry `json:"errors"`
}

type errorEntry struct {
	Message    string         `json:"message"`
	Extensions errorExtension `json:"extensions"`
}

type errorExtension struct {
	Code              string `json:"code"`
	RequestID         string `json:"requestId"`
	RetryAfterSeconds int    `json:"retryAfterSeconds,omitempty"`
}

// writeInternalError drops representation headers the handler may have set
// for the body it never sent (a gzip Content-Encoding would make the JSON
// unreadable) but keeps the rest, such as CORS headers from outer middleware,
// so browsers can still read the error.
func writeInternalError(w http.ResponseWriter, requestID string) {
	h := w.Header()
	for _, k := range []string{"Content-Length", "Content-Encoding", "Content-Range", "Content-Disposition", "ETag", "Last-Modified"} {
		h.Del(k)
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusInternalServerError)
	body := errorBody{Errors: []errorEntry{{
		Message:    "internal server error",
		Extensions: errorExtension{Code: "INTERNAL", RequestID: requestID},
	}}}
	// The client is the only one who could see an encoding error, and the
	// panic has already been logged.
	_ = json.NewEncoder(w).Encode(body)
}

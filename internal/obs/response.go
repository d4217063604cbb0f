package obs

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"lectern/internal/apperr"
)

// WriteError answers with status and a body in the shape of a GraphQL error
// response, {"errors":[{"message","extensions":{"code","requestId"}}]}, so
// clients parse every failure the same way whether or not GraphQL ran. The
// request ID comes from r's context. Failing to write the body is not
// reported: only the client could notice it.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code apperr.Code, message string) {
	writeError(w, r, status, code, message, 0)
}

// WriteRetryLater answers as WriteError does, for a request refused for
// now: the client is told to retry after d (whole seconds, rounded up, at
// least one) in a Retry-After header and in extensions.retryAfterSeconds.
func WriteRetryLater(w http.ResponseWriter, r *http.Request, status int, code apperr.Code, message string, d time.Duration) {
	secs := RetryAfterSeconds(d)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, r, status, code, message, secs)
}

// RetryAfterSeconds is a wait as Retry-After and extensions.retryAfterSeconds
// say it: whole seconds, rounded up, so that waiting the number given is
// always enough, and at least one.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

func writeError(w http.ResponseWriter, r *http.Request, status int, code apperr.Code, message string, retryAfter int) {
	WriteJSON(w, status, errorBody{Errors: []errorEntry{{
		Message: message,
		Extensions: errorExtension{Code: string(code), RequestID: RequestIDFromContext(r.Context()),
			RetryAfterSeconds: retryAfter},
	}}})
}

// WriteJSON answers with status and v encoded as JSON, marked not to be
// cached because API answers depend on the caller. An encoding or write
// failure is not reported: the status line has already gone out.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

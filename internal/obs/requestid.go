// Package obs provides structured logging and per-request correlation for the
// HTTP server: request IDs, a request-scoped logger, an access log and panic
// recovery.
//
// The middlewares are meant to be stacked as
//
//	RequestID → AccessLog → Recover → handler
//
// which Middleware does in one call. Each middleware also works alone: any of
// them assigns a request ID when none is in the context yet, so logs and
// responses always agree on the ID.
package obs

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"net/http"
	"strings"
)

// HeaderRequestID is the request and response header carrying the request ID.
const HeaderRequestID = "X-Request-ID"

// MaxRequestIDLen bounds accepted incoming IDs so a client cannot bloat every
// log line of its request.
const MaxRequestIDLen = 128

type requestIDKey struct{}

// NewRequestID returns a fresh request ID: 128 random bits from crypto/rand,
// encoded as 26 characters of lower-case RFC 4648 base32 (a-z, 2-7). It
// cannot fail; crypto/rand aborts the program if the system's randomness
// source is broken.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	// Lower case survives case-insensitive tooling unchanged; 16 bytes encode
	// to exactly 26 characters, so padding would only add noise.
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// ValidRequestID reports whether s is acceptable as an incoming X-Request-ID:
// 1 to 128 bytes, each one of A-Z a-z 0-9 . _ : -. The set excludes spaces,
// quotes, control bytes and non-ASCII so an ID cannot forge or split a log
// line or a header.
func ValidRequestID(s string) bool {
	if len(s) == 0 || len(s) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !requestIDByte(s[i]) {
			return false
		}
	}
	return true
}

func requestIDByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '.', c == '_', c == ':', c == '-':
		return true
	}
	return false
}

// ContextWithRequestID returns a copy of ctx carrying id. It stores id as
// given; callers taking IDs from outside should check ValidRequestID first.
func ContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFromContext returns the request ID stored in ctx, or "" when none.
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestID is HTTP middleware that gives each request an ID: it reuses a
// well-formed incoming X-Request-ID header or mints one with NewRequestID,
// stores it in the request context and sets X-Request-ID on the response
// before next runs. A request whose context already has an ID keeps it.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, withRequestID(w, r))
	})
}

// withRequestID is shared by every middleware so that whichever runs first
// decides the ID and the rest agree with it.
func withRequestID(w http.ResponseWriter, r *http.Request) *http.Request {
	if id := RequestIDFromContext(r.Context()); id != "" {
		if w.Header().Get(HeaderRequestID) == "" && ValidRequestID(id) {
			w.Header().Set(HeaderRequestID, id)
		}
		return r
	}
	id := r.Header.Get(HeaderRequestID)
	if !ValidRequestID(id) {
		id = NewRequestID()
	}
	w.Header().Set(HeaderRequestID, id)
	return r.WithContext(ContextWithRequestID(r.Context(), id))
}

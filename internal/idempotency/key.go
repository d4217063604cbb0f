// Package idempotency makes a mutation request safe to retry. A client
// sends Idempotency-Key with a mutation; the first request with the key
// runs, and its answer is stored in the transaction that holds its effects.
// A retry of the same request gets that answer back, byte for byte, and
// runs nothing; the same key with a different request, or while the first
// is still running, is refused. The semantics are Stripe's, for GraphQL:
// one key covers one whole request, every mutation field of its document.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"lectern/internal/apperr"
	"lectern/internal/obs"
)

// The headers of the contract.
const (
	// Header carries the client's key on POST /v1/graphql.
	Header = "Idempotency-Key"
	// ReplayedHeader is "true" on an answer replayed from the store.
	ReplayedHeader = "Idempotent-Replayed"
	// MaxKeyLen bounds a key, in bytes (printable ASCII: one byte each).
	MaxKeyLen = 255
)

type keyCtx struct{}

// CheckHeader returns middleware that refuses, with 400 BAD_USER_INPUT
// and before anything runs, a request whose Idempotency-Key is empty,
// longer than 255 characters, not printable ASCII, or sent more than once;
// a well-formed key goes into the request's context (KeyFrom).
func CheckHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values, sent := r.Header[http.CanonicalHeaderKey(Header)]
		if !sent {
			next.ServeHTTP(w, r)
			return
		}
		if len(values) != 1 {
			obs.WriteError(w, r, http.StatusBadRequest, apperr.BadUserInput, "send Idempotency-Key once per request")
			return
		}
		if !validKey(values[0]) {
			obs.WriteError(w, r, http.StatusBadRequest, apperr.BadUserInput,
				"Idempotency-Key must be 1 to 255 printable ASCII characters")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyCtx{}, values[0])))
	})
}

// KeyFrom returns the request's checked Idempotency-Key, if it sent one.
func KeyFrom(ctx context.Context) (string, bool) {
	k, ok := ctx.Value(keyCtx{}).(string)
	return k, ok
}

// validKey accepts 1 to MaxKeyLen characters from space to tilde. HTTP
// trims the spaces around a header value, so a key never starts or ends
// with one.
func validKey(k string) bool {
	if len(k) == 0 || len(k) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// Fingerprint identifies a request for its key: SHA-256 (hex) over the
// operation name, the document and the variables. Variables are compared
// as values, not as text (the order of an object's members does not
// matter), and no variables equals an empty object.
func Fingerprint(operationName, query string, variables map[string]any) (string, error) {
	vars := []byte("{}")
	if len(variables) > 0 {
		var err error
		// encoding/json writes map members in key order.
		if vars, err = json.Marshal(variables); err != nil {
			return "", err
		}
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(operationName), []byte(query), vars} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

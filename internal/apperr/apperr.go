// Package apperr is Lectern's one error type. Every failure a client can see
// carries a Code from the catalogue below and a message that is safe to show;
// the cause stays inside for the log. graph/ maps it to GraphQL in one place.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, documented error code (docs/errors.md). Codes are API:
// append new ones, never rename, reuse or remove one.
type Code string

// The catalogue. Append only.
const (
	// Internal is anything unexpected; the detail is logged, never shown.
	Internal Code = "INTERNAL"
	// BadUserInput: an argument is malformed or out of bounds.
	BadUserInput Code = "BAD_USER_INPUT"
	// NotFound: the addressed object does not exist for this caller.
	NotFound Code = "NOT_FOUND"
	// Unauthenticated: the operation needs a signed-in caller.
	Unauthenticated Code = "UNAUTHENTICATED"
	// Forbidden: the caller may see the object but not do this to it.
	Forbidden Code = "FORBIDDEN"
	// Conflict: the write collides with the current state.
	Conflict Code = "CONFLICT"
	// RateLimited: too many attempts; retry later.
	RateLimited Code = "RATE_LIMITED"
	// GraphQLParseFailed: the document is not valid GraphQL syntax.
	GraphQLParseFailed Code = "GRAPHQL_PARSE_FAILED"
	// GraphQLValidationFailed: the document does not fit the schema.
	GraphQLValidationFailed Code = "GRAPHQL_VALIDATION_FAILED"
	// Unavailable: a dependency (the database) cannot serve the request now,
	// the request ran out of time, or the server is at capacity.
	Unavailable Code = "UNAVAILABLE"
	// QueryTooComplex: the document is nested too deeply or would fetch too
	// much; ask for less (smaller pages, fewer levels).
	QueryTooComplex Code = "QUERY_TOO_COMPLEX"
	// IdempotencyKeyReused: the Idempotency-Key was first used with a
	// different request (document, operation name or variables).
	IdempotencyKeyReused Code = "IDEMPOTENCY_KEY_REUSED"
	// IdempotencyInProgress: a request with the same Idempotency-Key is
	// still running; retry after RetryAfter.
	IdempotencyInProgress Code = "IDEMPOTENCY_IN_PROGRESS"
)

// Error is a failure with a stable code and a message safe for end users.
type Error struct {
	Code    Code
	Message string
	// Err is the cause, for logs only.
	Err error
	// Fields, for BAD_USER_INPUT raised by a mutation's own validation,
	// lists each problem by input field; mutations return them as typed
	// userErrors in their payload instead of failing.
	Fields []FieldError
	// RetryAfter, for RATE_LIMITED, is how long the caller must wait;
	// for UNAVAILABLE, when set, how long it should wait before retrying.
	RetryAfter time.Duration
}

// Error returns the safe message, followed by the cause for logs.
func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error with code and a user-safe message.
func New(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Newf is New with a formatted message. Format only values the caller sent
// or that are public; never internal state.
func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with code and a safe message whose cause is err.
func Wrap(err error, code Code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// CodeOf returns the code of the first *Error in err's chain, or Internal
// for any other non-nil error. It returns "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return Internal
}

// MessageOf returns the message to show for err: the *Error's own message,
// or a generic one for anything unexpected.
func MessageOf(err error) string {
	if e, ok := errors.AsType[*Error](err); ok && e.Code != Internal {
		return e.Message
	}
	return "internal server error"
}

// Limited returns a RATE_LIMITED error telling the caller to wait at least
// after before retrying.
func Limited(after time.Duration) *Error {
	return &Error{Code: RateLimited, Message: "too many attempts; try again later", RetryAfter: after}
}

// RetryAfterOf returns how long a RATE_LIMITED or UNAVAILABLE err asks the
// caller to wait, or 0 for any other error or none said.
func RetryAfterOf(err error) time.Duration {
	if e, ok := errors.AsType[*Error](err); ok && (e.Code == RateLimited || e.Code == Unavailable) {
		return e.RetryAfter
	}
	return 0
}

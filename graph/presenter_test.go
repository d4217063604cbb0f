package graph

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// TestPresenterClientGone: a field that failed because the request ended
// first (the client went away, or its deadline passed) is UNAVAILABLE and
// not logged as an internal error, whether or not the error wraps the
// context's (the driver's do not); the same error while the request is
// live is an internal one.
func TestPresenterClientGone(t *testing.T) {
	base := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, nil)
	gone, cancel := context.WithCancel(base)
	cancel()
	late, cancelLate := context.WithDeadline(base, time.Now().Add(-time.Second))
	defer cancelLate()
	errs := map[string]error{
		"wrapped":  fmt.Errorf("load course staff: %w", context.Canceled),
		"driver":   errors.New("list courses: pq: canceling statement due to user request (57014)"),
		"tx ended": fmt.Errorf("commit transaction: %w", sql.ErrTxDone),
	}
	for name, err := range errs {
		for _, tc := range []struct {
			ctx     context.Context
			code    string
			message string
		}{
			{gone, "UNAVAILABLE", "the request was cancelled before it finished"},
			{late, "UNAVAILABLE", "the request took too long; try again with a smaller query"},
			{base, "INTERNAL", ""},
		} {
			var logs bytes.Buffer
			got := presenter(slog.New(slog.NewTextHandler(&logs, nil)))(tc.ctx, err)
			if got.Extensions["code"] != tc.code || (tc.code == "INTERNAL") != (logs.Len() > 0) {
				t.Errorf("%s, %s: code %v, logged %q", name, tc.code, got.Extensions["code"], logs.String())
			}
			if tc.message != "" && got.Message != tc.message {
				t.Errorf("%s: message %q, want %q", name, got.Message, tc.message)
			}
		}
	}
}

package graph

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestPresenterClientGone: a field that failed because the client went
// away (the request's context cancelled) is UNAVAILABLE and not logged as
// an internal error; the same error while the request is live is one.
func TestPresenterClientGone(t *testing.T) {
	var logs bytes.Buffer
	present := presenter(slog.New(slog.NewTextHandler(&logs, nil)))
	err := fmt.Errorf("load course staff: %w", context.Canceled)

	gone, cancel := context.WithCancel(graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, nil))
	cancel()
	if got := present(gone, err).Extensions["code"]; got != "UNAVAILABLE" || logs.Len() != 0 {
		t.Errorf("client gone: code %v, logged %q; want UNAVAILABLE and no log", got, logs.String())
	}

	live := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, nil)
	if got := present(live, err).Extensions["code"]; got != "INTERNAL" || logs.Len() == 0 {
		t.Errorf("live request: code %v, logged %q; want INTERNAL, logged", got, logs.String())
	}
}

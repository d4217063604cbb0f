package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"lectern/internal/apperr"
	"lectern/internal/obs"
)

// presenter is the one place errors become GraphQL errors. Every error
// leaves with extensions.code from the catalogue (internal/apperr) and
// extensions.requestId; anything unexpected is logged in full and shown only
// as INTERNAL with a generic message.
func presenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		out := graphql.DefaultErrorPresenter(ctx, err)
		code, message := classify(ctx, err, out)
		if code == apperr.Internal {
			obs.LoggerFromContext(ctx, logger).ErrorContext(ctx, "graphql: internal error",
				slog.String("error", err.Error()), slog.String("path", out.Path.String()))
		}
		out.Message = message
		out.Extensions = map[string]any{
			"code":      string(code),
			"requestId": obs.RequestIDFromContext(ctx),
		}
		if wait := apperr.RetryAfterOf(err); wait > 0 {
			out.Extensions["retryAfterSeconds"] = obs.RetryAfterSeconds(wait)
		}
		out.Err = nil
		return out
	}
}

// classify picks the code and the safe message for err.
func classify(ctx context.Context, err error, g *gqlerror.Error) (apperr.Code, string) {
	if e, ok := errors.AsType[*apperr.Error](err); ok {
		return e.Code, apperr.MessageOf(e)
	}
	switch g.Extensions["code"] {
	case errcode.ParseFailed:
		return apperr.GraphQLParseFailed, g.Message
	case errcode.ValidationFailed:
		return apperr.GraphQLValidationFailed, g.Message
	case "COMPLEXITY_LIMIT_EXCEEDED":
		return apperr.QueryTooComplex, g.Message
	}
	// ent's errors arrive coded already (database.Coded, where the domain
	// meets the database); one that does not is a bug, shown as INTERNAL.
	//
	// A request whose context ended first (its deadline passed, or the
	// client went away) fails because of that, whatever the error says:
	// the driver's own errors for it (PostgreSQL's "canceling statement
	// due to user request", the commit of a transaction rolled back on
	// cancellation) do not wrap the context's. Nobody reads the answer of
	// a client gone and the server did nothing wrong, so neither is logged
	// as an internal error (a load test closing its connections would
	// otherwise log one per field).
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return apperr.Unavailable, "the request took too long; try again with a smaller query"
	}
	if ctx.Err() != nil {
		return apperr.Unavailable, "the request was cancelled before it finished"
	}
	if arg, ok := argumentError(ctx, g); ok {
		return apperr.BadUserInput, fmt.Sprintf("invalid value for argument %q", arg)
	}
	return apperr.Internal, apperr.MessageOf(err)
}

// argumentError reports whether g was raised while decoding the arguments of
// the field in ctx: such errors are located below that field's own path (at
// the argument, or inside an input object), resolver errors at the field.
func argumentError(ctx context.Context, g *gqlerror.Error) (string, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || len(g.Path) <= len(fc.Path()) {
		return "", false
	}
	var names []string
	for _, p := range g.Path[len(fc.Path()):] {
		names = append(names, fmt.Sprint(p))
	}
	return strings.Join(names, "."), true
}

// recoverer turns a resolver panic into an INTERNAL error, logging the panic
// and its stack with the request ID.
func recoverer(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		obs.LoggerFromContext(ctx, logger).ErrorContext(ctx, "graphql: panic",
			slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
		return apperr.Wrap(fmt.Errorf("panic: %v", v), apperr.Internal, "internal server error")
	}
}

package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"lectern/internal/apperr"
)

// userErrors are the problems a mutation's payload reports for the caller
// to correct, each at the field it is about.
type userErrors = []*apperr.FieldError

// respond returns the function that turns a mutation's domain result into
// its payload, built by build. Problems the caller can correct
// (apperr.FieldsOf) become the payload's userErrors; anything else
// (RATE_LIMITED, UNAUTHENTICATED, internal failures) fails the field as a
// request error. On success userErrors is an empty list, never null.
func respond[T, P any](ctx context.Context, build func(T, userErrors) P) func(T, error) (P, error) {
	return func(v T, err error) (P, error) {
		ue, err := userErrorsOf(ctx, err)
		if err != nil {
			var none P
			return none, err
		}
		return build(v, ue), nil
	}
}

// checked runs call once check, an ID argument's type check, has passed.
// A failed check is the result instead, so an ID of the wrong type never
// reaches the domain.
func checked[T any](check error, call func() (T, error)) (T, error) {
	if check != nil {
		var none T
		return none, check
	}
	return call()
}

// done adapts a domain call that answers only with an error to respond.
func done(err error) (struct{}, error) { return struct{}{}, err }

// userErrorsOf splits a domain error into userErrors or a request error.
// The domain names a field within what it was given; the client needs its
// path from the mutation's arguments.
func userErrorsOf(ctx context.Context, err error) (userErrors, error) {
	if err == nil {
		return userErrors{}, nil
	}
	fields, ok := apperr.FieldsOf(err)
	if !ok {
		return nil, err
	}
	input := takesInput(ctx)
	out := make(userErrors, len(fields))
	for i, f := range fields {
		if input && len(f.Field) > 0 {
			f.Field = append([]string{"input"}, f.Field...)
		}
		out[i] = &f
	}
	return out, nil
}

// takesInput reports whether the running mutation takes its arguments as
// one input object, `input`: its fields are then found under it
// (["input", "slug"]), while a plain argument is its own path (["courseId"]).
func takesInput(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return false
	}
	return fc.Field.Definition.Arguments.ForName("input") != nil
}

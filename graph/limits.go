package graph

import (
	"context"
	"encoding/json"
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"lectern/internal/apperr"
)

// Page-size bounds for every connection.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
	// MaxDepth bounds how deeply selections may nest.
	MaxDepth = 12
	// MaxComplexity bounds the estimated cost of a document, where a
	// connection multiplies its selection by its page size.
	MaxComplexity = 10_000
)

// limits enforces request-wide bounds before execution, so one rule covers
// every connection, present and future, and eager loading sees the same
// arguments as resolvers:
//   - a connection gets `first: 20` when neither first nor last is given;
//   - first/last outside 0..100, or both given, is BAD_USER_INPUT;
//   - selections nested deeper than MaxDepth are QUERY_TOO_COMPLEX;
//   - every string argument passes the text rule (internal/text) and its
//     @maxLength, and is stored in NFC (texts.go).
//
// The parsed document is shared through the query cache, so the defaults
// and normal forms go into a copy of it that is the request's own
// (rewrite.go), made only when there is something to change.
type limits struct {
	schema *ast.Schema
	// introspection allows __schema and __type; without it they are
	// refused before execution (GRAPHQL_VALIDATION_FAILED).
	introspection bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = limits{}

func (limits) ExtensionName() string                   { return "Limits" }
func (limits) Validate(graphql.ExecutableSchema) error { return nil }
func (l limits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	w := walker{oc: oc, schema: l.schema, introspection: l.introspection, seen: map[*ast.Field]bool{}, rewrites: &rewrites{}}
	if err := w.selections(oc.Operation.SelectionSet, 1); err != nil {
		return err
	}
	if !w.rewrites.empty() {
		oc.Doc, oc.Operation = w.rewrites.apply(oc.Doc, oc.Operation)
	}
	return nil
}

type walker struct {
	oc            *graphql.OperationContext
	schema        *ast.Schema
	introspection bool
	seen          map[*ast.Field]bool
	rewrites      *rewrites
}

func (w walker) selections(set ast.SelectionSet, depth int) *gqlerror.Error {
	for _, sel := range set {
		var err *gqlerror.Error
		switch s := sel.(type) {
		case *ast.Field:
			err = w.field(s, depth)
		case *ast.InlineFragment:
			err = w.selections(s.SelectionSet, depth)
		case *ast.FragmentSpread:
			if def := w.oc.Doc.Fragments.ForName(s.Name); def != nil {
				err = w.selections(def.SelectionSet, depth)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w walker) field(f *ast.Field, depth int) *gqlerror.Error {
	if isIntrospection(f.Name) {
		if !w.introspection && f.Name != "__typename" {
			// A validation failure like any other, with its status (422).
			err := limitError(f, apperr.New(apperr.GraphQLValidationFailed, "introspection is disabled; the schema is published as schema.graphql"))
			errcode.Set(err, errcode.ValidationFailed)
			return err
		}
		// Bounded by the schema itself; GraphiQL's introspection query
		// nests type references deeper than any data query needs to.
		return nil
	}
	if depth > MaxDepth {
		return limitError(f, apperr.Newf(apperr.QueryTooComplex, "selections are nested more than %d levels deep", MaxDepth))
	}
	if !w.seen[f] {
		w.seen[f] = true
		if err := w.page(f); err != nil {
			return err
		}
		if err := w.texts(f); err != nil {
			return err
		}
	}
	return w.selections(f.SelectionSet, depth+1)
}

// page checks and defaults the pagination arguments of a connection field.
func (w walker) page(f *ast.Field) *gqlerror.Error {
	if !isConnection(f.Definition) {
		return nil
	}
	first, err := w.intArg(f, "first")
	if err != nil {
		return limitError(f, err)
	}
	last, err := w.intArg(f, "last")
	if err != nil {
		return limitError(f, err)
	}
	for _, name := range []string{"after", "before"} {
		if err := w.cursorArg(f, name); err != nil {
			return limitError(f, err)
		}
	}
	switch {
	case first != nil && last != nil:
		return limitError(f, apperr.New(apperr.BadUserInput, "pass either first or last, not both"))
	case first == nil && last == nil:
		w.rewrites.page(f)
	}
	return nil
}

// intArg returns the value of an Int argument, nil when absent or null, and
// an error when it lies outside 0..MaxPageSize.
func (w walker) intArg(f *ast.Field, name string) (*int64, *apperr.Error) {
	arg := f.Arguments.ForName(name)
	if arg == nil {
		return nil, nil
	}
	raw, err := arg.Value.Value(w.oc.Variables)
	if err != nil || raw == nil {
		return nil, nil
	}
	n, ok := toInt(raw)
	if !ok || n < 0 || n > MaxPageSize {
		return nil, apperr.Newf(apperr.BadUserInput, "%s must be between 0 and %d", name, MaxPageSize)
	}
	return &n, nil
}

// cursorArg checks that a cursor argument decodes. Eager loading decodes
// nested cursors itself and cannot report a bad one, so every cursor is
// checked here, once, before anything runs.
func (w walker) cursorArg(f *ast.Field, name string) *apperr.Error {
	arg := f.Arguments.ForName(name)
	if arg == nil {
		return nil
	}
	raw, err := arg.Value.Value(w.oc.Variables)
	if err != nil || raw == nil {
		return nil
	}
	var c entgql.Cursor[uuid.UUID]
	if c.UnmarshalGQL(raw) != nil {
		return apperr.Newf(apperr.BadUserInput, "%s is not a valid cursor", name)
	}
	return nil
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		return int64(n), float64(int64(n)) == n
	}
	return 0, false
}

// isConnection reports whether a field returns a Relay connection and takes
// the standard pagination arguments.
func isConnection(def *ast.FieldDefinition) bool {
	return def != nil && strings.HasSuffix(def.Type.Name(), "Connection") &&
		def.Arguments.ForName("first") != nil && def.Arguments.ForName("last") != nil
}

func limitError(f *ast.Field, err *apperr.Error) *gqlerror.Error {
	g := &gqlerror.Error{Message: err.Message, Err: err}
	if f.Position != nil {
		g.Locations = []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	return g
}

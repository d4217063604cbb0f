package graph

import (
	"context"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"lectern/internal/apperr"
	"lectern/internal/text"
)

// Bounds on the document itself, checked before it is validated. Validation
// is not free: comparing fields that share a response name is quadratic in
// their number (and recursive in their selections), and every mistake in a
// document becomes an error in the response. These bounds make the work
// before execution proportional to a small constant whatever the body holds.
const (
	// MaxTokens bounds the tokens (names, punctuation, values) of a
	// document; GraphiQL's introspection query has about 320.
	MaxTokens = 5_000
	// MaxSelections bounds the fields of one selection set, counting those
	// its fragments contribute.
	MaxSelections = 200
	// MaxExpandedFields bounds the fields of a document with every fragment
	// spread replaced by its fragment: the work of every later pass
	// (validation, limits, cost, execution) is proportional to it.
	MaxExpandedFields = 5_000
	// MaxMergeWork bounds the field comparisons validation makes to check
	// that fields sharing a response name can merge: one per field when
	// names are unique, the square of their number where they repeat.
	MaxMergeWork = 20_000
	// MaxAliases bounds the aliased fields of a document.
	MaxAliases = 30
	// MaxDirectives bounds the directives at one location.
	MaxDirectives = 5
	// MaxVariables bounds the variables one operation declares.
	MaxVariables = 50
	// MaxErrors bounds the errors of one response; the count of those left
	// out is extensions.errorsOmitted.
	MaxErrors = 20
)

// documentLimits refuses documents beyond the bounds above. It runs before
// gqlgen parses and validates the query, and parses it itself with the
// token limit, so an oversized document costs one bounded pass. A string
// literal longer than any argument accepts (maxString, the schema's largest
// @maxLength) is refused here too; the limits pass checks each string
// against its own argument's bound after validation.
//
// A document in the query cache passed these bounds when it was first
// sent, and is not parsed again.
type documentLimits struct {
	maxString int
	cache     queryCache
}

// newDocumentLimits returns the document bounds for schema.
func newDocumentLimits(schema *ast.Schema, cache queryCache) documentLimits {
	longest := DefaultMaxLength
	for _, def := range schema.Types {
		for _, f := range def.Fields {
			longest = max(longest, maxLength(f.Directives))
			for _, a := range f.Arguments {
				longest = max(longest, maxLength(a.Directives))
			}
		}
	}
	return documentLimits{maxString: longest, cache: cache}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentLimits{}

func (documentLimits) ExtensionName() string                   { return "DocumentLimits" }
func (documentLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l documentLimits) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if l.cache.seen(p.Query) {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, MaxTokens)
	if err != nil {
		var g *gqlerror.Error
		if !errors.As(err, &g) {
			g = gqlerror.Wrap(err)
		}
		if g.Message == fmt.Sprintf("exceeded token limit of %d", MaxTokens) {
			return tooComplex(nil, "the document has more than %d tokens", MaxTokens)
		}
		errcode.Set(g, errcode.ParseFailed)
		return g
	}
	return l.check(doc)
}

// check applies every bound to a parsed document.
func (l documentLimits) check(doc *ast.QueryDocument) *gqlerror.Error {
	c := docCheck{maxString: l.maxString, fragments: make(map[string]*ast.FragmentDefinition, len(doc.Fragments))}
	for _, f := range doc.Fragments {
		if _, dup := c.fragments[f.Name]; !dup {
			c.fragments[f.Name] = f
		}
		if err := c.directives(f.Directives, f.Position); err != nil {
			return err
		}
		if err := c.syntax(f.SelectionSet); err != nil {
			return err
		}
	}
	for _, op := range doc.Operations {
		if len(op.VariableDefinitions) > MaxVariables {
			return tooComplex(op.Position, "an operation declares more than %d variables", MaxVariables)
		}
		if err := c.directives(op.Directives, op.Position); err != nil {
			return err
		}
		for _, v := range op.VariableDefinitions {
			if err := c.directives(v.Directives, v.Position); err != nil {
				return err
			}
		}
		if err := c.syntax(op.SelectionSet); err != nil {
			return err
		}
		if err := c.expanded(op); err != nil {
			return err
		}
	}
	return nil
}

type docCheck struct {
	maxString int
	fragments map[string]*ast.FragmentDefinition
	aliases   int
	// expandedFields counts fields visited with fragments expanded; it
	// stops the expansion itself once over the bound.
	expandedFields int
}

// syntax checks what can be seen in the document as written: aliases and
// directives per location.
func (c *docCheck) syntax(set ast.SelectionSet) *gqlerror.Error {
	for _, sel := range set {
		var err *gqlerror.Error
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				if c.aliases++; c.aliases > MaxAliases {
					return tooComplex(s.Position, "the document has more than %d aliases", MaxAliases)
				}
			}
			if err = c.directives(s.Directives, s.Position); err == nil {
				err = c.arguments(s.Arguments)
			}
			if err == nil {
				err = c.syntax(s.SelectionSet)
			}
		case *ast.InlineFragment:
			if err = c.directives(s.Directives, s.Position); err == nil {
				err = c.syntax(s.SelectionSet)
			}
		case *ast.FragmentSpread:
			err = c.directives(s.Directives, s.Position)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *docCheck) directives(list ast.DirectiveList, pos *ast.Position) *gqlerror.Error {
	if len(list) > MaxDirectives {
		return tooComplex(pos, "more than %d directives at one location", MaxDirectives)
	}
	for _, d := range list {
		if err := c.arguments(d.Arguments); err != nil {
			return err
		}
	}
	return nil
}

// arguments refuses string literals longer than any argument accepts.
func (c *docCheck) arguments(args ast.ArgumentList) *gqlerror.Error {
	for _, a := range args {
		if err := c.literal(a.Value); err != nil {
			return err
		}
	}
	return nil
}

func (c *docCheck) literal(v *ast.Value) *gqlerror.Error {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		if len(v.Raw) > c.maxString && text.Len(v.Raw) > c.maxString {
			err := apperr.Newf(apperr.BadUserInput, "a string argument is longer than %d characters", c.maxString)
			g := &gqlerror.Error{Message: err.Message, Err: err}
			if v.Position != nil {
				g.Locations = []gqlerror.Location{{Line: v.Position.Line, Column: v.Position.Column}}
			}
			return g
		}
	case ast.ListValue, ast.ObjectValue:
		for _, child := range v.Children {
			if err := c.literal(child.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// expanded checks op with its fragments expanded: fields per selection set,
// fields in all, and the merge work of validation. Fields are grouped by
// response name across the selection sets that validation merges (a field's
// selections merge with those of every same-named field beside it), and a
// group of n fields costs n² comparisons plus n² times the work of its
// merged selections.
func (c *docCheck) expanded(op *ast.OperationDefinition) *gqlerror.Error {
	// mergeWork refuses as soon as the work passes MaxMergeWork.
	_, err := c.mergeWork([]ast.SelectionSet{op.SelectionSet}, op.Position)
	return err
}

// mergeWork returns the merge work of the selection sets in sets taken as
// one, stopping as soon as any bound is passed.
func (c *docCheck) mergeWork(sets []ast.SelectionSet, pos *ast.Position) (int, *gqlerror.Error) {
	groups := map[string][]ast.SelectionSet{}
	var order []string
	var count int
	for _, set := range sets {
		err := c.collect(set, map[string]bool{}, func(f *ast.Field) *gqlerror.Error {
			if count++; count > MaxSelections {
				return tooComplex(f.Position, "a selection set has more than %d fields, counting its fragments", MaxSelections)
			}
			if c.expandedFields++; c.expandedFields > MaxExpandedFields {
				return tooComplex(f.Position, "the document has more than %d fields with its fragments expanded", MaxExpandedFields)
			}
			name := f.Alias
			if name == "" {
				name = f.Name
			}
			if _, seen := groups[name]; !seen {
				order = append(order, name)
			}
			groups[name] = append(groups[name], f.SelectionSet)
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	work := 0
	for _, name := range order {
		subs := groups[name]
		n := len(subs)
		inner, err := c.mergeWork(nonEmpty(subs), pos)
		if err != nil {
			return 0, err
		}
		if work += n * n * (1 + inner); work > MaxMergeWork {
			return work, tooComplex(pos, "the document repeats fields too often: merging them would take more than %d comparisons", MaxMergeWork)
		}
	}
	return work, nil
}

// collect calls visit for every field of set, looking through inline
// fragments and fragment spreads. A fragment is entered once per selection
// set (as validation collects it) and never inside itself: a cycle is left
// for validation to report.
func (c *docCheck) collect(set ast.SelectionSet, entered map[string]bool, visit func(*ast.Field) *gqlerror.Error) *gqlerror.Error {
	for _, sel := range set {
		var err *gqlerror.Error
		switch s := sel.(type) {
		case *ast.Field:
			err = visit(s)
		case *ast.InlineFragment:
			err = c.collect(s.SelectionSet, entered, visit)
		case *ast.FragmentSpread:
			def := c.fragments[s.Name]
			if def == nil || entered[s.Name] {
				continue
			}
			entered[s.Name] = true
			err = c.collect(def.SelectionSet, entered, visit)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func nonEmpty(sets []ast.SelectionSet) []ast.SelectionSet {
	out := sets[:0:0]
	for _, s := range sets {
		if len(s) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// tooComplex is a QUERY_TOO_COMPLEX refusal located at pos when known.
func tooComplex(pos *ast.Position, format string, args ...any) *gqlerror.Error {
	err := apperr.Newf(apperr.QueryTooComplex, format, args...)
	g := &gqlerror.Error{Message: err.Message, Err: err}
	if pos != nil {
		g.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	return g
}

// capErrors keeps the first MaxErrors errors of a response: enough to fix
// a document, and a bound on the response a broken one can produce.
func capErrors(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || len(resp.Errors) <= MaxErrors {
		return resp
	}
	omitted := len(resp.Errors) - MaxErrors
	resp.Errors = resp.Errors[:MaxErrors:MaxErrors]
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions["errorsOmitted"] = omitted
	return resp
}

package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// sharedLookups runs identical root fields of one query once: a document
// that aliases `course(slug: "x") { title }` a hundred times costs one
// lookup, not a hundred. Fields are identical when their name, argument
// values and selections are; mutations always run every field.
//
// The first field of a kind runs; the others wait for it and reuse its
// answer, unless it reported an error (errors carry the path of the field
// that raised them, so such a field's twins run on their own and report
// theirs).
func sharedLookups(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	memo, _ := ctx.Value(lookupsKey{}).(*lookups)
	fc := graphql.GetRootFieldContext(ctx)
	if memo == nil || fc == nil || rootType(ctx) != "Query" || isIntrospection(fc.Field.Name) {
		return next(ctx)
	}
	key, ok := lookupKey(fc.Field.Field, graphql.GetOperationContext(ctx).Variables)
	if !ok {
		return next(ctx)
	}
	e, first := memo.entry(key)
	if first {
		// A panic below leaves clean false, so the twins run themselves.
		defer close(e.done)
		e.value = next(ctx)
		e.clean = !hasErrorsAt(ctx, fc.Field.Alias)
		return e.value
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return next(ctx)
	}
	if !e.clean {
		return next(ctx)
	}
	return e.value
}

type lookupsKey struct{}

// lookups are the root fields one request has resolved, by lookupKey.
type lookups struct {
	mu   sync.Mutex
	byID map[string]*lookup
}

type lookup struct {
	done  chan struct{}
	value graphql.Marshaler
	clean bool
}

// withLookups gives a request its own memo of root fields.
func withLookups(ctx context.Context) context.Context {
	return context.WithValue(ctx, lookupsKey{}, &lookups{byID: map[string]*lookup{}})
}

// entry returns the lookup for key and whether the caller is the first to
// ask, and so the one to run it.
func (l *lookups) entry(key string) (*lookup, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.byID[key]; ok {
		return e, false
	}
	e := &lookup{done: make(chan struct{})}
	l.byID[key] = e
	return e, true
}

// lookupKey identifies what a root field asks: its name, its argument
// values and its selections as printed (fragment spreads print by name,
// which is one meaning within one document).
func lookupKey(f *ast.Field, vars map[string]any) (string, bool) {
	args, err := json.Marshal(f.ArgumentMap(vars))
	if err != nil {
		return "", false
	}
	var b bytes.Buffer
	b.WriteString(f.Name)
	b.Write(args)
	formatter.NewFormatter(&b).FormatQueryDocument(&ast.QueryDocument{
		Operations: ast.OperationList{{Operation: ast.Query, SelectionSet: f.SelectionSet}},
	})
	return b.String(), true
}

// hasErrorsAt reports whether the response has errors under the root field
// answered as name.
func hasErrorsAt(ctx context.Context, name string) bool {
	for _, e := range graphql.GetErrors(ctx) {
		if len(e.Path) > 0 && e.Path[0] == ast.PathName(name) {
			return true
		}
	}
	return false
}

package graph

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestMarshalSlice: elements are marshalled in order, each with its index
// in the field context; a panicking element becomes null in place and is
// reported as an error, unless the panic handler is omitted.
func TestMarshalSlice(t *testing.T) {
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	list := &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "lessons"}}}
	ctx = graphql.WithFieldContext(ctx, list)
	var order []int
	var paths []string
	arr := marshalSlice(ctx, 4, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		fc := graphql.GetFieldContext(ctx)
		order = append(order, *fc.Index)
		if fc.Parent != list {
			t.Errorf("element %d: the parent of its field context is not the list's", i)
		}
		paths = append(paths, fc.Path().String())
		if i == 2 {
			panic("element 2")
		}
		return graphql.MarshalString(strconv.Itoa(i))
	})
	var buf bytes.Buffer
	arr.MarshalGQL(&buf)
	if got, want := buf.String(), `["0","1",null,"3"]`; got != want {
		t.Errorf("marshalled %s, want %s", got, want)
	}
	if !slices.Equal(order, []int{0, 1, 2, 3}) {
		t.Errorf("indexes seen %v, want 0..3 in order", order)
	}
	if want := []string{"lessons[0]", "lessons[1]", "lessons[2]", "lessons[3]"}; !slices.Equal(paths, want) {
		t.Errorf("paths %q, want %q", paths, want)
	}
	if errs := graphql.GetErrors(ctx); len(errs) != 1 {
		t.Errorf("errors %v, want the one panic", errs)
	}

	defer func() {
		if recover() == nil {
			t.Error("with omitPanicHandler, the panic was swallowed")
		}
	}()
	marshalSlice(ctx, 2, 0, true, func(context.Context, int) graphql.Marshaler { panic("boom") })
}

package graph

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestMarshalSlice: elements are marshalled in order, each with its index
// in the field context; a panicking element becomes null in place and is
// reported as an error, unless the panic handler is omitted.
func TestMarshalSlice(t *testing.T) {
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{})
	var order []int
	arr := marshalSlice(ctx, 4, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		order = append(order, *graphql.GetFieldContext(ctx).Index)
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
	if len(order) != 4 || order[0] != 0 || order[3] != 3 {
		t.Errorf("indexes seen %v, want 0..3 in order", order)
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

package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSlice marshals the elements of a list one after the other, on the
// calling goroutine. gqlgen's generated code calls
// graphql.MarshalSliceConcurrently instead, which starts a goroutine per
// element so that sibling resolvers can meet in a dataloader's batching
// window; the nested catalogue page started some 530 of them per request,
// and scheduling them cost more than the marshalling they did. Here no
// resolver inside a list waits for its siblings: ent eager-loads edges one
// query per level, and the lookups per course (staff, the caller's
// relation) fetch for every course the request has read at once (see
// internal/loader), without a batching window. go generate
// rewrites the generated calls to this function (postgen.go); its
// signature is MarshalSliceConcurrently's, and so is its handling of a
// panicking element (null in place, the panic reported as an error, unless
// omitPanicHandler).
//
// The elements' field contexts and the indexes they point to are allocated
// together, one array of each per list rather than two objects per
// element: on the nested page, about 850 allocations fewer a request.
func marshalSlice(ctx context.Context, length int, _ int64, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	fcs := make([]graphql.FieldContext, length)
	indexes := make([]int, length)
	for i := range length {
		indexes[i] = i
		fcs[i].Index = &indexes[i]
		ret[i] = marshalOne(ctx, &fcs[i], omitPanicHandler, marshalElement)
	}
	return ret
}

// marshalOne marshals the element of a list whose field context (with its
// index) is fc, as gqlgen does.
func marshalOne(ctx context.Context, fc *graphql.FieldContext, omitPanicHandler bool, marshal func(ctx context.Context, i int) graphql.Marshaler) (m graphql.Marshaler) {
	ctx = graphql.WithFieldContext(ctx, fc)
	if !omitPanicHandler {
		defer func() {
			if r := recover(); r != nil {
				graphql.AddError(ctx, graphql.Recover(ctx, r))
				m = graphql.Null
			}
		}()
	}
	return marshal(ctx, *fc.Index)
}

// deferredGroup is graphql.NewDeferredGroup for an object whose fields
// are fields: the real group when one of them is deferred (@defer), and
// otherwise an empty one, which the generated code only asks for its
// length. gqlgen builds the group for every object of every response,
// computing the object's response path each time; on a nested page that
// was an eighth of all allocation. go generate rewrites the generated
// calls to this function (postgen.go).
func deferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for _, f := range fields {
		if f.IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{}
}

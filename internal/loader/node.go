package loader

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"lectern/ent"
	"lectern/internal/cache"
	"lectern/internal/gid"
)

// NodeKey identifies one node requested by one GraphQL field. The field is
// part of the key because loading also eager-loads what that field selects:
// keys of one field (nodes(ids:)) share a query per type, while two aliased
// node(id:) fields with different selections are loaded separately.
type NodeKey struct {
	ID    gid.ID
	field *graphql.FieldContext
}

// NodeKeyFor returns the key of id as requested by the field running in ctx.
func NodeKeyFor(ctx context.Context, id gid.ID) NodeKey {
	return NodeKey{ID: id, field: graphql.GetFieldContext(ctx)}
}

// nodes loads nodes by global ID, one query per node type and requesting
// field. An ID whose row does not exist or is not visible to the caller
// loads as nil: clients cannot tell these apart.
func nodes(client *ent.Client) dataloader.BatchFunc[NodeKey, ent.Noder] {
	return func(ctx context.Context, keys []NodeKey) []*dataloader.Result[ent.Noder] {
		type group struct {
			field *graphql.FieldContext
			table string
		}
		groups := map[group][]uuid.UUID{}
		for _, k := range keys {
			if table, ok := ent.NodeTable(k.ID.Type); ok {
				g := group{field: k.field, table: table}
				groups[g] = append(groups[g], k.ID.UUID)
			}
		}
		found := make(map[NodeKey]ent.Noder, len(keys))
		for g, ids := range groups {
			gctx := ctx
			if g.field != nil {
				// Eager loading reads the selection from the field context.
				// WithFieldContext re-parents what it is given, so it gets a
				// copy and the requesting field's own context stays intact.
				fc := *g.field
				gctx = graphql.WithFieldContext(ctx, &fc)
			}
			got, err := client.NodesOf(cache.Keyed(gctx), g.table, ids)
			if err != nil {
				return results[NodeKey, ent.Noder](keys, nil, fmt.Errorf("load %s nodes: %w", g.table, err))
			}
			if len(got) < len(ids) {
				// What is missing may appear with any write.
				cache.Record(ctx, cache.Catalogue)
			}
			for _, n := range got {
				if id, ok := n.(interface{ GlobalID() gid.ID }); ok && n != nil {
					found[NodeKey{ID: id.GlobalID(), field: g.field}] = n
				}
			}
		}
		return results(keys, found, nil)
	}
}

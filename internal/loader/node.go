package loader

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"lectern/ent"
	"lectern/internal/gid"
)

// nodes loads nodes by global ID, one query per node type in the batch. An
// ID whose type is not a node, or whose row does not exist or is not visible
// to the caller, loads as nil: clients cannot tell these apart.
func nodes(client *ent.Client) dataloader.BatchFunc[gid.ID, ent.Noder] {
	return func(ctx context.Context, keys []gid.ID) []*dataloader.Result[ent.Noder] {
		byTable := map[string][]uuid.UUID{}
		for _, k := range keys {
			if table, ok := ent.NodeTable(k.Type); ok {
				byTable[table] = append(byTable[table], k.UUID)
			}
		}
		found := make(map[gid.ID]ent.Noder, len(keys))
		for table, ids := range byTable {
			got, err := client.NodesOf(ctx, table, ids)
			if err != nil {
				return results[gid.ID, ent.Noder](keys, nil, fmt.Errorf("load %s nodes: %w", table, err))
			}
			for _, n := range got {
				if g, ok := n.(interface{ GlobalID() gid.ID }); ok && n != nil {
					found[g.GlobalID()] = n
				}
			}
		}
		return results(keys, found, nil)
	}
}

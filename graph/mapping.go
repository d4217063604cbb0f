package graph

import (
	"context"

	"lectern/ent"
	"lectern/graph/model"
	"lectern/internal/apperr"
	"lectern/internal/catalog"
	"lectern/internal/gid"
	"lectern/internal/loader"
)

// MaxNodes bounds nodes(ids:).
const MaxNodes = 100

// loadNode returns the node id names, or nil when it does not exist or is
// hidden from the caller. An ID naming a type that has no nodes could never
// have been issued, so it is malformed.
func loadNode(ctx context.Context, id gid.ID) (ent.Noder, error) {
	key, err := nodeKey(ctx, id)
	if err != nil {
		return nil, err
	}
	return loader.FromContext(ctx).Node.Load(ctx, key)()
}

func nodeKey(ctx context.Context, id gid.ID) (loader.NodeKey, error) {
	if _, ok := ent.NodeTable(id.Type); !ok {
		return loader.NodeKey{}, gid.ErrMalformed
	}
	return loader.NodeKeyFor(ctx, id), nil
}

// loadNodes is loadNode for up to MaxNodes IDs, in one query per type.
func loadNodes(ctx context.Context, ids []*gid.ID) ([]ent.Noder, error) {
	if len(ids) > MaxNodes {
		return nil, apperr.Newf(apperr.BadUserInput, "ids: at most %d IDs per request", MaxNodes)
	}
	keys := make([]loader.NodeKey, len(ids))
	for i, id := range ids {
		key, err := nodeKey(ctx, *id)
		if err != nil {
			return nil, err
		}
		keys[i] = key
	}
	nodes, errs := loader.FromContext(ctx).Node.LoadMany(ctx, keys)()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return nodes, nil
}

func courseFilter(w *model.CourseWhereInput) catalog.CourseFilter {
	if w == nil {
		return catalog.CourseFilter{}
	}
	return catalog.CourseFilter{
		Status:          w.Status,
		Level:           w.Level,
		Language:        w.Language,
		Tag:             w.Tag,
		PublishedAfter:  w.PublishedAfter,
		PublishedBefore: w.PublishedBefore,
		Search:          w.Search,
	}
}

// viewerOf is the viewer of the caller whose account is u, or null for
// anonymous callers (u nil).
func viewerOf(u *ent.User, err error) (*model.Viewer, error) {
	if err != nil || u == nil {
		return nil, err
	}
	return &model.Viewer{User: u}, nil
}

package graph

import (
	"context"

	"lectern/ent"
	"lectern/ent/user"
	"lectern/graph/model"
	"lectern/internal/apperr"
	"lectern/internal/catalog"
	"lectern/internal/gid"
	"lectern/internal/loader"
	"lectern/internal/viewer"
)

// MaxNodes bounds nodes(ids:).
const MaxNodes = 100

func loadNodes(ctx context.Context, ids []*gid.ID) ([]ent.Noder, error) {
	if len(ids) > MaxNodes {
		return nil, apperr.Newf(apperr.BadUserInput, "ids: at most %d IDs per request", MaxNodes)
	}
	keys := make([]gid.ID, len(ids))
	for i, id := range ids {
		keys[i] = *id
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

// viewerOf returns the signed-in caller, or nil for anonymous callers.
func viewerOf(ctx context.Context, client *ent.Client) (*model.Viewer, error) {
	v, ok := viewer.FromContext(ctx)
	if !ok || v.IsSystem() {
		return nil, nil
	}
	u, err := client.User.Query().Where(user.ID(v.UserID)).Only(ctx)
	if err != nil {
		return nil, err
	}
	return &model.Viewer{User: u}, nil
}

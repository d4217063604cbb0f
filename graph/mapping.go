package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

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

// courseSelectionTypes are the types whose fragments can appear on the way
// from a course field (or connection) down to a course's fields.
var courseSelectionTypes = []string{"CourseConnection", "CourseEdge", "Course", "Node"}

// primeStaff loads the staff of courses up front when the selection at path
// (below the current field) asks for owner or instructors.
func primeStaff(ctx context.Context, ids []uuid.UUID, path ...string) error {
	if !selects(ctx, courseSelectionTypes, path, "owner", "instructors") {
		return nil
	}
	return loader.FromContext(ctx).PrimeStaff(ctx, ids)
}

func courseIDs(conn *ent.CourseConnection) []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(conn.Edges))
	for _, e := range conn.Edges {
		ids = append(ids, e.Node.ID)
	}
	return ids
}

// selects reports whether the current field's selection, followed down
// path, includes any of the named fields (fragments on the given types
// included).
func selects(ctx context.Context, types, path []string, names ...string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return false
	}
	oc := graphql.GetOperationContext(ctx)
	fields := graphql.CollectFields(oc, fc.Field.Selections, types)
	for _, step := range path {
		var next []graphql.CollectedField
		for _, f := range fields {
			if f.Name == step {
				next = append(next, graphql.CollectFields(oc, f.Selections, types)...)
			}
		}
		fields = next
	}
	for _, f := range fields {
		if slices.Contains(names, f.Name) {
			return true
		}
	}
	return false
}

package graph

import (
	"github.com/google/uuid"

	"lectern/internal/gid"
)

// requireOptional is gid.ID.Require for an ID argument that may be left
// out: an omitted one passes.
func requireOptional(id *gid.ID, typ, field string) error {
	if id == nil {
		return nil
	}
	return id.Require(typ, field)
}

// optionalKey is the key of an ID argument that may be left out, nil when
// it was.
func optionalKey(id *gid.ID) *uuid.UUID {
	if id == nil {
		return nil
	}
	return &id.UUID
}

package graph

import (
	"lectern/graph/model"
	"lectern/internal/apperr"
	"lectern/internal/audit"
)

// auditFilter maps the schema's audit filter to the domain's. An actorId
// that is not a User's ID can match nothing and is refused as such.
func auditFilter(w *model.AuditEventWhereInput) (audit.Filter, error) {
	var f audit.Filter
	if w == nil {
		return f, nil
	}
	if w.ActorID != nil {
		if !w.ActorID.Is("User") {
			return f, apperr.New(apperr.BadUserInput, "actorId must be the ID of a User")
		}
		f.ActorID = w.ActorID.UUID
	}
	if w.Action != nil {
		f.Action = *w.Action
	}
	if w.TargetID != nil {
		f.TargetID = *w.TargetID
	}
	f.CreatedAfter, f.CreatedBefore = w.CreatedAfter, w.CreatedBefore
	return f, nil
}

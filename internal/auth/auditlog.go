package auth

import (
	"context"

	"lectern/ent"
	"lectern/internal/audit"
)

// AuditEvents returns a page of the audit trail matching f, in order
// (newest first when nil). The trail is read with the caller's eyes: only
// elevated administrators see its rows, anyone else an empty page.
func (s *Service) AuditEvents(ctx context.Context, f audit.Filter, page audit.Page, order *ent.AuditEventOrder) (*ent.AuditEventConnection, error) {
	return audit.List(ctx, s.db.Ent, f, page, order)
}

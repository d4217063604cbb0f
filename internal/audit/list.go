package audit

import (
	"context"
	"fmt"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/auditevent"
	"lectern/internal/apperr"
)

// Filter narrows a listing of the audit trail; zero fields match all.
type Filter struct {
	Action        string
	ActorID       uuid.UUID
	TargetID      string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
}

// Page is a Relay page request.
type Page struct {
	After  *entgql.Cursor[uuid.UUID]
	First  *int
	Before *entgql.Cursor[uuid.UUID]
	Last   *int
}

// List returns a page of audit events matching f in the given order
// (newest first by default). Rows are filtered by the caller's visibility,
// so a non-admin caller gets an empty page. An action that could never be
// recorded is BAD_USER_INPUT.
func List(ctx context.Context, client *ent.Client, f Filter, page Page, order *ent.AuditEventOrder) (*ent.AuditEventConnection, error) {
	q := client.AuditEvent.Query()
	if f.Action != "" {
		if err := auditevent.ActionValidator(f.Action); err != nil {
			return nil, apperr.New(apperr.BadUserInput, "action must be dotted lower-case words, e.g. login.failure")
		}
		q.Where(auditevent.Action(f.Action))
	}
	if f.ActorID != uuid.Nil {
		q.Where(auditevent.ActorID(f.ActorID))
	}
	if f.TargetID != "" {
		q.Where(auditevent.TargetID(f.TargetID))
	}
	if f.CreatedAfter != nil {
		q.Where(auditevent.CreatedAtGTE(*f.CreatedAfter))
	}
	if f.CreatedBefore != nil {
		q.Where(auditevent.CreatedAtLT(*f.CreatedBefore))
	}
	if order == nil {
		order = &ent.AuditEventOrder{Field: ent.AuditEventOrderFieldCreatedAt, Direction: entgql.OrderDirectionDesc}
	}
	conn, err := q.Paginate(ctx, page.After, page.First, page.Before, page.Last, ent.WithAuditEventOrder(order))
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return conn, nil
}

package audit

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/internal/obs"
	"lectern/internal/viewer"
)

// Event is one security event to record.
type Event struct {
	// Action is one of the action constants, e.g. LoginFailure.
	Action string
	// ActorID is the signed-in user who acted, uuid.Nil when nobody is.
	ActorID uuid.UUID
	// TargetType and TargetID name the object acted on ("User" and a UUID
	// string); both are optional.
	TargetType, TargetID string
	// Details is optional; only keys in AllowedDetails are accepted.
	Details map[string]string
}

// Log records events in the database and the log.
type Log struct {
	logger *slog.Logger
}

// New returns a Log that writes its lines through the request's logger, or
// through logger (slog.Default() when nil) outside a request. It cannot
// fail.
func New(logger *slog.Logger) *Log {
	return &Log{logger: logger}
}

// Record inserts e through client (pass a transaction's client to record in
// the same transaction as the change it describes, or the plain client for
// events that must survive a rollback, such as failures), filling
// client_addr from viewer.ClientFrom(ctx), request_id from
// obs.RequestIDFromContext(ctx) and created_at, then logs one line at INFO
// with msg "audit" and the same fields through obs.LoggerFromContext.
//
// It returns an error and records nothing for a details key outside
// AllowedDetails, a details value longer than 200 runes, or a field the
// schema refuses (an action not spelled as dotted lower-case words, an
// over-long target); it returns the database's error when the insert fails.
func (l *Log) Record(ctx context.Context, client *ent.Client, e Event) error {
	if err := checkDetails(e.Details); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	create := client.AuditEvent.Create().
		SetAction(e.Action).
		SetTargetType(e.TargetType).
		SetTargetID(e.TargetID).
		SetClientAddr(viewer.ClientFrom(ctx).Addr).
		SetRequestID(obs.RequestIDFromContext(ctx)).
		// PostgreSQL keeps microseconds; dropping the rest here keeps the
		// row and the log line in agreement on both databases.
		SetCreatedAt(time.Now().UTC().Truncate(time.Microsecond))
	if e.ActorID != uuid.Nil {
		create.SetActorID(e.ActorID)
	}
	if len(e.Details) > 0 {
		// A copy, so a caller reusing its map cannot change what is stored.
		create.SetDetails(maps.Clone(e.Details))
	}
	// Audit rows are hidden from every caller but elevated admins; the
	// row rules filter reads only, so anyone's action can be recorded.
	row, err := create.Save(ctx)
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	l.log(ctx, row)
	return nil
}

func checkDetails(details map[string]string) error {
	for k, v := range details {
		if !slices.Contains(AllowedDetails, k) {
			return fmt.Errorf("detail key %q is not allowed", k)
		}
		if utf8.RuneCountInString(v) > maxDetailLen {
			return fmt.Errorf("detail %q is longer than %d characters", k, maxDetailLen)
		}
	}
	return nil
}

// log writes the line for a stored row. request_id is not added here:
// obs.LoggerFromContext already returns a logger carrying it, and a second
// copy would give JSON lines a duplicate key.
func (l *Log) log(ctx context.Context, row *ent.AuditEvent) {
	actor := ""
	if row.ActorID != nil {
		actor = row.ActorID.String()
	}
	attrs := []slog.Attr{
		slog.String("action", row.Action),
		slog.String("actor_id", actor),
		slog.String("target_type", row.TargetType),
		slog.String("target_id", row.TargetID),
		slog.String("client_addr", row.ClientAddr),
	}
	if len(row.Details) > 0 {
		details := make([]any, 0, len(row.Details))
		for _, k := range slices.Sorted(maps.Keys(row.Details)) {
			details = append(details, slog.String(k, row.Details[k]))
		}
		attrs = append(attrs, slog.Group("details", details...))
	}
	obs.LoggerFromContext(ctx, l.logger).LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
}

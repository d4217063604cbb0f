package authoring

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/internal/database"
)

// Limits on a course's content, so one course cannot grow without bound.
const (
	maxSections         = 50
	maxLessonsPerCourse = 100
	maxFAQ              = 50
)

// positionOffset is larger than any position a list can hold: rows are
// first moved past it, then given their final places, so the unique
// (parent, position) index never sees two rows on one position, whichever
// order the database updates them in.
const positionOffset = 1_000_000

// placeAt returns ids with moved taken out and put back at index at
// (clamped to the list).
func placeAt(ids []uuid.UUID, moved uuid.UUID, at int) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ids)+1)
	for _, id := range ids {
		if id != moved {
			out = append(out, id)
		}
	}
	at = max(0, min(at, len(out)))
	out = append(out[:at], append([]uuid.UUID{moved}, out[at:]...)...)
	return out
}

// renumber gives the rows of table listed in ids the positions 0..n-1 in
// that order, inside tx. table and column names are constants of this
// package, never input. The statements go through tx's ent driver, not
// tx.SQL, so the cache sees the write even when a move writes nothing
// else (see database.DB.Watch).
func renumber(ctx context.Context, tx *database.Tx, table string, ids []uuid.UUID) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET position = position + $1 WHERE id = $2", positionOffset, id); err != nil {
			return fmt.Errorf("renumber %s: %w", table, err)
		}
	}
	for i, id := range ids {
		if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET position = $1 WHERE id = $2", i, id); err != nil {
			return fmt.Errorf("renumber %s: %w", table, err)
		}
	}
	return nil
}

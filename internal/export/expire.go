package export

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	entexport "lectern/ent/export"
	"lectern/ent/predicate"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// expireBatch bounds the exports one transaction of the expiry job
// changes.
const expireBatch = 500

// orphanAge is how old a file must be before the expiry job may judge it
// an orphan. Every export records its key before its file is written, so
// a younger one is no orphan either; the margin covers a store whose
// clock runs ahead.
const orphanAge = time.Hour

// Expire is one pass of the expiry job (kind "export_expiry"):
//   - SUCCEEDED exports whose expires_at has passed become EXPIRED and
//     their files are deleted;
//   - exports QUEUED or RUNNING with no change for StuckAfter (their job
//     is gone) become FAILED, PROCESSING_FAILED, and lose any file;
//   - files under the export prefix that no export holds (their export
//     was deleted with its user or course, or a deletion failed) are
//     deleted once they are an hour old.
//
// Every step is idempotent. It returns how many of each it handled.
func (s *Service) Expire(ctx context.Context) (map[string]int, error) {
	ctx = viewer.SystemContext(ctx)
	out := map[string]int{}
	now := s.now().UTC()
	n, err := s.settle(ctx, func(u *ent.ExportUpdate) { u.SetStatus(entexport.StatusEXPIRED) },
		entexport.StatusEQ(entexport.StatusSUCCEEDED), entexport.ExpiresAtLTE(now))
	out["expired"] = n
	if err != nil {
		return out, err
	}
	n, err = s.settle(ctx, func(u *ent.ExportUpdate) {
		u.SetStatus(entexport.StatusFAILED).SetErrorCode(ErrorProcessingFailed).SetFinishedAt(now)
	}, entexport.StatusIn(entexport.StatusQUEUED, entexport.StatusRUNNING), entexport.UpdatedAtLT(now.Add(-StuckAfter)))
	out["stuck"] = n
	if err != nil {
		return out, err
	}
	n, err = s.deleteOrphans(ctx, now)
	out["orphan_files"] = n
	return out, err
}

// settle moves the exports that match, a batch per transaction, with
// set, takes their files away and deletes them once the transaction has
// committed. The UPDATE checks match again, so an export a job finished
// meanwhile keeps its file.
func (s *Service) settle(ctx context.Context, set func(*ent.ExportUpdate), match ...predicate.Export) (int, error) {
	total := 0
	for {
		var gone []*ent.Export
		found := 0
		err := s.db.Transact(ctx, func(tx *database.Tx) error {
			tx.Touch()
			rows, err := tx.Export.Query().Where(match...).Order(entexport.ByID()).Limit(expireBatch).All(ctx)
			if err != nil || len(rows) == 0 {
				return err
			}
			found = len(rows)
			ids := make([]uuid.UUID, len(rows))
			for i, e := range rows {
				ids[i] = e.ID
			}
			u := tx.Export.Update().Where(entexport.IDIn(ids...)).Where(match...).
				ClearObjectKey().ClearByteSize().SetUpdatedAt(s.now().UTC())
			set(u)
			if _, err := u.Save(ctx); err != nil {
				return err
			}
			// Those now without a file; the rest changed meanwhile.
			gone, err = tx.Export.Query().Where(entexport.IDIn(ids...),
				entexport.StatusIn(entexport.StatusEXPIRED, entexport.StatusFAILED), entexport.ObjectKeyIsNil()).All(ctx)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("export expiry: %w", err)
		}
		for _, e := range gone {
			s.deleteFile(ctx, ObjectKey(e.ID, e.Kind))
		}
		total += len(gone)
		if found < expireBatch {
			return total, nil
		}
	}
}

// deleteOrphans deletes files under the export prefix older than
// orphanAge that no export row holds.
func (s *Service) deleteOrphans(ctx context.Context, now time.Time) (int, error) {
	cutoff := now.Add(-orphanAge)
	deleted := 0
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		held, err := s.db.Ent.Export.Query().Where(entexport.ObjectKeyIn(batch...)).Select(entexport.FieldObjectKey).Strings(ctx)
		if err != nil {
			return fmt.Errorf("export files: %w", err)
		}
		keep := map[string]bool{}
		for _, k := range held {
			keep[k] = true
		}
		for _, k := range batch {
			if keep[k] {
				continue
			}
			if err := s.store.Delete(ctx, k); err != nil {
				return err
			}
			deleted++
		}
		batch = batch[:0]
		return nil
	}
	for o, err := range s.store.List(ctx, keyPrefix+"/") {
		if err != nil {
			return deleted, err
		}
		if o.ModTime.After(cutoff) {
			continue
		}
		if batch = append(batch, o.Key); len(batch) == expireBatch {
			if err := flush(); err != nil {
				return deleted, err
			}
		}
	}
	return deleted, flush()
}

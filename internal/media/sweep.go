package media

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/asset"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// Cleanup is one pass of the media sweep (the media_sweep job):
//   - uploads not attached anywhere 24 hours after they were created
//     (never completed, rejected, failed, or completed and never used) go,
//     rows and objects;
//   - objects no row points to go once they are an hour old, so an
//     upload in flight or a rendition being recorded is never taken;
//   - the file store's writes a crash left unfinished go.
//
// It returns how many of each it deleted.
func (s *Service) Cleanup(ctx context.Context) (map[string]int, error) {
	ctx = viewer.SystemContext(ctx)
	out := map[string]int{}
	n, err := s.expireUploads(ctx)
	out["uploads"] = n
	if err != nil {
		return out, err
	}
	n, err = s.deleteOrphans(ctx)
	out["orphan_objects"] = n
	if err != nil {
		return out, err
	}
	n, err = s.store.SweepIncomplete(ctx, 2*uploadTTL)
	out["incomplete_writes"] = n
	return out, err
}

// sweepBatch bounds the rows one transaction of the sweep deletes.
const sweepBatch = 500

// expireUploads deletes unattached uploads older than pendingTTL, a batch
// per transaction, their objects in a job after each commits.
func (s *Service) expireUploads(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.db.Transact(ctx, func(tx *database.Tx) error {
			// Nothing unattached shows anywhere public.
			tx.Touch()
			stale, err := tx.Asset.Query().Where(
				asset.CreatedAtLT(s.now().Add(-pendingTTL)), asset.AttachedAtIsNil(),
				asset.Not(asset.HasCoverOf()), asset.Not(asset.HasAvatarOf()),
			).Limit(sweepBatch).All(ctx)
			if err != nil || len(stale) == 0 {
				return err
			}
			ids := make([]uuid.UUID, len(stale))
			for i, a := range stale {
				ids[i] = a.ID
			}
			// An upload attached since it was read stays: every attach sets
			// attached_at under the row's lock, and PostgreSQL checks the
			// condition again on the row as that attach left it.
			if _, err := tx.Asset.Delete().Where(asset.IDIn(ids...), asset.AttachedAtIsNil()).Exec(ctx); err != nil {
				return err
			}
			kept, err := tx.Asset.Query().Where(asset.IDIn(ids...)).IDs(ctx)
			if err != nil {
				return err
			}
			gone := slices.DeleteFunc(stale, func(a *ent.Asset) bool { return slices.Contains(kept, a.ID) })
			n = len(gone)
			return deleteObjects(ctx, tx, s.queue, gone)
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("expire uploads: %w", err)
		}
		if n == 0 {
			return total, nil
		}
	}
}

// orphanAge is how old an object must be before the sweep may judge it
// an orphan: older than any upload URL and any image being processed.
const orphanAge = time.Hour

// deleteOrphans deletes objects under the upload and public prefixes that
// no asset row points to.
func (s *Service) deleteOrphans(ctx context.Context) (int, error) {
	cutoff := s.now().Add(-orphanAge)
	deleted := 0
	for _, prefix := range []string{uploadPrefix + "/", publicPrefix + "/"} {
		var batch []string
		flush := func() error {
			orphans, err := s.orphans(ctx, batch)
			batch = batch[:0]
			if err != nil {
				return err
			}
			for _, k := range orphans {
				if err := s.store.Delete(ctx, k); err != nil {
					return err
				}
				deleted++
			}
			return nil
		}
		for o, err := range s.store.List(ctx, prefix) {
			if err != nil {
				return deleted, err
			}
			if o.ModTime.After(cutoff) {
				continue
			}
			if batch = append(batch, o.Key); len(batch) == sweepBatch {
				if err := flush(); err != nil {
					return deleted, err
				}
			}
		}
		if err := flush(); err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

// orphans returns the keys no asset row points to: an upload's key is its
// row's object_key, a rendition's key names its asset's ID.
func (s *Service) orphans(ctx context.Context, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var uploads []string
	var ids []uuid.UUID
	for _, k := range keys {
		if strings.HasPrefix(k, uploadPrefix+"/") {
			uploads = append(uploads, k)
			continue
		}
		parts := strings.Split(k, "/")
		if id, err := uuid.Parse(parts[min(1, len(parts)-1)]); err == nil && len(parts) == 3 {
			ids = append(ids, id)
		}
	}
	known := map[string]bool{}
	if len(uploads) > 0 {
		rows, err := s.db.Ent.Asset.Query().Where(asset.ObjectKeyIn(uploads...)).Select(asset.FieldObjectKey).Strings(ctx)
		if err != nil {
			return nil, err
		}
		for _, k := range rows {
			known[k] = true
		}
	}
	if len(ids) > 0 {
		rows, err := s.db.Ent.Asset.Query().Where(asset.IDIn(ids...)).Select(asset.FieldID, asset.FieldRenditions).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range rows {
			for _, r := range a.Renditions {
				known[r.Key] = true
			}
		}
	}
	var out []string
	for _, k := range keys {
		if !known[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

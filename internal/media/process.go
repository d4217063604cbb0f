package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/asset"
	"lectern/ent/schematype"
	"lectern/internal/cache"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// Why processing an image failed (Asset.failureReason).
const (
	// FailTooManyPixels: the image declares more pixels than maxPixels,
	// as a decompression bomb does.
	FailTooManyPixels = "TOO_MANY_PIXELS"
	// FailUnreadable: the file starts like an image but does not decode.
	FailUnreadable = "UNREADABLE"
	// FailProcessing: processing kept failing for reasons of the
	// server's (the store was unreachable).
	FailProcessing = "PROCESSING_FAILED"
)

// FailureReasons lists the reasons in the order the schema shows them.
var FailureReasons = []string{FailTooManyPixels, FailUnreadable, FailProcessing}

// Process makes the renditions of image asset id when it is PROCESSING
// and does nothing otherwise, so a job run twice is harmless. A file that
// is not a usable image leaves the asset FAILED with its reason; other
// errors are returned for the job to retry, and on the final attempt
// leave it FAILED too. The original upload, which may carry EXIF and GPS
// metadata, is deleted once its renditions exist.
func (s *Service) Process(ctx context.Context, id uuid.UUID, final bool) error {
	ctx = viewer.SystemContext(ctx)
	a, err := s.db.Ent.Asset.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil || a.Status != asset.StatusPROCESSING {
		return err
	}
	renditions, w, h, err := s.render(ctx, a)
	switch {
	case errors.Is(err, ErrTooManyPixels):
		return s.fail(ctx, a, FailTooManyPixels)
	case errors.Is(err, ErrNotImage):
		return s.fail(ctx, a, FailUnreadable)
	case err != nil && final:
		s.log.ErrorContext(ctx, "media: processing failed for good", "asset", a.ID, "err", err)
		return s.fail(ctx, a, FailProcessing)
	case err != nil:
		return err
	}
	kept, err := s.finish(ctx, a, renditions, w, h)
	if err != nil {
		return err
	}
	if !kept {
		for _, r := range renditions {
			s.deleteNow(ctx, r.Key)
		}
		return nil
	}
	s.deleteNow(ctx, a.ObjectKey)
	return nil
}

// render decodes a's upload and stores its renditions under keys naming
// their content.
func (s *Service) render(ctx context.Context, a *ent.Asset) ([]schematype.Rendition, int, int, error) {
	rd, err := s.store.NewReader(ctx, a.ObjectKey)
	if err != nil {
		return nil, 0, 0, err
	}
	defer rd.Close()
	p, err := ProcessImage(io.LimitReader(rd, a.ByteSize), renditionWidths, maxPixels)
	if err != nil {
		return nil, 0, 0, err
	}
	out := make([]schematype.Rendition, len(p.Renditions))
	for i, r := range p.Renditions {
		sum := sha256.Sum256(r.Data)
		key := publicPrefix + "/" + a.ID.String() + "/" + hex.EncodeToString(sum[:]) + r.Ext
		if err := s.store.Put(ctx, key, bytes.NewReader(r.Data), r.ContentType); err != nil {
			return nil, 0, 0, fmt.Errorf("store rendition: %w", err)
		}
		out[i] = schematype.Rendition{Width: r.Width, Height: r.Height, ContentType: r.ContentType,
			Bytes: int64(len(r.Data)), Key: key}
	}
	return out, p.Width, p.Height, nil
}

// finish records the renditions on a if it is still PROCESSING. kept is
// false when it is not (it was deleted, or another run finished first
// with other keys), and the renditions just stored are then the caller's
// to delete.
func (s *Service) finish(ctx context.Context, a *ent.Asset, rs []schematype.Rendition, w, h int) (kept bool, err error) {
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		if err := s.touchShown(ctx, tx, a.ID); err != nil {
			return err
		}
		n, err := tx.Asset.Update().Where(asset.ID(a.ID), asset.StatusEQ(asset.StatusPROCESSING)).
			SetStatus(asset.StatusREADY).SetRenditions(rs).SetWidth(w).SetHeight(h).
			SetUpdatedAt(s.now().UTC()).Save(ctx)
		if err != nil || n == 1 {
			kept = n == 1
			return err
		}
		// Another run may have finished with the same keys (the same
		// bytes make the same renditions): those must stay.
		cur, err := tx.Asset.Query().Where(asset.ID(a.ID)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil
		}
		kept = err == nil && sameKeys(cur.Renditions, rs)
		return err
	})
	return kept, err
}

func sameKeys(a, b []schematype.Rendition) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key {
			return false
		}
	}
	return true
}

// fail leaves a FAILED with reason, if it is still PROCESSING, and
// deletes its upload, which nothing will read again.
func (s *Service) fail(ctx context.Context, a *ent.Asset, reason string) error {
	err := s.db.Transact(ctx, func(tx *database.Tx) error {
		if err := s.touchShown(ctx, tx, a.ID); err != nil {
			return err
		}
		_, err := tx.Asset.Update().Where(asset.ID(a.ID), asset.StatusEQ(asset.StatusPROCESSING)).
			SetStatus(asset.StatusFAILED).SetFailureReason(reason).SetUpdatedAt(s.now().UTC()).Save(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("record failed image: %w", err)
	}
	s.deleteNow(ctx, a.ObjectKey)
	return nil
}

// touchShown locks asset id and declares the cache tags of the pages it
// shows on now: the row the job read before its work may predate the
// cover or avatar it became meanwhile, and tagging by that would leave
// the page's cached answer showing it still processing.
func (s *Service) touchShown(ctx context.Context, tx *database.Tx, id uuid.UUID) error {
	if err := s.lock(ctx, tx, id); err != nil {
		return err
	}
	cur, err := tx.Asset.Query().Where(asset.ID(id)).Only(ctx)
	if ent.IsNotFound(err) {
		tx.Touch()
		return nil
	}
	if err != nil {
		return err
	}
	tx.Touch(shownAt(cur)...)
	return nil
}

// shownAt returns the cache tags of the public pages a shows on: its
// course's, or its owner's profile for an avatar.
func shownAt(a *ent.Asset) []string {
	if a.CourseID != nil {
		return []string{cache.Course(*a.CourseID)}
	}
	if a.Purpose == asset.PurposeAVATAR {
		return []string{cache.User(a.OwnerID)}
	}
	return nil
}

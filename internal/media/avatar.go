package media

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/asset"
	"lectern/internal/access"
	"lectern/internal/cache"
	"lectern/internal/database"
)

// SetAvatar makes the caller's completed AVATAR upload their profile
// picture; the one it replaces is deleted.
func (s *Service) SetAvatar(ctx context.Context, uploadID uuid.UUID) (*ent.User, error) {
	return s.changeAvatar(ctx, &uploadID)
}

// RemoveAvatar deletes the caller's profile picture, if any.
func (s *Service) RemoveAvatar(ctx context.Context) (*ent.User, error) {
	return s.changeAvatar(ctx, nil)
}

func (s *Service) changeAvatar(ctx context.Context, uploadID *uuid.UUID) (*ent.User, error) {
	v, err := access.VerifiedUser(ctx, s.db.Ent)
	if err != nil {
		return nil, err
	}
	var out *ent.User
	err = s.db.Transact(ctx, func(tx *database.Tx) error {
		tx.Touch(cache.User(v.UserID))
		u, err := tx.User.Get(ctx, v.UserID)
		if err != nil {
			return err
		}
		if uploadID == nil && u.AvatarID == nil || uploadID != nil && u.AvatarID != nil && *u.AvatarID == *uploadID {
			out = u // nothing to do: no avatar to remove, or already the avatar
			return nil
		}
		var next *ent.Asset
		if uploadID != nil {
			if next, err = s.Claim(ctx, tx, v.UserID, *uploadID, asset.PurposeAVATAR, "uploadId"); err != nil {
				return err
			}
			if err := tx.Asset.UpdateOne(next).SetAttachedAt(s.now().UTC()).Exec(ctx); err != nil {
				return err
			}
		}
		if u.AvatarID != nil && (next == nil || *u.AvatarID != next.ID) {
			old, err := tx.Asset.Get(ctx, *u.AvatarID)
			if err != nil {
				return err
			}
			if err := s.Discard(ctx, tx, old); err != nil {
				return err
			}
		}
		upd := tx.User.UpdateOneID(v.UserID)
		if next != nil {
			upd.SetAvatarID(next.ID)
		} else {
			upd.ClearAvatar()
		}
		out, err = upd.Save(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set avatar: %w", err)
	}
	return out, nil
}

package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/predicate"
	"lectern/ent/user"
	"lectern/internal/database"
	"lectern/internal/sealed"
)

// TOTP secrets are stored sealed (internal/sealed): a copy of the database
// alone does not yield the secrets that mint second-factor codes.

var errNoTOTPKeys = errors.New("auth: no TOTP encryption keys configured")

// totpAD binds a sealed secret to its account, so a value copied into
// another account's row does not open. The confirmed and the pending secret
// share it: confirmation moves the one into the other without opening it.
func totpAD(id uuid.UUID) []byte { return []byte("lectern/user.totp_secret/" + id.String()) }

// SealTOTPSecret returns secret sealed under keys' first key, to be stored
// in account id's totp_secret or totp_pending_secret. It fails only when
// keys is nil.
func SealTOTPSecret(keys *sealed.Keyring, id uuid.UUID, secret string) (string, error) {
	if keys == nil {
		return "", errNoTOTPKeys
	}
	return keys.Seal([]byte(secret), totpAD(id)), nil
}

// OpenTOTPSecret returns the TOTP secret that stored, a value of account
// id's totp_secret or totp_pending_secret, holds. It fails when keys is
// nil, or stored is not sealed, names a key keys lacks, was sealed for
// another account or was altered (the errors of sealed.Keyring.Open).
func OpenTOTPSecret(keys *sealed.Keyring, id uuid.UUID, stored string) (string, error) {
	if keys == nil {
		return "", errNoTOTPKeys
	}
	plain, err := keys.Open(stored, totpAD(id))
	if err != nil {
		return "", fmt.Errorf("open TOTP secret of account %s: %w", id, err)
	}
	return string(plain), nil
}

// totpSecret returns u's confirmed TOTP secret.
func (s *Service) totpSecret(u *ent.User) (string, error) {
	if u.TotpSecret == nil {
		return "", fmt.Errorf("auth: account %s has no TOTP secret", u.ID)
	}
	return OpenTOTPSecret(s.totpKeys, u.ID, *u.TotpSecret)
}

// sealBatch bounds the rows SealTOTPSecrets holds in memory at once.
const sealBatch = 500

// SealTOTPSecrets brings every stored TOTP secret, confirmed or pending,
// under the first of keys: it seals those stored in plain text (written
// before secrets were sealed) and re-seals those sealed under another of
// keys (after a rotation). It runs in one transaction and returns how many
// accounts it changed; run again, it finds nothing to change. A value
// written concurrently is left to its writer. It fails, changing nothing,
// when keys is nil or a stored value does not open with keys (its key was
// dropped too early, it has a newer format, or it was altered): such a
// secret cannot be recovered from the database alone, so it is reported
// rather than skipped.
func SealTOTPSecrets(ctx context.Context, db *database.DB, keys *sealed.Keyring) (int, error) {
	if keys == nil {
		return 0, errNoTOTPKeys
	}
	var changed int
	err := db.Transact(ctx, func(tx *database.Tx) error {
		tx.Touch() // secrets only
		changed = 0
		after := uuid.Nil
		for {
			rows, err := tx.System().User.Query().Where(user.IDGT(after), notSealedUnder(keys.Prefix())).Order(user.ByID()).Limit(sealBatch).
				Select(user.FieldID, user.FieldTotpSecret, user.FieldTotpPendingSecret, user.FieldUpdatedAt).All(ctx)
			if err != nil {
				return err
			}
			for _, u := range rows {
				n, err := resealTOTP(ctx, tx, keys, u)
				if err != nil {
					return err
				}
				changed += n
			}
			if len(rows) < sealBatch {
				return nil
			}
			after = rows[len(rows)-1].ID
		}
	})
	if err != nil {
		return 0, fmt.Errorf("seal TOTP secrets: %w", err)
	}
	return changed, nil
}

// notSealedUnder matches accounts with a TOTP secret that does not start
// with prefix.
func notSealedUnder(prefix string) predicate.User {
	return user.Or(
		user.And(user.TotpSecretNotNil(), user.Not(user.TotpSecretHasPrefix(prefix))),
		user.And(user.TotpPendingSecretNotNil(), user.Not(user.TotpPendingSecretHasPrefix(prefix))),
	)
}

// resealTOTP rewrites u's secrets that are not under keys' first key, only
// if they still hold what was read, and returns the rows changed (0 or 1).
// updated_at is kept: the account itself has not changed.
func resealTOTP(ctx context.Context, tx *database.Tx, keys *sealed.Keyring, u *ent.User) (int, error) {
	upd := tx.User.Update().Where(user.ID(u.ID)).SetUpdatedAt(u.UpdatedAt)
	if v := u.TotpSecret; v != nil && !keys.Current(*v) {
		value, err := reseal(keys, u.ID, *v)
		if err != nil {
			return 0, err
		}
		upd.Where(user.TotpSecret(*v)).SetTotpSecret(value)
	}
	if v := u.TotpPendingSecret; v != nil && !keys.Current(*v) {
		value, err := reseal(keys, u.ID, *v)
		if err != nil {
			return 0, err
		}
		upd.Where(user.TotpPendingSecret(*v)).SetTotpPendingSecret(value)
	}
	return upd.Save(ctx)
}

// reseal returns a stored secret sealed under keys' first key; a value
// without a version prefix is the secret itself.
func reseal(keys *sealed.Keyring, id uuid.UUID, stored string) (string, error) {
	secret := stored
	if sealed.IsSealed(stored) {
		var err error
		if secret, err = OpenTOTPSecret(keys, id, stored); err != nil {
			return "", err
		}
	}
	return SealTOTPSecret(keys, id, secret)
}

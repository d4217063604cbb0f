package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/user"
	"lectern/internal/auth"
	"lectern/internal/auth/totp"
	"lectern/internal/sealed"
	"lectern/internal/testenv"
)

// storedTOTP is what the database holds for one account's second factor.
type storedTOTP struct {
	secret, pending *string
	updatedAt       time.Time
}

// totpRows reads every account's stored TOTP secrets.
func (h *harness) totpRows(t *testing.T) map[uuid.UUID]storedTOTP {
	t.Helper()
	rows, err := h.db.Ent.User.Query().All(sys())
	if err != nil {
		t.Fatal(err)
	}
	out := map[uuid.UUID]storedTOTP{}
	for _, u := range rows {
		out[u.ID] = storedTOTP{u.TotpSecret, u.TotpPendingSecret, u.UpdatedAt}
	}
	return out
}

// storeTOTP writes an account's secrets exactly as given, as a database
// from before sealing, or sealed under another key, holds them.
func (h *harness) storeTOTP(t *testing.T, id uuid.UUID, secret, pending string) {
	t.Helper()
	upd := h.db.Ent.User.UpdateOneID(id)
	if secret != "" {
		upd.SetTotpSecret(secret).SetMfaEnabledAt(h.clock.Now())
	}
	if pending != "" {
		upd.SetTotpPendingSecret(pending)
	}
	if err := upd.Exec(sys()); err != nil {
		t.Fatal(err)
	}
}

func newTOTPSecret(t *testing.T) string {
	t.Helper()
	sec, err := totp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return sec
}

func oldTOTPKey(t *testing.T) sealed.Key {
	t.Helper()
	k, err := sealed.NewKey("old", bytes.Repeat([]byte{0x01}, sealed.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSealTOTPSecrets: the migration step seals secrets stored in plain
// text and re-seals those under a retiring key; the app then verifies codes
// from them as before, and a second run changes nothing.
func TestSealTOTPSecrets(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect)
		db := h.db
		ctx := context.Background()
		old, err := sealed.NewKeyring(oldTOTPKey(t))
		if err != nil {
			t.Fatal(err)
		}
		rotating, err := sealed.NewKeyring(testenv.TOTPKey(), oldTOTPKey(t))
		if err != nil {
			t.Fatal(err)
		}
		seal := func(kr *sealed.Keyring, id uuid.UUID, sec string) string {
			v, err := auth.SealTOTPSecret(kr, id, sec)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}

		plain := mfaAccount{id: h.createUser(t, "plain@example.com", mfaPassword).ID, email: "plain@example.com", secret: newTOTPSecret(t)}
		h.storeTOTP(t, plain.id, plain.secret, "")
		enrolling := h.createUser(t, "enrolling@example.com", mfaPassword)
		enrollingSecret := newTOTPSecret(t)
		h.storeTOTP(t, enrolling.ID, "", enrollingSecret)
		rotated := mfaAccount{id: h.createUser(t, "rotated@example.com", mfaPassword).ID, email: "rotated@example.com", secret: newTOTPSecret(t)}
		rotatedPending := newTOTPSecret(t)
		h.storeTOTP(t, rotated.id, seal(old, rotated.id, rotated.secret), seal(old, rotated.id, rotatedPending))
		current := h.createUser(t, "current@example.com", mfaPassword)
		h.storeTOTP(t, current.ID, testenv.SealTOTP(t, current.ID, newTOTPSecret(t)), "")
		h.createUser(t, "without@example.com", mfaPassword)
		before := h.totpRows(t)

		n, err := auth.SealTOTPSecrets(ctx, db, rotating)
		if err != nil || n != 3 {
			t.Fatalf("first run = %d, %v; want 3 accounts changed", n, err)
		}
		after := h.totpRows(t)
		for id, want := range map[uuid.UUID][2]string{
			plain.id:     {plain.secret, ""},
			enrolling.ID: {"", enrollingSecret},
			rotated.id:   {rotated.secret, rotatedPending},
		} {
			got := after[id]
			for i, v := range []*string{got.secret, got.pending} {
				switch {
				case want[i] == "" && v != nil:
					t.Errorf("account %s gained a secret: %s", id, *v)
				case want[i] == "":
				case v == nil || !strings.HasPrefix(*v, "v1:test:") || strings.Contains(*v, want[i]):
					t.Errorf("account %s stores %v, want it sealed under the first key", id, v)
				case testenv.OpenTOTP(t, id, *v) != want[i]:
					t.Errorf("account %s: the sealed secret is not the one stored before", id)
				}
			}
			if !got.updatedAt.Equal(before[id].updatedAt) {
				t.Errorf("account %s: updated_at moved from %v to %v", id, before[id].updatedAt, got.updatedAt)
			}
		}
		if *after[current.ID].secret != *before[current.ID].secret {
			t.Error("a secret already under the first key was sealed again")
		}

		again, err := auth.SealTOTPSecrets(ctx, db, rotating)
		if err != nil || again != 0 {
			t.Fatalf("second run = %d, %v; want nothing changed", again, err)
		}
		if final := h.totpRows(t); !sameTOTPRows(final, after) {
			t.Error("the second run changed stored secrets")
		}

		// The app, which holds the first key only, verifies codes from the
		// sealed secrets: the old key is no longer needed.
		for _, a := range []mfaAccount{plain, rotated} {
			h.signInMFA(t, a)
		}
		b := h.browser()
		b.mustLogIn(t, "enrolling@example.com", mfaPassword)
		_, p := b.confirmTotp(t, h.nextCode(t, enrollingSecret))
		wantNoUserErrors(t, "confirmTotpEnrollment with a pending secret sealed by the migration", p.UserErrors)
	})
}

func sameTOTPRows(a, b map[uuid.UUID]storedTOTP) bool {
	eq := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	if len(a) != len(b) {
		return false
	}
	for id, x := range a {
		y := b[id]
		if !eq(x.secret, y.secret) || !eq(x.pending, y.pending) || !x.updatedAt.Equal(y.updatedAt) {
			return false
		}
	}
	return true
}

// TestSealTOTPSecretsRefuses: a stored secret that does not open with the
// configured keys stops the migration before it changes anything.
func TestSealTOTPSecretsRefuses(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect)
		db := h.db
		ctx := context.Background()
		gone, err := sealed.GenerateKey("gone")
		if err != nil {
			t.Fatal(err)
		}
		rotating, err := sealed.NewKeyring(testenv.TOTPKey(), oldTOTPKey(t))
		if err != nil {
			t.Fatal(err)
		}
		sealUnder := func(key sealed.Key, id uuid.UUID) string {
			kr, err := sealed.NewKeyring(key)
			if err != nil {
				t.Fatal(err)
			}
			v, err := auth.SealTOTPSecret(kr, id, "JBSWY3DPEHPK3PXP")
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		plain := h.createUser(t, "plain@example.com", mfaPassword)
		h.storeTOTP(t, plain.ID, newTOTPSecret(t), "")
		other := h.createUser(t, "other@example.com", mfaPassword)
		for _, tc := range []struct {
			name   string
			stored string
			want   error
		}{
			{"RetiredKey", sealUnder(gone, other.ID), sealed.ErrUnknownKey},
			{"SealedForAnotherAccount", sealUnder(oldTOTPKey(t), plain.ID), sealed.ErrAuthentication},
			{"NewerFormat", "v2:test:AAAA", sealed.ErrVersion},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h.storeTOTP(t, other.ID, "", tc.stored)
				before := h.totpRows(t)
				n, err := auth.SealTOTPSecrets(ctx, db, rotating)
				if !errors.Is(err, tc.want) || n != 0 {
					t.Fatalf("SealTOTPSecrets = %d, %v; want %v", n, err, tc.want)
				}
				if !strings.Contains(err.Error(), other.ID.String()) {
					t.Errorf("the error does not name the account: %v", err)
				}
				if !sameTOTPRows(h.totpRows(t), before) {
					t.Error("a refused run changed stored secrets")
				}
			})
		}
		if _, err := auth.SealTOTPSecrets(ctx, db, nil); err == nil {
			t.Error("SealTOTPSecrets ran without keys")
		}
	})
}

// TestTOTPSecretMovedToAnotherAccount: a sealed secret copied into another
// account's row does not open there, so its codes do not sign that account
// in.
func TestTOTPSecretMovedToAnotherAccount(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect)
		owner := h.armMFA(t, "owner@example.com")
		thief := h.createUser(t, "thief@example.com", mfaPassword)
		stored, err := h.db.Ent.User.Query().Where(user.ID(owner.id)).Only(sys())
		if err != nil {
			t.Fatal(err)
		}
		h.storeTOTP(t, thief.ID, *stored.TotpSecret, "")
		b := h.browser()
		res, p := b.verifyMfa(t, b.challenge(t, mfaAccount{id: thief.ID, email: "thief@example.com"}), h.nextCode(t, owner.secret), "COOKIE")
		if p.Viewer != nil || b.Cookie != "" {
			t.Fatal("a code of the secret's owner signed another account in")
		}
		if e := res.OnlyError(t); e.Extensions.Code != "INTERNAL" {
			t.Errorf("error code %q, want INTERNAL (the stored secret is unusable)", e.Extensions.Code)
		}
	})
}

// TestSealTOTPSecretsManyAccounts: accounts beyond the first page the
// migration reads are sealed too, in the same run.
func TestSealTOTPSecretsManyAccounts(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		db := testenv.Fresh(t, dialect)
		const accounts = 1234
		sec := newTOTPSecret(t)
		now := time.Now().UTC()
		builders := make([]*ent.UserCreate, accounts)
		for i := range builders {
			builders[i] = db.Ent.User.Create().SetEmail(fmt.Sprintf("u%d@example.com", i)).SetDisplayName("U").
				SetTotpSecret(sec).SetMfaEnabledAt(now)
		}
		if err := db.Ent.User.CreateBulk(builders...).Exec(sys()); err != nil {
			t.Fatal(err)
		}
		n, err := auth.SealTOTPSecrets(context.Background(), db, testenv.TOTPKeys())
		if err != nil || n != accounts {
			t.Fatalf("SealTOTPSecrets = %d, %v; want %d", n, err, accounts)
		}
		left, err := db.Ent.User.Query().Where(user.Not(user.TotpSecretHasPrefix("v1:test:"))).Count(sys())
		if err != nil || left != 0 {
			t.Fatalf("%d accounts left unsealed (%v)", left, err)
		}
	})
}

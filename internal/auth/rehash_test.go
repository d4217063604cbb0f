package auth_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"testing"

	"golang.org/x/crypto/argon2"

	"lectern/internal/auth/password"
	"lectern/internal/testenv"
)

// weakHash returns pw hashed with argon2id at half the current memory and
// a single pass, encoded as the service stores hashes. password.NewHasher
// refuses anything below the current parameters (they are its floor), so a
// hash from an older, weaker configuration has to be written by hand.
func weakHash(t *testing.T, pw string) string {
	t.Helper()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	const memory, passes = 9728, 1
	key := argon2.IDKey([]byte(pw), salt, passes, memory, 1, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=1$%s$%s", argon2.Version, memory, passes,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func TestLogInUpgradesWeakHash(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect)
		const pw = "an old account's passphrase"
		weak := weakHash(t, pw)
		old, err := password.ParamsOf(weak)
		if err != nil {
			t.Fatalf("the hand-made hash does not parse: %v", err)
		}
		if _, err := password.NewHasher(old); err == nil {
			t.Fatal("NewHasher accepts the weak parameters; the test no longer needs a hand-made hash")
		}
		u := h.createUserWithHash(t, "old@example.com", weak)

		// A wrong password proves nothing, so it must not rewrite the hash.
		_, bad := h.browser().logIn(t, "old@example.com", "not the passphrase")
		wantUserError(t, "logIn with a wrong password", bad.UserErrors, "INVALID_CREDENTIALS")
		if got := *h.userByID(t, u.ID).PasswordHash; got != weak {
			t.Fatal("a failed sign-in changed the stored hash")
		}

		h.browser().mustLogIn(t, "old@example.com", pw)
		stored := *h.userByID(t, u.ID).PasswordHash
		if stored == weak {
			t.Fatal("the weak hash was not upgraded")
		}
		got, err := password.ParamsOf(stored)
		if err != nil {
			t.Fatalf("upgraded hash: %v", err)
		}
		if got != password.DefaultParams() {
			t.Errorf("upgraded hash parameters %+v, want %+v", got, password.DefaultParams())
		}
		if ok, rehash, err := hasher(t).Verify(context.Background(), pw, stored); !ok || rehash || err != nil {
			t.Errorf("upgraded hash: verify ok=%v rehash=%v err=%v", ok, rehash, err)
		}
		// The upgraded hash keeps working through the API.
		h.browser().mustLogIn(t, "old@example.com", pw)
	})
}

// hasher is a password hasher at the current parameters, the app's.
func hasher(t *testing.T) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(password.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

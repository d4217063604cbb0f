package testenv

import (
	"bytes"
	"testing"

	"github.com/google/uuid"

	"lectern/internal/auth"
	"lectern/internal/sealed"
)

// TOTPKey returns the key that seals TOTP secrets in the app NewClient
// builds: ID "test", 32 bytes of 0x5e.
func TOTPKey() sealed.Key {
	k, err := sealed.NewKey("test", bytes.Repeat([]byte{0x5e}, sealed.KeySize))
	if err != nil {
		panic(err)
	}
	return k
}

// TOTPKeys returns a keyring of TOTPKey alone.
func TOTPKeys() *sealed.Keyring {
	kr, err := sealed.NewKeyring(TOTPKey())
	if err != nil {
		panic(err)
	}
	return kr
}

// SealTOTP returns secret sealed for account id the way NewClient's app
// stores it, for tests that arm two-factor sign-in directly in the
// database.
func SealTOTP(t testing.TB, id uuid.UUID, secret string) string {
	t.Helper()
	v, err := auth.SealTOTPSecret(TOTPKeys(), id, secret)
	if err != nil {
		t.Fatalf("seal TOTP secret: %v", err)
	}
	return v
}

// OpenTOTP returns the TOTP secret stored, as NewClient's app stored it,
// in account id's row.
func OpenTOTP(t testing.TB, id uuid.UUID, stored string) string {
	t.Helper()
	secret, err := auth.OpenTOTPSecret(TOTPKeys(), id, stored)
	if err != nil {
		t.Fatalf("open TOTP secret: %v", err)
	}
	return secret
}

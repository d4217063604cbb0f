package sealed_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"lectern/internal/sealed"
)

// fixedKey returns a key whose secret is b repeated, so failures are
// reproducible.
func fixedKey(t *testing.T, id string, b byte) sealed.Key {
	t.Helper()
	k, err := sealed.NewKey(id, bytes.Repeat([]byte{b}, sealed.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyring(t *testing.T, keys ...sealed.Key) *sealed.Keyring {
	t.Helper()
	kr, err := sealed.NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// replaceBody swaps the base64 body of a sealed value for f of its bytes.
func replaceBody(t *testing.T, value string, f func([]byte) []byte) string {
	t.Helper()
	i := strings.LastIndexByte(value, ':')
	body, err := base64.RawURLEncoding.DecodeString(value[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	return value[:i+1] + base64.RawURLEncoding.EncodeToString(f(body))
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k1, k2, other1 := fixedKey(t, "k1", 1), fixedKey(t, "k2", 2), fixedKey(t, "k1", 9)
	old := keyring(t, k1)
	rotated := keyring(t, k2, k1)
	retired := keyring(t, k2)
	secret := []byte("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
	alice, bob := []byte("user:alice"), []byte("user:bob")
	sealedByOld := old.Seal(secret, alice)

	for _, tc := range []struct {
		name  string
		value string
		open  *sealed.Keyring
		ad    []byte
		want  error // nil: opens to secret
	}{
		{"RoundTrip", sealedByOld, old, alice, nil},
		{"EmptyPlaintext", old.Seal(nil, alice), old, alice, nil},
		{"RotationOpensUnderOldKey", sealedByOld, rotated, alice, nil},
		{"RotationSealsUnderNewKey", rotated.Seal(secret, alice), retired, alice, nil},
		{"OldKeyRetired", sealedByOld, retired, alice, sealed.ErrUnknownKey},
		{"WrongKeyUnderSameID", sealedByOld, keyring(t, other1), alice, sealed.ErrAuthentication},
		{"KeyIDRewritten", strings.Replace(sealedByOld, ":k1:", ":k2:", 1), rotated, alice, sealed.ErrAuthentication},
		{"MovedToAnotherUser", sealedByOld, old, bob, sealed.ErrAuthentication},
		{"MissingAdditionalData", sealedByOld, old, nil, sealed.ErrAuthentication},
		{"TamperedCiphertext", replaceBody(t, sealedByOld, func(b []byte) []byte { b[len(b)-20] ^= 1; return b }), old, alice, sealed.ErrAuthentication},
		{"TamperedNonce", replaceBody(t, sealedByOld, func(b []byte) []byte { b[0] ^= 1; return b }), old, alice, sealed.ErrAuthentication},
		{"TamperedTag", replaceBody(t, sealedByOld, func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), old, alice, sealed.ErrAuthentication},
		{"Truncated", replaceBody(t, sealedByOld, func(b []byte) []byte { return b[:len(b)-1] }), old, alice, sealed.ErrAuthentication},
		{"ShorterThanNonceAndTag", replaceBody(t, sealedByOld, func(b []byte) []byte { return b[:20] }), old, alice, sealed.ErrMalformed},
		{"UnknownVersion", "v2" + strings.TrimPrefix(sealedByOld, "v1"), old, alice, sealed.ErrVersion},
		{"PlainText", string(secret), old, alice, sealed.ErrNotSealed},
		{"Empty", "", old, alice, sealed.ErrNotSealed},
		{"NoKeyID", "v1:" + strings.SplitN(sealedByOld, ":", 3)[2], old, alice, sealed.ErrMalformed},
		{"InvalidKeyID", strings.Replace(sealedByOld, ":k1:", ":k 1:", 1), old, alice, sealed.ErrMalformed},
		{"BodyNotBase64", sealedByOld + "!", old, alice, sealed.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.open.Open(tc.value, tc.ad)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("Open = %q, %v; want %v", got, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			want := secret
			if tc.name == "EmptyPlaintext" {
				want = nil
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Open = %q, want %q", got, want)
			}
		})
	}
}

func TestSealedValue(t *testing.T) {
	t.Parallel()
	kr := keyring(t, fixedKey(t, "k2", 2), fixedKey(t, "k1", 1))
	secret := []byte("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
	a, b := kr.Seal(secret, []byte("x")), kr.Seal(secret, []byte("x"))
	if a == b {
		t.Error("two seals of one secret are equal; the nonce is not random")
	}
	if !strings.HasPrefix(a, "v1:k2:") || kr.Prefix() != "v1:k2:" || kr.Primary() != "k2" {
		t.Errorf("value %q, prefix %q, primary %q; want v1:k2:…", a, kr.Prefix(), kr.Primary())
	}
	if strings.Contains(a, string(secret)) || strings.ContainsAny(strings.TrimPrefix(a, "v1:k2:"), ":+/=") {
		t.Errorf("value %q shows the secret or is not unpadded base64url", a)
	}
	if !sealed.IsSealed(a) || sealed.IsSealed(string(secret)) || sealed.IsSealed("") || !sealed.IsSealed("v27:x:y") {
		t.Error("IsSealed does not tell sealed values from plain ones")
	}
	if !kr.Current(a) || kr.Current(keyring(t, fixedKey(t, "k1", 1)).Seal(secret, nil)) || kr.Current(string(secret)) {
		t.Error("Current does not tell values under the first key from the others")
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	raw := bytes.Repeat([]byte{0xfb}, sealed.KeySize) // base64 of 0xfb… uses '+' or '-' and '/' or '_'
	for _, tc := range []struct {
		name, entry string
		ok          bool
	}{
		{"StdPadded", "k1:" + base64.StdEncoding.EncodeToString(raw), true},
		{"StdUnpadded", "k1:" + base64.RawStdEncoding.EncodeToString(raw), true},
		{"URLPadded", "k1:" + base64.URLEncoding.EncodeToString(raw), true},
		{"URLUnpadded", "2026-01_a.b:" + base64.RawURLEncoding.EncodeToString(raw), true},
		{"Spaces", "  k1 : " + base64.StdEncoding.EncodeToString(raw) + " ", true},
		{"NoID", base64.StdEncoding.EncodeToString(raw), false},
		{"EmptyID", ":" + base64.StdEncoding.EncodeToString(raw), false},
		{"EmptyKey", "k1:", false},
		{"IDWithSpace", "k 1:" + base64.StdEncoding.EncodeToString(raw), false},
		{"IDTooLong", strings.Repeat("k", 33) + ":" + base64.StdEncoding.EncodeToString(raw), false},
		{"NotBase64", "k1:not base64!", false},
		{"TooShort", "k1:" + base64.StdEncoding.EncodeToString(raw[:16]), false},
		{"TooLong", "k1:" + base64.StdEncoding.EncodeToString(append(raw, 1)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := sealed.ParseKey(tc.entry)
			if tc.ok != (err == nil) {
				t.Fatalf("ParseKey(%q) = %v, %v; want ok %v", tc.entry, k, err, tc.ok)
			}
			if err != nil && strings.Contains(err.Error(), "+/") || err != nil && strings.Contains(err.Error(), "-_") {
				t.Errorf("error quotes the key: %v", err)
			}
			if err == nil {
				want := keyring(t, fixedKey(t, k.ID(), 0xfb)).Seal([]byte("s"), nil)
				if got, err := keyring(t, k).Open(want, nil); err != nil || string(got) != "s" {
					t.Errorf("parsed key does not open what its bytes sealed: %q, %v", got, err)
				}
			}
		})
	}
}

func TestNewKeyring(t *testing.T) {
	t.Parallel()
	k1 := fixedKey(t, "k1", 1)
	for name, keys := range map[string][]sealed.Key{
		"NoKey":       nil,
		"ZeroKey":     {{}},
		"DuplicateID": {k1, fixedKey(t, "k1", 2)},
	} {
		if kr, err := sealed.NewKeyring(keys...); err == nil {
			t.Errorf("%s: NewKeyring = %v, want an error", name, kr)
		}
	}
	if _, err := sealed.NewKey("k1", make([]byte, 16)); err == nil {
		t.Error("NewKey took a 16-byte secret")
	}
	k, err := sealed.GenerateKey("fresh")
	if err != nil {
		t.Fatal(err)
	}
	g := keyring(t, k)
	if got, err := g.Open(g.Seal([]byte("s"), nil), nil); err != nil || string(got) != "s" {
		t.Errorf("generated key: %q, %v", got, err)
	}
	if _, err := sealed.GenerateKey("bad id"); err == nil {
		t.Error("GenerateKey took an invalid ID")
	}
}

// TestFormattingShowsNoKey: every way a key or keyring can be printed or
// logged shows key IDs only.
func TestFormattingShowsNoKey(t *testing.T) {
	t.Parallel()
	raw := bytes.Repeat([]byte{0xab}, sealed.KeySize)
	k, err := sealed.NewKey("k1", raw)
	if err != nil {
		t.Fatal(err)
	}
	kr := keyring(t, k, fixedKey(t, "k0", 0xab))
	holder := struct {
		Key  sealed.Key
		Ring *sealed.Keyring
	}{k, kr}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("keys", "key", k, "ring", kr, "holder", holder)
	js, _ := json.Marshal(holder)
	outs := []string{logged.String(), string(js)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, kr), fmt.Sprintf(verb, holder))
	}
	leaks := []string{"ab ab", "abab", "\\xab", base64.StdEncoding.EncodeToString(raw)[:8], "171"}
	for _, out := range outs {
		for _, leak := range leaks {
			if strings.Contains(out, leak) {
				t.Errorf("output shows key material (%q): %s", leak, out)
			}
		}
	}
	if s := fmt.Sprint(kr); s != "sealed.Keyring(k1, k0)" {
		t.Errorf("keyring prints as %q", s)
	}
	if !strings.Contains(logged.String(), `"ring":"k1,k0"`) {
		t.Errorf("keyring logs without its IDs: %s", logged.String())
	}
}

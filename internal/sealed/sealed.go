package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// version is the format Seal writes. A new format gets a new version, and
// Open keeps reading the old ones until nothing stored uses them.
const version = "v1"

// KeySize is the length of a key in bytes: AES-256.
const KeySize = 32

const maxIDLen = 32

var (
	// ErrNotSealed is wrapped by Open when a value has no version prefix:
	// it was stored before sealing, or is not a sealed value at all.
	ErrNotSealed = errors.New("sealed: not a sealed value")
	// ErrVersion is wrapped by Open when a value's format is newer than
	// this program knows.
	ErrVersion = errors.New("sealed: unknown format version")
	// ErrMalformed is wrapped by Open when a value has a known version but
	// not the shape of one.
	ErrMalformed = errors.New("sealed: malformed value")
	// ErrUnknownKey is wrapped by Open when a value names a key that is not
	// in the Keyring (retired too early, or never configured here).
	ErrUnknownKey = errors.New("sealed: unknown key")
	// ErrAuthentication is wrapped by Open when a value does not open under
	// its key: it was altered, or sealed with other additional data (for
	// another row), or under a different key with the same ID.
	ErrAuthentication = errors.New("sealed: value failed authentication")
)

// Key is one named AES-256 key. Its zero value is not a usable key. It
// formats (with any fmt verb, and in slog) as its ID only.
type Key struct {
	id     string
	secret [KeySize]byte
}

// NewKey returns the key with the given ID and KeySize bytes of secret. It
// fails when the ID is not 1 to 32 letters, digits, '-', '_' or '.', or the
// secret is not KeySize bytes long.
func NewKey(id string, secret []byte) (Key, error) {
	if !validID(id) {
		return Key{}, errors.New("sealed: key ID must be 1 to 32 letters, digits, '-', '_' or '.'")
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("sealed: key %q is %d bytes, want %d", id, len(secret), KeySize)
	}
	k := Key{id: id}
	copy(k.secret[:], secret)
	return k, nil
}

// GenerateKey returns a new key with the given ID and a secret from
// crypto/rand. It fails only when the ID is not valid (see NewKey).
func GenerateKey(id string) (Key, error) {
	secret := make([]byte, KeySize)
	rand.Read(secret) //nolint:errcheck // crypto/rand.Read never returns an error
	return NewKey(id, secret)
}

// ParseKey reads one key written as ID:KEY, KEY being the KeySize-byte
// secret in standard or URL-safe base64, padded or not (as
// `openssl rand -base64 32` prints it). Its errors quote nothing from
// entry: when the parts are swapped or mangled, the ID may be key material.
func ParseKey(entry string) (Key, error) {
	id, b64, ok := strings.Cut(strings.TrimSpace(entry), ":")
	id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
	if !ok || id == "" || b64 == "" {
		return Key{}, errors.New("sealed: key is not written as ID:KEY")
	}
	if !validID(id) {
		return Key{}, errors.New("sealed: key ID must be 1 to 32 letters, digits, '-', '_' or '.'")
	}
	secret, err := decodeSecret(b64)
	if err != nil {
		return Key{}, errors.New("sealed: key is not base64")
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("sealed: key is %d bytes, want %d", len(secret), KeySize)
	}
	return NewKey(id, secret)
}

// decodeSecret accepts every common base64 dialect, since operators paste
// keys from different tools.
func decodeSecret(s string) ([]byte, error) {
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		var b []byte
		if b, err = enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, err
}

// ID returns the key's ID.
func (k Key) ID() string { return k.id }

// String returns "sealed.Key(ID)".
func (k Key) String() string { return "sealed.Key(" + k.id + ")" }

// Format prints the key as String does whatever the verb, so that no
// formatting of a Key (or of a struct holding one) shows the secret.
func (k Key) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// LogValue logs the key's ID only.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.id) }

// encode writes the key as ParseKey reads it.
func (k Key) encode() string {
	return k.id + ":" + base64.StdEncoding.EncodeToString(k.secret[:])
}

func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// Keyring seals under its first key and opens under any of its keys. It is
// immutable and safe for concurrent use. It formats (with any fmt verb, and
// in slog) as its key IDs, first key first.
type Keyring struct {
	ids   []string
	aeads map[string]cipher.AEAD
}

// NewKeyring returns a Keyring whose first key seals. It fails when there
// is no key, a key is the zero Key, or two keys share an ID.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("sealed: a keyring needs at least one key")
	}
	kr := &Keyring{aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if !validID(k.id) {
			return nil, errors.New("sealed: a key has no ID (use NewKey, GenerateKey or ParseKey)")
		}
		if _, dup := kr.aeads[k.id]; dup {
			return nil, fmt.Errorf("sealed: key ID %q is used twice", k.id)
		}
		block, err := aes.NewCipher(k.secret[:])
		if err != nil {
			return nil, fmt.Errorf("sealed: key %q: %w", k.id, err)
		}
		// The nonce is 96 random bits, prepended by the AEAD itself. Random
		// nonces allow 2^32 values per key, far more than the secrets stored
		// between two rotations.
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("sealed: key %q: %w", k.id, err)
		}
		kr.ids = append(kr.ids, k.id)
		kr.aeads[k.id] = aead
	}
	return kr, nil
}

// Primary returns the ID of the key Seal uses.
func (k *Keyring) Primary() string { return k.ids[0] }

// Prefix returns the text every value sealed under the current version
// and the first key starts with, and no other value does: stored values
// without it still need (re-)sealing.
func (k *Keyring) Prefix() string { return header(k.ids[0]) }

// Current reports whether value is sealed under the current version and
// the first key, so that re-sealing it would change nothing. It does not
// check that the value opens.
func (k *Keyring) Current(value string) bool { return strings.HasPrefix(value, k.Prefix()) }

// Seal encrypts plaintext under the first key, binding it to ad: Open
// needs the same ad. It cannot fail.
func (k *Keyring) Seal(plaintext, ad []byte) string {
	h := header(k.ids[0])
	ct := k.aeads[k.ids[0]].Seal(nil, nil, plaintext, additionalData(h, ad))
	return h + base64.RawURLEncoding.EncodeToString(ct)
}

// Open decrypts a value Seal returned, under whichever key of k it names,
// given the same ad. It returns an error wrapping ErrNotSealed,
// ErrVersion, ErrMalformed, ErrUnknownKey or ErrAuthentication.
func (k *Keyring) Open(value string, ad []byte) ([]byte, error) {
	ver, rest, ok := strings.Cut(value, ":")
	if !ok || !isVersion(ver) {
		return nil, ErrNotSealed
	}
	if ver != version {
		return nil, fmt.Errorf("%w %q", ErrVersion, ver)
	}
	id, body, ok := strings.Cut(rest, ":")
	if !ok || !validID(id) {
		return nil, ErrMalformed
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	ct, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(ct) < aead.Overhead() {
		return nil, ErrMalformed
	}
	pt, err := aead.Open(nil, nil, ct, additionalData(header(id), ad))
	if err != nil {
		return nil, fmt.Errorf("%w (key %q)", ErrAuthentication, id)
	}
	return pt, nil
}

// IsSealed reports whether value starts with a version prefix ("v1:"), that
// is, whether it was written by Seal (of this or another version) rather
// than stored in plain text. Values stored in plain text must therefore
// never look like that; base32 and hex secrets cannot.
func IsSealed(value string) bool {
	ver, _, ok := strings.Cut(value, ":")
	return ok && isVersion(ver)
}

// String returns "sealed.Keyring(ID1, ID2, …)", first key first.
func (k *Keyring) String() string {
	if k == nil {
		return "sealed.Keyring()"
	}
	return "sealed.Keyring(" + strings.Join(k.ids, ", ") + ")"
}

// Format prints the keyring as String does whatever the verb, so that no
// formatting of a Keyring shows a key.
func (k *Keyring) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// LogValue logs the key IDs, first key first.
func (k *Keyring) LogValue() slog.Value {
	if k == nil {
		return slog.StringValue("")
	}
	return slog.StringValue(strings.Join(k.ids, ","))
}

func header(id string) string { return version + ":" + id + ":" }

// additionalData authenticates the header along with the caller's data. No
// key ID contains ':', so header and ad cannot be split another way.
func additionalData(header string, ad []byte) []byte {
	return append([]byte(header), ad...)
}

func isVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

const (
	digits  = 6
	modulus = 1_000_000 // 10^digits
	period  = 30        // seconds
	// One step either side absorbs clock drift and the time a person takes
	// to type a code, as RFC 6238 section 5.2 suggests.
	skew = 1
	// RFC 4226 section 4 asks for at least 128 bits and recommends 160.
	secretBytes    = 20
	minSecretBytes = 16
)

var (
	// ErrInvalidSecret is wrapped when a secret is not base32 or decodes to
	// fewer than 16 bytes.
	ErrInvalidSecret = errors.New("totp: invalid secret")
	// ErrInvalidTime is wrapped when a time is before the Unix epoch, where
	// RFC 6238 defines no time step.
	ErrInvalidTime = errors.New("totp: time before the Unix epoch")
)

// NewSecret returns 160 bits from crypto/rand as upper-case base32 without
// padding, 32 characters long. It returns an error only when the random
// source fails.
func NewSecret() (string, error) {
	return newSecret(rand.Reader)
}

func newSecret(entropy io.Reader) (string, error) {
	key := make([]byte, secretBytes)
	if _, err := io.ReadFull(entropy, key); err != nil {
		return "", fmt.Errorf("totp: reading random bytes: %w", err)
	}
	return encoding().EncodeToString(key), nil
}

func encoding() *base32.Encoding {
	return base32.StdEncoding.WithPadding(base32.NoPadding)
}

// decodeSecret also takes lower case and trailing padding, since other
// tools write secrets that way; the error never quotes the secret.
func decodeSecret(secret string) ([]byte, error) {
	key, err := encoding().DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSecret, err)
	}
	if len(key) < minSecretBytes {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrInvalidSecret, len(key), minSecretBytes)
	}
	return key, nil
}

// Code returns the six-digit code for secret at time t. It returns an error
// wrapping ErrInvalidSecret or ErrInvalidTime when either is unusable.
func Code(secret string, t time.Time) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	step, err := stepAt(t)
	if err != nil {
		return "", err
	}
	return hotp(key, step), nil
}

// Verify reports whether code is the code for secret at the time step of
// now or the step either side, and returns the step it matched. Steps at or
// before lastUsedStep are refused, so passing back the step returned by the
// last successful Verify makes each code single-use; pass 0 before any code
// has been accepted. A code that is not exactly six ASCII digits is refused
// before the secret is even decoded. On no match step is 0 and ok false; err
// is non-nil, wrapping ErrInvalidSecret or ErrInvalidTime, only when the
// secret or now is unusable.
func Verify(secret, code string, now time.Time, lastUsedStep int64) (step int64, ok bool, err error) {
	if !wellFormed(code) {
		return 0, false, nil
	}
	key, err := decodeSecret(secret)
	if err != nil {
		return 0, false, err
	}
	current, err := stepAt(now)
	if err != nil {
		return 0, false, err
	}
	step, ok = match(key, code, current, lastUsedStep)
	return step, ok, nil
}

// match tries every step in the window without stopping at the first hit,
// so that if neighbouring steps share a code the later one is recorded and
// the code cannot be replayed against it.
func match(key []byte, code string, current, lastUsedStep int64) (step int64, ok bool) {
	for s := current - skew; s <= current+skew; s++ {
		if s < 0 || s <= lastUsedStep {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hotp(key, s)), []byte(code)) == 1 {
			step, ok = s, true
		}
	}
	return step, ok
}

func wellFormed(code string) bool {
	if len(code) != digits {
		return false
	}
	for i := range len(code) {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

func stepAt(t time.Time) (int64, error) {
	unix := t.Unix()
	if unix < 0 {
		return 0, fmt.Errorf("%w: %s", ErrInvalidTime, t.UTC().Format(time.RFC3339))
	}
	return unix / period, nil
}

// hotp is RFC 4226 section 5.3: HMAC-SHA1 over the big-endian counter,
// then dynamic truncation to 31 bits and reduction to six digits.
func hotp(key []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	offset := sum[len(sum)-1] & 0x0f
	truncated := binary.BigEndian.Uint32(sum[offset:]) & 0x7fffffff
	return fmt.Sprintf("%0*d", digits, truncated%modulus)
}

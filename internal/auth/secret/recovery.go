package secret

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// recoveryAlphabet is Crockford's base32 in lowercase: without i, l, o and
// u, nothing in a code can be misread as 1, 0 or v when copied by hand.
const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// Twelve characters carry 60 bits. Codes are stored as a bare SHA-256, so
// that is what stands between a stolen hash and a usable code: an offline
// search costs on the order of a year of a current GPU per code, whereas ten
// characters (50 bits) would fall in hours. A recovered code still only
// stands in for the second factor, and each is accepted once.
const (
	recoveryGroups   = 3
	recoveryGroupLen = 4
	recoveryLen      = recoveryGroups * recoveryGroupLen
	maxRecoveryCodes = 100
)

// ErrInvalidCount is wrapped by RecoveryCodes when n is outside 1 to 100.
var ErrInvalidCount = errors.New("secret: invalid recovery code count")

// RecoveryCodes returns n distinct codes such as "7kq4-m9xd-2hpw": twelve
// characters from crypto/rand over an alphabet without look-alikes, in
// groups of four. Store HashOf(NormalizeRecoveryCode(code)) for each. It
// returns an error wrapping ErrInvalidCount when n is not between 1 and 100,
// or an error when the random source fails or repeats itself.
func RecoveryCodes(n int) ([]string, error) {
	return recoveryCodes(rand.Reader, n)
}

func recoveryCodes(entropy io.Reader, n int) ([]string, error) {
	if n < 1 || n > maxRecoveryCodes {
		return nil, fmt.Errorf("%w: %d, want 1 to %d", ErrInvalidCount, n, maxRecoveryCodes)
	}
	codes := make([]string, n)
	seen := make(map[string]bool, n)
	for i := range codes {
		code, err := recoveryCode(entropy)
		if err != nil {
			return nil, err
		}
		// At 60 bits a repeat means the random source is broken, and a
		// duplicate would break a unique index on the stored hashes.
		if seen[code] {
			return nil, errors.New("secret: random source repeated a recovery code")
		}
		seen[code] = true
		codes[i] = code
	}
	return codes, nil
}

func recoveryCode(entropy io.Reader) (string, error) {
	raw := make([]byte, recoveryLen)
	if _, err := io.ReadFull(entropy, raw); err != nil {
		return "", fmt.Errorf("secret: reading random bytes: %w", err)
	}
	var b strings.Builder
	for i, r := range raw {
		if i > 0 && i%recoveryGroupLen == 0 {
			b.WriteByte('-')
		}
		// 256 is a multiple of 32, so masking keeps every symbol equally likely.
		b.WriteByte(recoveryAlphabet[r&byte(len(recoveryAlphabet)-1)])
	}
	return b.String(), nil
}

// NormalizeRecoveryCode returns s as it would have been issued minus the
// hyphens: lowercased, with whitespace and hyphens removed, and with i and
// l read as 1 and o as 0, since codes never contain those letters and a
// person copying one by hand may type them. It never fails; input that is
// no code normalises to something no stored hash matches.
func NormalizeRecoveryCode(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		if r == '-' || unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(readAs(r))
	}
	return b.String()
}

func readAs(r rune) rune {
	switch r {
	case 'i', 'l':
		return '1'
	case 'o':
		return '0'
	}
	return r
}

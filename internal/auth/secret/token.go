package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Prefixes for the kinds of token Lectern issues.
const (
	PersonalTokenPrefix = "lct_pat_"
	SessionPrefix       = "lct_ses_"
	// EmailPrefix marks the single-use tokens in verification and reset
	// links; ChallengePrefix the MFA challenge of a half-finished sign-in.
	EmailPrefix     = "lct_eml_"
	ChallengePrefix = "lct_mfa_"
)

const (
	entropyBytes = 32
	// 256 bits take 52 base32 characters; the last holds one bit of data
	// followed by four zero bits.
	bodyLen      = 52
	maxPrefixLen = 32
)

// ErrInvalidPrefix is wrapped by New when the prefix is empty, longer than
// 32 bytes or contains anything but lowercase ASCII letters, digits and '_'.
var ErrInvalidPrefix = errors.New("secret: invalid token prefix")

// Token is a freshly made bearer secret.
//
// fmt, log/slog and encoders that honour encoding.TextMarshaler (JSON among
// them) print a Token as its prefix followed by "…(redacted)"; the secret is
// only reachable by reading Plain explicitly. fmt cannot call methods through
// unexported struct fields, so a Token kept in one is not protected there.
type Token struct {
	// Plain is the whole token, prefix included. Show it to its owner once;
	// never store or log it.
	Plain string
	// Hash is HashOf(Plain). Store it and look tokens up by it.
	Hash []byte
}

// New returns a token made of prefix and 256 bits from crypto/rand. It
// returns an error wrapping ErrInvalidPrefix for an unusable prefix, or an
// error when the random source fails.
func New(prefix string) (Token, error) {
	return newToken(rand.Reader, prefix)
}

func newToken(entropy io.Reader, prefix string) (Token, error) {
	if !validPrefix(prefix) {
		return Token{}, fmt.Errorf("%w: %q", ErrInvalidPrefix, prefix)
	}
	raw := make([]byte, entropyBytes)
	if _, err := io.ReadFull(entropy, raw); err != nil {
		return Token{}, fmt.Errorf("secret: reading random bytes: %w", err)
	}
	plain := prefix + encodeBody(raw)
	return Token{Plain: plain, Hash: HashOf(plain)}, nil
}

func encodeBody(raw []byte) string {
	upper := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
	return strings.ToLower(upper)
}

// HashOf returns the SHA-256 hash of plain, the form in which tokens and
// normalised recovery codes are stored.
//
// A fast, unsalted hash is right for tokens, unlike passwords: with 256
// random bits there is nothing for a dictionary or a GPU farm to guess, and
// the hash being deterministic is what lets a request's token be looked up
// by an index instead of checked against every row.
func HashOf(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}

// Equal reports whether a and b are the same hash, in time that depends
// only on their lengths. It returns false unless both are SHA-256 sized, so
// a missing (nil) stored hash never matches anything.
func Equal(a, b []byte) bool {
	if len(a) != sha256.Size || len(b) != sha256.Size {
		return false
	}
	return subtle.ConstantTimeCompare(a, b) == 1
}

// Parse reports whether plain has the shape of a token New(prefix) could
// have made: the prefix, then 52 lowercase base32 characters. It does no
// lookup, so callers can turn away garbage before touching the database. It
// returns false for an invalid prefix.
func Parse(plain, prefix string) (ok bool) {
	body, found := strings.CutPrefix(plain, prefix)
	return found && validPrefix(prefix) && validBody(body)
}

func validPrefix(prefix string) bool {
	if prefix == "" || len(prefix) > maxPrefixLen {
		return false
	}
	for i := range len(prefix) {
		if c := prefix[i]; !isLowerAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool {
	return ('a' <= c && c <= 'z') || ('0' <= c && c <= '9')
}

func validBody(body string) bool {
	if len(body) != bodyLen {
		return false
	}
	for i := range len(body) {
		if c := body[i]; !('a' <= c && c <= 'z') && !('2' <= c && c <= '7') {
			return false
		}
	}
	return canonicalTail(body[bodyLen-1])
}

// canonicalTail holds for the two characters whose low four bits are zero,
// 'a' (0) and 'q' (16); any other final character would decode to the same
// bytes as one of them, so only these two spellings of a token are issued.
func canonicalTail(c byte) bool {
	return c == 'a' || c == 'q'
}

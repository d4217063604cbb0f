package storage

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

// MaxKeyBytes bounds a key. S3 allows 1,024 bytes; half of that leaves room
// for the file store's directory and its temporary-file suffix within the
// 4,096-byte path limit of common file systems.
const MaxKeyBytes = 512

// Suffixes the file store gives its own files next to objects: attribute
// side-cars and writes in progress. A key ending in either could be
// mistaken for one, so none may.
const (
	attrsSuffix = ".attrs"
	tempSuffix  = ".tmp"
)

// NewKey returns a fresh key under prefix: prefix + "/" + 26 lower-case
// base32 characters holding 128 random bits, or the random part alone when
// prefix is "". It cannot fail; a prefix that ValidateKey would refuse
// yields a key every Store method refuses.
func NewKey(prefix string) string {
	id := strings.ToLower(rand.Text())
	if prefix == "" {
		return id
	}
	return strings.TrimSuffix(prefix, "/") + "/" + id
}

// ValidateKey returns nil when key is usable, or an error wrapping
// ErrInvalidKey that says why not. Keys are made by NewKey, so the rules are
// strict rather than permissive: slash-separated segments of ASCII letters,
// digits, '-', '_' and '.', none empty, "." or "..", at most MaxKeyBytes in
// all, and no ending the file store reserves. The same rules hold for S3,
// so a key moves between stores unchanged and needs no escaping in a URL.
func ValidateKey(key string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("%w %s: %s", ErrInvalidKey, quoteKey(key), err)
	}
	return nil
}

func checkKey(key string) error {
	switch {
	case key == "":
		return errors.New("is empty")
	case len(key) > MaxKeyBytes:
		return fmt.Errorf("is longer than %d bytes", MaxKeyBytes)
	case strings.HasSuffix(key, attrsSuffix) || strings.HasSuffix(key, tempSuffix):
		return errors.New("ends in a suffix the file store reserves (" + attrsSuffix + ", " + tempSuffix + ")")
	}
	return checkSegments(key, false)
}

// checkPrefix accepts what List takes: "" or the start of a key, which may
// end in "/" or part-way through a segment.
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if len(prefix) > MaxKeyBytes {
		return fmt.Errorf("%w prefix %s: is longer than %d bytes", ErrInvalidKey, quoteKey(prefix), MaxKeyBytes)
	}
	if err := checkSegments(prefix, true); err != nil {
		return fmt.Errorf("%w prefix %s: %s", ErrInvalidKey, quoteKey(prefix), err)
	}
	return nil
}

func checkSegments(s string, prefix bool) error {
	segments := strings.Split(s, "/")
	for i, seg := range segments {
		last := i == len(segments)-1
		switch {
		case seg == "" && prefix && last:
			// "a/" lists everything under a.
		case seg == "":
			return errors.New("has an empty segment (a leading, trailing or doubled '/')")
		case seg == "." || seg == "..":
			return errors.New("has a '.' or '..' segment")
		}
		for j := 0; j < len(seg); j++ {
			if !keyByte(seg[j]) {
				return fmt.Errorf("has byte %#02x; keys hold only A-Z, a-z, 0-9, '-', '_', '.' and '/'", seg[j])
			}
		}
	}
	return nil
}

func keyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}

// quoteKey shortens a hostile key before it goes into an error message and
// from there into a log line.
func quoteKey(key string) string {
	const max = 80
	if len(key) > max {
		return fmt.Sprintf("%q… (%d bytes)", key[:max], len(key))
	}
	return fmt.Sprintf("%q", key)
}

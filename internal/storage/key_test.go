package storage_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"lectern/internal/storage"
)

func TestNewKey(t *testing.T) {
	t.Parallel()
	shape := regexp.MustCompile(`^courses/42/[a-z2-7]{26}$`)
	seen := map[string]bool{}
	for range 1000 {
		k := storage.NewKey("courses/42/")
		if !shape.MatchString(k) {
			t.Fatalf("NewKey = %q, want courses/42/ and 26 base32 characters", k)
		}
		if err := storage.ValidateKey(k); err != nil {
			t.Fatalf("NewKey made an invalid key: %v", err)
		}
		if seen[k] {
			t.Fatalf("NewKey repeated %q", k)
		}
		seen[k] = true
	}
	if k := storage.NewKey(""); strings.Contains(k, "/") || len(k) != 26 {
		t.Errorf("NewKey(\"\") = %q", k)
	}
	if err := storage.ValidateKey(storage.NewKey("../x")); !errors.Is(err, storage.ErrInvalidKey) {
		t.Errorf("a key under a hostile prefix validated: %v", err)
	}
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	for _, key := range []string{
		"a", "a/b/c", "A-Z_0.9", "x.tmp.txt", "dir.attrs/x", "...a", strings.Repeat("k", storage.MaxKeyBytes),
	} {
		if err := storage.ValidateKey(key); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", key, err)
		}
	}
	for _, key := range hostileKeys {
		err := storage.ValidateKey(key)
		if !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", key, err)
			continue
		}
		// The message quotes the key escaped and shortened for logs.
		if msg := err.Error(); strings.ContainsAny(msg, "\x00\r\n") || len(msg) > 300 {
			t.Errorf("ValidateKey(%q) message %q is not fit for a log", key, msg)
		}
	}
}

func FuzzValidateKey(f *testing.F) {
	for _, k := range append(hostileKeys, "a/b", "x.tmp.y") {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if storage.ValidateKey(key) != nil {
			return
		}
		// Whatever passes stands for itself in a URL path and a file
		// path, and cannot climb out of the store's directory.
		for _, seg := range strings.Split(key, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("accepted %q with segment %q", key, seg)
			}
		}
		if strings.ContainsFunc(key, func(r rune) bool { return r > 0x7e || r < 0x21 || strings.ContainsRune(`\%?#:`, r) }) {
			t.Fatalf("accepted %q", key)
		}
	})
}

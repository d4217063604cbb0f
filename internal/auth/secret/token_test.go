package secret

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func mustNew(t testing.TB, prefix string) Token {
	t.Helper()
	tok, err := New(prefix)
	if err != nil {
		t.Fatalf("New(%q): %v", prefix, err)
	}
	return tok
}

func TestNew(t *testing.T) {
	for _, prefix := range []string{PersonalTokenPrefix, SessionPrefix, "x", strings.Repeat("a", 32)} {
		t.Run(prefix, func(t *testing.T) {
			tok := mustNew(t, prefix)
			body, found := strings.CutPrefix(tok.Plain, prefix)
			if !found || len(body) != 52 {
				t.Fatalf("Plain = %q, want %q and 52 characters", tok.Plain, prefix)
			}
			if !Parse(tok.Plain, prefix) {
				t.Fatalf("Parse(%q, %q) = false for a token New made", tok.Plain, prefix)
			}
			if !bytes.Equal(tok.Hash, HashOf(tok.Plain)) || len(tok.Hash) != sha256.Size {
				t.Fatalf("Hash = %x, want HashOf(Plain) = %x", tok.Hash, HashOf(tok.Plain))
			}
			raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(body))
			if err != nil || len(raw) != 32 {
				t.Fatalf("body decodes to %d bytes, %v; want 32", len(raw), err)
			}
		})
	}
}

func TestNewTokensDiffer(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		tok := mustNew(t, PersonalTokenPrefix)
		if seen[tok.Plain] {
			t.Fatalf("New repeated %q", tok.Plain)
		}
		seen[tok.Plain] = true
	}
}

func TestNewInvalidPrefix(t *testing.T) {
	tests := []struct{ name, prefix string }{
		{"empty", ""},
		{"uppercase", "LCT_PAT_"},
		{"hyphen", "lct-pat-"},
		{"space", "lct pat_"},
		{"non-ascii", "lçt_"},
		{"33 bytes", strings.Repeat("a", 33)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := New(tt.prefix)
			if !errors.Is(err, ErrInvalidPrefix) || tok.Plain != "" || tok.Hash != nil {
				t.Fatalf("New(%q) = %q, %v; want ErrInvalidPrefix and a zero Token", tt.prefix, tok.Plain, err)
			}
		})
	}
}

func TestNewEntropyFailure(t *testing.T) {
	broken := errors.New("no entropy")
	tok, err := newToken(iotest.ErrReader(broken), PersonalTokenPrefix)
	if !errors.Is(err, broken) || tok.Plain != "" {
		t.Fatalf("newToken(failing reader) = %q, %v; want the reader's error", tok.Plain, err)
	}
}

func TestParse(t *testing.T) {
	valid := mustNew(t, PersonalTokenPrefix).Plain
	body := strings.TrimPrefix(valid, PersonalTokenPrefix)
	withTail := func(c string) string { return PersonalTokenPrefix + body[:51] + c }
	tests := []struct {
		name, plain, prefix string
		want                bool
	}{
		{"issued token", valid, PersonalTokenPrefix, true},
		{"all a", PersonalTokenPrefix + strings.Repeat("a", 52), PersonalTokenPrefix, true},
		{"tail q", withTail("q"), PersonalTokenPrefix, true},
		{"other kind's prefix", valid, SessionPrefix, false},
		{"no prefix", body, PersonalTokenPrefix, false},
		{"empty", "", PersonalTokenPrefix, false},
		{"prefix only", PersonalTokenPrefix, PersonalTokenPrefix, false},
		{"one short", valid[:len(valid)-1], PersonalTokenPrefix, false},
		{"one long", valid + "a", PersonalTokenPrefix, false},
		{"uppercase body", PersonalTokenPrefix + strings.ToUpper(body), PersonalTokenPrefix, false},
		{"uppercase prefix", strings.ToUpper(PersonalTokenPrefix) + body, PersonalTokenPrefix, false},
		{"digit outside base32", PersonalTokenPrefix + body[:50] + "1a", PersonalTokenPrefix, false},
		{"padding", valid[:len(valid)-1] + "=", PersonalTokenPrefix, false},
		{"non-canonical tail", withTail("b"), PersonalTokenPrefix, false},
		{"trailing newline", valid + "\n", PersonalTokenPrefix, false},
		{"leading space", " " + valid, PersonalTokenPrefix, false},
		{"multibyte character", PersonalTokenPrefix + "é" + body[2:], PersonalTokenPrefix, false},
		{"empty prefix argument", body, "", false},
		{"invalid prefix argument", "LCT_" + body, "LCT_", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse(tt.plain, tt.prefix); got != tt.want {
				t.Fatalf("Parse(%q, %q) = %v, want %v", tt.plain, tt.prefix, got, tt.want)
			}
		})
	}
}

func TestHashOf(t *testing.T) {
	tests := []struct{ plain, want string }{
		// FIPS 180-2 Appendix B.1.
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	}
	for _, tt := range tests {
		if got := hex.EncodeToString(HashOf(tt.plain)); got != tt.want {
			t.Errorf("HashOf(%q) = %s, want %s", tt.plain, got, tt.want)
		}
	}
}

func TestEqual(t *testing.T) {
	h := HashOf("lct_pat_one")
	flipped := bytes.Clone(h)
	flipped[31] ^= 1
	tests := []struct {
		name string
		a, b []byte
		want bool
	}{
		{"same hash", h, HashOf("lct_pat_one"), true},
		{"different token", h, HashOf("lct_pat_two"), false},
		{"last bit differs", h, flipped, false},
		{"truncated", h, h[:31], false},
		{"longer", h, append(bytes.Clone(h), 0), false},
		{"nil stored hash", nil, h, false},
		{"both nil", nil, nil, false},
		{"both empty", []byte{}, []byte{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Equal(tt.a, tt.b); got != tt.want {
				t.Fatalf("Equal(%x, %x) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

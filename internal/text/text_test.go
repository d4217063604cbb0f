package text_test

import (
	"strings"
	"testing"

	"lectern/internal/text"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		in     string
		offset int // -1: accepted
	}{
		{"Empty", "", -1},
		{"ASCII", "Intro to Go", -1},
		{"TabNewlineReturn", "a\tb\nc\r\n", -1},
		{"Unicode", "Café — 日本語 🎓", -1},
		{"NUL", "ab\x00c", 2},
		{"NULFirst", "\x00", 0},
		{"Bell", "a\x07", 1},
		{"Escape", "\x1b[31m", 0},
		{"DEL", "a\x7f", 1},
		{"C1", "a\u0085b", 1},
		{"InvalidUTF8", "ok\xffno", 2},
		{"TruncatedUTF8", "é\xc3", 2},
		{"ReplacementCharacter", "x\ufffd", 1},
		{"SurrogateBytes", "\xed\xa0\x80", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := text.Check(tc.in)
			switch {
			case tc.offset < 0 && p != nil:
				t.Fatalf("Check(%q) = %v, want accepted", tc.in, p)
			case tc.offset >= 0 && p == nil:
				t.Fatalf("Check(%q) accepted, want a problem at byte %d", tc.in, tc.offset)
			case tc.offset >= 0 && p.Offset != tc.offset:
				t.Fatalf("Check(%q) = %v, want offset %d", tc.in, p, tc.offset)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	decomposed := "Cafe\u0301"
	if got := text.Normalize(decomposed); got != "Caf\u00e9" {
		t.Fatalf("Normalize(%q) = %q, want the composed form", decomposed, got)
	}
	plain := strings.Repeat("a", 10)
	if got := text.Normalize(plain); got != plain {
		t.Fatalf("Normalize changed ASCII: %q", got)
	}
	if n := text.Len("日本"); n != 2 {
		t.Fatalf("Len = %d, want 2", n)
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "a", "\x00", "\ufffd", "e\u0301", "\xff", "\t\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := text.Check(s)
		if p == nil {
			// Accepted text survives normalisation as accepted text: NFC
			// never introduces a control or replacement character.
			if q := text.Check(text.Normalize(s)); q != nil {
				t.Fatalf("normalised %q breaks the rule: %v", s, q)
			}
			return
		}
		if p.Offset < 0 || p.Offset >= len(s) {
			t.Fatalf("offset %d outside %q", p.Offset, s)
		}
	})
}

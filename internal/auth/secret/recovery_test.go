package secret

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
)

func TestRecoveryAlphabet(t *testing.T) {
	seen := make(map[rune]bool)
	for _, r := range recoveryAlphabet {
		if seen[r] {
			t.Fatalf("alphabet repeats %q", r)
		}
		seen[r] = true
	}
	if len(seen) != 32 {
		t.Fatalf("alphabet has %d symbols, want 32", len(seen))
	}
	if strings.ContainsAny(recoveryAlphabet, "ilou") {
		t.Fatalf("alphabet %q contains a look-alike", recoveryAlphabet)
	}
}

func TestRecoveryCodes(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$`)
	for _, n := range []int{1, 10, 100} {
		codes, err := RecoveryCodes(n)
		if err != nil || len(codes) != n {
			t.Fatalf("RecoveryCodes(%d) = %d codes, %v", n, len(codes), err)
		}
		seen := make(map[string]bool)
		for _, c := range codes {
			if !shape.MatchString(c) {
				t.Fatalf("code %q does not look like xxxx-xxxx-xxxx", c)
			}
			if seen[c] {
				t.Fatalf("code %q repeated", c)
			}
			seen[c] = true
			if got := NormalizeRecoveryCode(c); got != strings.ReplaceAll(c, "-", "") {
				t.Fatalf("NormalizeRecoveryCode(%q) = %q", c, got)
			}
		}
	}
}

// TestRecoveryCodesUseWholeAlphabet would fail if the mapping from random
// bytes skipped symbols; 1,200 draws leave each of 32 symbols unseen with
// probability about e^-38.
func TestRecoveryCodesUseWholeAlphabet(t *testing.T) {
	codes, err := RecoveryCodes(100)
	if err != nil {
		t.Fatalf("RecoveryCodes: %v", err)
	}
	joined := strings.Join(codes, "")
	for _, r := range recoveryAlphabet {
		if !strings.ContainsRune(joined, r) {
			t.Fatalf("symbol %q never drawn in %d codes", r, len(codes))
		}
	}
}

func TestRecoveryCodesErrors(t *testing.T) {
	broken := errors.New("no entropy")
	tests := []struct {
		name    string
		entropy func() *bytes.Reader
		n       int
		want    error
	}{
		{"zero", nil, 0, ErrInvalidCount},
		{"negative", nil, -1, ErrInvalidCount},
		{"too many", nil, 101, ErrInvalidCount},
		{"random source repeats", func() *bytes.Reader { return bytes.NewReader(make([]byte, 2*recoveryLen)) }, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var codes []string
			var err error
			if tt.entropy == nil {
				codes, err = RecoveryCodes(tt.n)
			} else {
				codes, err = recoveryCodes(tt.entropy(), tt.n)
			}
			if err == nil || codes != nil {
				t.Fatalf("got %v, %v; want an error and no codes", codes, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %v does not wrap %v", err, tt.want)
			}
		})
	}
	t.Run("random source fails", func(t *testing.T) {
		codes, err := recoveryCodes(iotest.ErrReader(broken), 3)
		if !errors.Is(err, broken) || codes != nil {
			t.Fatalf("got %v, %v; want the reader's error", codes, err)
		}
	})
}

func TestNormalizeRecoveryCode(t *testing.T) {
	const issued = "7kq4-m9xd-2hpw"
	tests := []struct{ name, typed, want string }{
		{"as issued", issued, "7kq4m9xd2hpw"},
		{"no hyphens", "7kq4m9xd2hpw", "7kq4m9xd2hpw"},
		{"uppercase", "7KQ4-M9XD-2HPW", "7kq4m9xd2hpw"},
		{"spaces instead of hyphens", "7kq4 m9xd 2hpw", "7kq4m9xd2hpw"},
		{"surrounding whitespace", "\t 7kq4-m9xd-2hpw\n", "7kq4m9xd2hpw"},
		{"doubled hyphens", "7kq4--m9xd--2hpw", "7kq4m9xd2hpw"},
		{"look-alikes", "IlO0-oi1L", "11000111"},
		{"empty", "", ""},
		{"only separators", " - - ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeRecoveryCode(tt.typed); got != tt.want {
				t.Fatalf("NormalizeRecoveryCode(%q) = %q, want %q", tt.typed, got, tt.want)
			}
		})
	}
}

func TestRecoveryCodeHashMatchesLooseTyping(t *testing.T) {
	codes, err := RecoveryCodes(1)
	if err != nil {
		t.Fatalf("RecoveryCodes: %v", err)
	}
	stored := HashOf(NormalizeRecoveryCode(codes[0]))
	typed := []string{
		strings.ToUpper(codes[0]),
		strings.ReplaceAll(codes[0], "-", " "),
		strings.ReplaceAll(codes[0], "-", ""),
		" " + codes[0] + " ",
	}
	for _, s := range typed {
		if !Equal(stored, HashOf(NormalizeRecoveryCode(s))) {
			t.Errorf("typed %q does not match stored code %q", s, codes[0])
		}
	}
	if Equal(stored, HashOf(NormalizeRecoveryCode(codes[0]+"x"))) {
		t.Errorf("a different code matched")
	}
}

package password

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
)

func TestProblemCodes(t *testing.T) {
	tests := []struct {
		problem Problem
		want    string
	}{
		{TooShort, "PASSWORD_TOO_SHORT"},
		{TooLong, "PASSWORD_TOO_LONG"},
		{Common, "PASSWORD_TOO_COMMON"},
		{SameAsEmail, "PASSWORD_EQUALS_EMAIL"},
	}
	for _, tt := range tests {
		if string(tt.problem) != tt.want {
			t.Errorf("Problem %q, want %q", tt.problem, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	const email = "alice@example.com"
	tests := []struct {
		name     string
		password string
		email    string
		want     []Problem
	}{
		{"passphrase", "correct horse battery staple", email, nil},
		{"11 code points", "xq7#mP2$vL9", email, []Problem{TooShort}},
		{"12 code points", "xq7#mP2$vL9!", email, nil},
		{"empty", "", email, []Problem{TooShort}},
		{"spaces count and are kept", " xq7#mP2$vL ", email, nil},
		{"128 code points", strings.Repeat("Xq7#mP2$", 16), email, nil},
		{"129 code points", strings.Repeat("Xq7#mP2$", 16) + "!", email, []Problem{TooLong}},
		{"128 composed é is 256 bytes", strings.Repeat("\u00e9", 128), email, nil},
		{"128 decomposed é counts after NFC", strings.Repeat("e\u0301", 128), email, nil},
		{"129 decomposed é", strings.Repeat("e\u0301", 129), email, []Problem{TooLong}},
		{"11 decomposed é plus one", strings.Repeat("e\u0301", 11) + "x", email, nil},
		{"12 emoji", strings.Repeat("🦊", 12), email, nil},
		{"11 emoji", strings.Repeat("🦊", 11), email, []Problem{TooShort}},
		{"short and common", "password", email, []Problem{TooShort, Common}},
		{"common", "qwerty123456", email, []Problem{Common}},
		{"common ignoring case", "QwErTy123456", email, []Problem{Common}},
		{"common keyboard walk", "1q2w3e4r5t6y", email, []Problem{Common}},
		{"common word", "leavemealone", email, []Problem{Common}},
		{"common with digits", "password1234", email, []Problem{Common}},
		// Membership is exact, so a variant absent from the list passes.
		{"variant not in list", "password123456", email, nil},
		{"equals email", email, email, []Problem{SameAsEmail}},
		{"equals email ignoring case", "ALICE@Example.COM", email, []Problem{SameAsEmail}},
		{"equals email ignoring spaces", "  alice@example.com ", " Alice@example.com\t", []Problem{SameAsEmail}},
		{"contains email", "alice@example.com!", email, nil},
		{"no email", "correct horse battery staple", "", nil},
		{"blank email", "            ", "   ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(tt.password, tt.email); !slices.Equal(got, tt.want) {
				t.Fatalf("Check(%q, %q) = %v, want %v", tt.password, tt.email, got, tt.want)
			}
		})
	}
}

func TestCommonList(t *testing.T) {
	if n := CommonListSize(); n < 10000 {
		t.Fatalf("CommonListSize() = %d, want at least 10000", n)
	}
	for _, p := range frequency.FrequencyLists["passwords"] {
		if utf8.RuneCountInString(p) > MaxLength {
			continue
		}
		if got := Check(strings.ToUpper(p), ""); !slices.Contains(got, Common) {
			t.Fatalf("Check(%q) = %v, want it to include %s", strings.ToUpper(p), got, Common)
		}
	}
}

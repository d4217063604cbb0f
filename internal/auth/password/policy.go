package password

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/text/unicode/norm"
)

// Problem is a reason a password is refused. Its value is stable and meant
// to be returned to clients as an error code.
type Problem string

// Problems reported by Check.
const (
	TooShort    Problem = "PASSWORD_TOO_SHORT"
	TooLong     Problem = "PASSWORD_TOO_LONG"
	Common      Problem = "PASSWORD_TOO_COMMON"
	SameAsEmail Problem = "PASSWORD_EQUALS_EMAIL"
)

// Lengths are in Unicode code points after NFC. ASVS asks for at least 12
// and for at least 64 to be allowed; the ceiling exists only to bound work.
const (
	MinLength = 12
	MaxLength = 128
)

// commonPasswords is copied out of zxcvbn once because the library exposes
// its lists as a mutable map of slices, and membership needs a set anyway.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	list := frequency.FrequencyLists["passwords"]
	set := make(map[string]struct{}, len(list))
	for _, p := range list {
		set[strings.ToLower(p)] = struct{}{}
	}
	return set
})

// Check returns every problem with password for an account registered
// under email, or nil when the password is acceptable. Any characters are
// allowed, including spaces and emoji. A password is common when its
// lowercase form is exactly an entry of the zxcvbn "passwords" list; no
// other variants (stripped digits, substitutions) are tried.
func Check(password, email string) []Problem {
	normalised := norm.NFC.String(password)
	var problems []Problem
	if p := lengthProblem(normalised); p != "" {
		problems = append(problems, p)
	}
	if isCommon(normalised) {
		problems = append(problems, Common)
	}
	if equalsEmail(normalised, email) {
		problems = append(problems, SameAsEmail)
	}
	return problems
}

// CommonListSize returns the number of distinct lowercase entries in the
// common-password list.
func CommonListSize() int {
	return len(commonPasswords())
}

func lengthProblem(normalised string) Problem {
	switch n := utf8.RuneCountInString(normalised); {
	case n < MinLength:
		return TooShort
	case n > MaxLength:
		return TooLong
	}
	return ""
}

func isCommon(normalised string) bool {
	_, found := commonPasswords()[strings.ToLower(normalised)]
	return found
}

// equalsEmail trims only for this comparison: the password itself keeps its
// spaces, but " me@example.com" is still the email in disguise.
func equalsEmail(normalised, email string) bool {
	e := strings.TrimSpace(norm.NFC.String(email))
	return e != "" && strings.EqualFold(strings.TrimSpace(normalised), e)
}

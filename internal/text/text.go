// Package text holds the one rule every string a client sends must pass
// before anything else reads it, so SQLite and PostgreSQL (which refuses NUL
// in text) store and compare exactly the same values.
//
// The rule:
//   - the string is valid UTF-8;
//   - it holds no control character other than tab, line feed and carriage
//     return (C0 controls, DEL and C1 controls are refused);
//   - it holds no U+FFFD REPLACEMENT CHARACTER: the JSON and GraphQL decoders
//     turn invalid UTF-8 and lone UTF-16 surrogates (`"\ud800"`) into U+FFFD
//     silently, so refusing it is how a client that sent broken text learns
//     about it instead of having its text changed;
//   - accepted strings are stored in Unicode Normalization Form C, so two
//     spellings of the same text ("é" as one code point or as e + accent)
//     are one identifier, one search term and one stored value.
package text

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Problem says why a string breaks the rule. Its text is safe to show.
type Problem struct {
	// Offset is the byte offset of the first offending character.
	Offset int
	// Reason names the offending character class.
	Reason string
}

func (p *Problem) Error() string { return fmt.Sprintf("%s at byte %d", p.Reason, p.Offset) }

// Check returns nil when s may be accepted, and the first Problem otherwise.
func Check(s string) *Problem {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return &Problem{Offset: i, Reason: "invalid UTF-8"}
			}
			return &Problem{Offset: i, Reason: "a replacement character (U+FFFD: invalid UTF-8 or a lone surrogate before decoding)"}
		case r == '\t' || r == '\n' || r == '\r':
		case r == 0:
			return &Problem{Offset: i, Reason: "a NUL character"}
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			return &Problem{Offset: i, Reason: fmt.Sprintf("a control character (U+%04X)", r)}
		}
	}
	return nil
}

// Normalize returns s in Unicode Normalization Form C. It allocates only
// when s is not already normalised, which is rare for real input.
func Normalize(s string) string {
	if norm.NFC.IsNormalString(s) {
		return s
	}
	return norm.NFC.String(s)
}

// Len returns the length of s in Unicode code points, the unit of every
// length limit Lectern documents.
func Len(s string) int { return utf8.RuneCountInString(s) }

package secret

import (
	"fmt"
	"io"
	"log/slog"
)

const redactedMark = "…(redacted)"

// String returns the token's prefix followed by "…(redacted)", or just
// "…(redacted)" when Plain is not a well-formed token, since then there is
// no way to tell where a prefix would end and the secret begin.
func (t Token) String() string {
	if len(t.Plain) > bodyLen {
		prefix := t.Plain[:len(t.Plain)-bodyLen]
		if Parse(t.Plain, prefix) {
			return prefix + redactedMark
		}
	}
	return redactedMark
}

// GoString returns a Go-syntax form holding only the redacted String. The
// hash is left out as well: it is not a credential, but it is a lookup key
// that logs have no use for.
func (t Token) GoString() string {
	return fmt.Sprintf("secret.Token{Plain:%q}", t.String())
}

// Format makes every fmt verb and flag, including %+v and %#v which would
// otherwise print struct fields directly, operate on the redacted String.
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, t.GoString())
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), t.String())
}

// LogValue returns the redacted String, so slog handlers never see Plain.
func (t Token) LogValue() slog.Value {
	return slog.StringValue(t.String())
}

// MarshalText returns the redacted String; it never fails. It keeps a Token
// that strays into a JSON document or a log attribute from carrying its
// secret with it.
func (t Token) MarshalText() ([]byte, error) {
	return []byte(t.String()), nil
}

package mail

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"
)

// encodeText encodes an unstructured header value (RFC 2047) when it is not
// plain printable ASCII. mime leaves ASCII alone even when it contains
// "=?", which readers would then decode as an encoded-word; such values
// are encoded in full so they read back as written.
func encodeText(s string) string {
	if !strings.Contains(s, "=?") {
		return mime.QEncoding.Encode("utf-8", s)
	}
	var words []string
	for s != "" {
		n := chunkLen(s, maxEncodedChunk)
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// maxEncodedChunk bytes become 60 base64 characters, which with the
// "=?utf-8?b?" and "?=" framing stays under RFC 2047's 75-character limit.
const maxEncodedChunk = 45

// chunkLen returns how many bytes of s, at most limit, end on a rune
// boundary, since an encoded-word may not split a character.
func chunkLen(s string, limit int) int {
	if len(s) <= limit {
		return len(s)
	}
	n := limit
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// foldAt is RFC 5322's recommended line length; maxLine is its hard limit.
const (
	foldAt  = 78
	maxLine = 998
)

func writeHeader(w io.Writer, fields []field) error {
	for _, f := range fields {
		line, err := fold(f.name, f.value)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, line+"\r\n"); err != nil {
			return fmt.Errorf("mail: write header: %w", err)
		}
	}
	return nil
}

// fold breaks "name: value" into lines of at most foldAt bytes where it
// can, by putting CRLF in front of a space. Unfolding (removing the CRLF)
// gives back the original value, and encoded-words from mime stay whole
// because the encoder separates them with spaces. Folding only before a
// non-empty word keeps continuation lines from being whitespace only, which
// RFC 5322 forbids.
func fold(name, value string) (string, error) {
	var b strings.Builder
	line := name + ":"
	for i, word := range strings.Split(value, " ") {
		if i > 0 && word != "" && len(line)+1+len(word) > foldAt {
			if err := appendLine(&b, line, name); err != nil {
				return "", err
			}
			line = ""
		}
		line += " " + word
	}
	if err := appendLine(&b, line, name); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\r\n"), nil
}

func appendLine(b *strings.Builder, line, name string) error {
	if len(line) > maxLine {
		return invalidf("header %s has a line longer than %d bytes", name, maxLine)
	}
	b.WriteString(line)
	b.WriteString("\r\n")
	return nil
}

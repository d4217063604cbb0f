package storage

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFilenameBytes keeps a sanitised name well inside the 255-byte limit
// of common file systems and the header inside any proxy's limit, even
// after percent-encoding triples it.
const maxFilenameBytes = 200

// maxExtBytes is the longest extension kept when a name is shortened.
const maxExtBytes = 16

// SanitizeFilename returns name fit to offer in a Content-Disposition
// header: valid UTF-8 without control, private-use, line-separator or
// invisible formatting characters (the last include the right-to-left
// override that makes "invoice\u202efdp.exe" read as "invoiceexe.pdf"),
// without quotes, backslashes or slashes (so no path survives), without
// leading or trailing dots and spaces, and at most 200 bytes, keeping a
// short extension when it has to cut. It returns "" when nothing is left.
func SanitizeFilename(name string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(name, "") {
		switch {
		case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Zl, unicode.Zp), r == utf8.RuneError:
		case r == '"', r == '\'', r == '\\', r == '/':
		default:
			b.WriteRune(r)
		}
	}
	s := strings.Trim(b.String(), ". \u00a0")
	if len(s) <= maxFilenameBytes {
		return s
	}
	ext := path.Ext(s)
	if len(ext) > maxExtBytes || len(ext) == len(s) {
		ext = ""
	}
	return strings.TrimRight(truncateUTF8(s[:len(s)-len(ext)], maxFilenameBytes-len(ext)), ". ") + ext
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// DispositionHeader returns the Content-Disposition value for d: "inline"
// or "attachment" and, when the sanitised filename is not empty, both an
// ASCII filename for old clients and the exact name as RFC 6266 / RFC 8187
// filename*=UTF-8”…, which current browsers prefer.
func DispositionHeader(d ContentDisposition) string {
	h := dispositionType(d.Attachment)
	name := SanitizeFilename(d.Filename)
	if name == "" {
		return h
	}
	return h + `; filename="` + asciiFilename(name) + `"; filename*=UTF-8''` + encodeExtValue(name)
}

func dispositionType(attachment bool) string {
	if attachment {
		return "attachment"
	}
	return "inline"
}

// asciiFilename replaces what a quoted-string cannot carry portably with
// '_'. '%' goes too, because some clients percent-decode the plain
// filename parameter.
func asciiFilename(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '%' || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
}

// encodeExtValue percent-encodes every byte outside RFC 8187's attr-char.
func encodeExtValue(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAttrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0f])
	}
	return b.String()
}

func isAttrChar(c byte) bool {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}

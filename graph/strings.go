package graph

import (
	"bytes"
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// marshalString is graphql.MarshalString, writing the same bytes faster:
// gqlgen decodes every rune of a string to find the few bytes JSON must
// escape, and a course page's lesson bodies are most of its response. Only
// ASCII bytes ever need escaping and no byte of a multi-byte UTF-8
// sequence is ASCII, so a byte scan finds the same ones; invalid UTF-8 is
// copied as it is, as gqlgen copies it. go generate rewrites the generated
// calls to graphql.MarshalString to this function (postgen.go).
func marshalString(s string) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { writeQuoted(w, s) })
}

// escapes holds, for each byte, its escape in a JSON string, or "" when it
// stands for itself.
var escapes = func() (e [256]string) {
	const hex = "0123456789ABCDEF"
	for c := range 0x20 {
		e[c] = `\u00` + string(hex[c>>4]) + string(hex[c&0xf])
	}
	e['\t'], e['\r'], e['\n'] = `\t`, `\r`, `\n`
	e['\\'], e['"'] = `\\`, `\"`
	return e
}()

// writeQuoted writes s as a JSON string. The response is written to a
// bytes.Buffer, which it appends to in place, in one write.
func writeQuoted(w io.Writer, s string) {
	if b, ok := w.(*bytes.Buffer); ok {
		b.Grow(len(s) + 2)
		_, _ = b.Write(appendQuoted(b.AvailableBuffer(), s))
		return
	}
	_, _ = w.Write(appendQuoted(make([]byte, 0, len(s)+2), s))
}

func appendQuoted(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if esc := escapes[s[i]]; esc != "" {
			buf = append(buf, s[start:i]...)
			buf = append(buf, esc...)
			start = i + 1
		}
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

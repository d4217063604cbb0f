package graph

import (
	"bytes"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

func marshalled(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

// TestMarshalStringWritesWhatGqlgenWrites: the same bytes as
// graphql.MarshalString for every ASCII byte, multi-byte characters and
// invalid UTF-8.
func TestMarshalStringWritesWhatGqlgenWrites(t *testing.T) {
	var every strings.Builder
	for c := range 256 {
		every.WriteByte(byte(c))
	}
	for _, s := range []string{"", "plain", "line\nnext\ttab\r\"quoted\" \\ back", "é Ω 𝄞 \u2028", "\x00\x1f\x7f", "bad \xff\xfe utf8 \xc3", every.String(),
		strings.Repeat("# A lesson\n\nSome *markdown* with \"quotes\".\n", 200)} {
		want := marshalled(graphql.MarshalString(s))
		if got := marshalled(marshalString(s)); got != want {
			t.Errorf("%q: wrote %q, gqlgen writes %q", s, got, want)
		}
		var other strings.Builder // not a bytes.Buffer
		marshalString(s).MarshalGQL(&other)
		if other.String() != want {
			t.Errorf("%q: wrote %q to a strings.Builder, gqlgen writes %q", s, other.String(), want)
		}
	}
}

func FuzzMarshalString(f *testing.F) {
	f.Add("a\n\"b\"\\\x01\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := marshalled(marshalString(s)), marshalled(graphql.MarshalString(s)); got != want {
			t.Errorf("%q: wrote %q, gqlgen writes %q", s, got, want)
		}
	})
}

// BenchmarkMarshalString writes a lesson body of about 8 KB of Markdown;
// "gqlgen" is graphql.MarshalString for comparison.
func BenchmarkMarshalString(b *testing.B) {
	body := strings.Repeat("## A heading\n\nA paragraph with *emphasis*, \"quotes\" and a `code span`, then more words.\n\n", 80)
	for name, marshal := range map[string]func(string) graphql.Marshaler{"lectern": marshalString, "gqlgen": graphql.MarshalString} {
		b.Run(name, func(b *testing.B) {
			var buf bytes.Buffer
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				buf.Reset()
				marshal(body).MarshalGQL(&buf)
			}
		})
	}
}

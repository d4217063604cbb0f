package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// assertNoSecret fails when out contains any eight consecutive characters of
// the token's secret part, which catches partial as well as whole leaks.
func assertNoSecret(t *testing.T, tok Token, prefix, out string) {
	t.Helper()
	body := strings.TrimPrefix(tok.Plain, prefix)
	for i := 0; i+8 <= len(body); i++ {
		if strings.Contains(out, body[i:i+8]) {
			t.Fatalf("output leaks secret fragment %q:\n%s", body[i:i+8], out)
		}
	}
}

func TestRedactedString(t *testing.T) {
	tok := mustNew(t, PersonalTokenPrefix)
	tests := []struct {
		name string
		tok  Token
		want string
	}{
		{"issued token", tok, "lct_pat_…(redacted)"},
		{"session token", mustNew(t, SessionPrefix), "lct_ses_…(redacted)"},
		{"zero token", Token{}, "…(redacted)"},
		{"not a token", Token{Plain: "hunter2-hunter2-hunter2-hunter2-hunter2-hunter2-hunter2-hunter2"}, "…(redacted)"},
		{"body one short", Token{Plain: tok.Plain[:len(tok.Plain)-1]}, "…(redacted)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tok.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFmtRedacts(t *testing.T) {
	tok := mustNew(t, PersonalTokenPrefix)
	type holder struct {
		Name  string
		Token Token
	}
	tests := []struct {
		name   string
		format string
		args   []any
		want   string
	}{
		{"common verbs", "%v %+v %#v %s", []any{tok, tok, tok, tok},
			`lct_pat_…(redacted) lct_pat_…(redacted) secret.Token{Plain:"lct_pat_…(redacted)"} lct_pat_…(redacted)`},
		{"quoted", "%q", []any{tok}, `"lct_pat_…(redacted)"`},
		{"width", "[%-22s]", []any{tok}, "[lct_pat_…(redacted)   ]"},
		{"pointer", "%v %+v", []any{&tok, &tok}, "lct_pat_…(redacted) lct_pat_…(redacted)"},
		{"hex", "%x", []any{tok}, fmt.Sprintf("%x", "lct_pat_…(redacted)")},
		{"wrong verb", "%d", []any{tok}, "%!d(string=lct_pat_…(redacted))"},
		{"in a struct", "%+v", []any{holder{"ci", tok}}, "{Name:ci Token:lct_pat_…(redacted)}"},
		{"in a struct, Go syntax", "%#v", []any{holder{"ci", tok}},
			`secret.holder{Name:"ci", Token:secret.Token{Plain:"lct_pat_…(redacted)"}}`},
		{"in a slice", "%v", []any{[]Token{tok}}, "[lct_pat_…(redacted)]"},
		{"in a map", "%v", []any{map[string]Token{"k": tok}}, "map[k:lct_pat_…(redacted)]"},
		{"println style", "%v", []any{fmt.Sprint(tok)}, "lct_pat_…(redacted)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fmt.Sprintf(tt.format, tt.args...)
			assertNoSecret(t, tok, PersonalTokenPrefix, got)
			if got != tt.want {
				t.Fatalf("Sprintf(%q) = %s, want %s", tt.format, got, tt.want)
			}
		})
	}
}

func TestSlogRedacts(t *testing.T) {
	tok := mustNew(t, SessionPrefix)
	handlers := []struct {
		name string
		make func(*bytes.Buffer) slog.Handler
	}{
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
	}
	attrs := []struct {
		name string
		attr slog.Attr
	}{
		{"value", slog.Any("token", tok)},
		{"pointer", slog.Any("token", &tok)},
		{"in a struct", slog.Any("request", struct{ Token Token }{tok})},
		{"in a group", slog.Group("auth", slog.Any("token", tok))},
	}
	for _, h := range handlers {
		for _, a := range attrs {
			t.Run(h.name+"/"+a.name, func(t *testing.T) {
				var buf bytes.Buffer
				slog.New(h.make(&buf)).LogAttrs(t.Context(), slog.LevelInfo, "signed in", a.attr)
				assertNoSecret(t, tok, SessionPrefix, buf.String())
				if !strings.Contains(buf.String(), "lct_ses_…(redacted)") {
					t.Fatalf("log lacks the redacted form:\n%s", buf.String())
				}
			})
		}
	}
}

func TestJSONRedacts(t *testing.T) {
	tok := mustNew(t, PersonalTokenPrefix)
	out, err := json.Marshal(map[string]any{"token": tok, "nested": struct{ T Token }{tok}})
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	assertNoSecret(t, tok, PersonalTokenPrefix, string(out))
	want := `{"nested":{"T":"lct_pat_…(redacted)"},"token":"lct_pat_…(redacted)"}`
	if string(out) != want {
		t.Fatalf("json.Marshal = %s, want %s", out, want)
	}
}

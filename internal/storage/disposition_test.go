package storage_test

import (
	"mime"
	"strings"
	"testing"
	"unicode/utf8"

	"lectern/internal/storage"
)

func TestSanitizeFilename(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 300)
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"naïve résumé 履歴書.pdf", "naïve résumé 履歴書.pdf"},
		{`a"b'c.txt`, "abc.txt"},
		{"../../etc/passwd", "etcpasswd"},
		{`..\..\boot.ini`, "boot.ini"},
		{"line\r\nbreak\x00.txt", "linebreak.txt"},
		{"tab\there\x7f\u0085.txt", "tabhere.txt"},
		{"invoice\u202efdp.exe", "invoicefdp.exe"},
		{"zero\u200bwidth\ufeff.txt", "zerowidth.txt"},
		{"sep\u2028\u2029.txt", "sep.txt"},
		{"bad\xffutf8.txt", "badutf8.txt"},
		{" .hidden. ", "hidden"},
		{"....", ""},
		{"", ""},
		{long + ".pdf", strings.Repeat("a", 196) + ".pdf"},
		{long, strings.Repeat("a", 200)},
		{strings.Repeat("é", 150) + ".pdf", strings.Repeat("é", 98) + ".pdf"},
		{"x." + long, "x." + strings.Repeat("a", 198)},
	}
	for _, tt := range tests {
		if got := storage.SanitizeFilename(tt.in); got != tt.want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDispositionHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    storage.ContentDisposition
		want string
	}{
		{storage.ContentDisposition{}, "inline"},
		{storage.ContentDisposition{Attachment: true}, "attachment"},
		{storage.ContentDisposition{Filename: "../"}, "inline"},
		{storage.ContentDisposition{Filename: "a b.pdf", Attachment: true}, `attachment; filename="a b.pdf"; filename*=UTF-8''a%20b.pdf`},
		{storage.ContentDisposition{Filename: "100% €.txt"}, `inline; filename="100_ _.txt"; filename*=UTF-8''100%25%20%E2%82%AC.txt`},
		{storage.ContentDisposition{Filename: "a;b=c,d.txt"}, `inline; filename="a;b=c,d.txt"; filename*=UTF-8''a%3Bb%3Dc%2Cd.txt`},
	}
	for _, tt := range tests {
		if got := storage.DispositionHeader(tt.d); got != tt.want {
			t.Errorf("DispositionHeader(%+v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// FuzzDispositionHeader: whatever the filename, the header is one valid
// value that parses back to the sanitised name.
func FuzzDispositionHeader(f *testing.F) {
	for _, s := range []string{"a.pdf", `"; x=`, "\r\n", "../..", "é\u202e", strings.Repeat("x", 1000), "\x00"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, name string, attachment bool) {
		h := storage.DispositionHeader(storage.ContentDisposition{Filename: name, Attachment: attachment})
		for i := 0; i < len(h); i++ {
			if h[i] < 0x20 || h[i] > 0x7e {
				t.Fatalf("header %q has byte %#x", h, h[i])
			}
		}
		typ, params, err := mime.ParseMediaType(h)
		if err != nil {
			t.Fatalf("header %q does not parse: %v", h, err)
		}
		if want := map[bool]string{true: "attachment", false: "inline"}[attachment]; typ != want {
			t.Fatalf("type %q, want %q", typ, want)
		}
		got, want := params["filename"], storage.SanitizeFilename(name)
		if got != want || !utf8.ValidString(got) || len(got) > 200 || strings.ContainsAny(got, "/\\\"'") {
			t.Fatalf("filename %q from %q, want %q", got, name, want)
		}
		if storage.SanitizeFilename(want) != want {
			t.Fatalf("SanitizeFilename is not idempotent on %q", want)
		}
	})
}

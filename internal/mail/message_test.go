package mail_test

import (
	"errors"
	"mime"
	"strings"
	"testing"
	"time"

	"lectern/internal/mail"
)

var sentAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))

func baseMessage() mail.Message {
	return mail.Message{
		To:      []string{"Ann Example <ann@example.com>"},
		From:    "Lectern <no-reply@lectern.example>",
		Subject: "Hello",
		Text:    "Plain body\nsecond line",
		HTML:    "<p>HTML body</p>",
	}
}

func TestBytesStructure(t *testing.T) {
	longLine := strings.Repeat("word ", 60)
	for _, tc := range []struct {
		name      string
		edit      func(*mail.Message)
		mediaType string
	}{
		{"TextAndHTML", func(*mail.Message) {}, "multipart/alternative"},
		{"TextOnly", func(m *mail.Message) { m.HTML = "" }, "text/plain"},
		{"HTMLOnly", func(m *mail.Message) { m.Text = "" }, "text/html"},
		{"LongLinesAndSpecials", func(m *mail.Message) {
			m.Text = longLine + "\n=3D is not an escape\n.leading dot\nÜmlaut ✓\n"
			m.HTML = `<p style="x">` + longLine + "</p>\r\n"
		}, "multipart/alternative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := baseMessage()
			tc.edit(&m)
			raw, err := m.Bytes(sentAt, "abc123@lectern.example")
			if err != nil {
				t.Fatalf("Bytes: %v", err)
			}
			p := parseMessage(t, raw)
			checkEnvelopeHeaders(t, p)
			if p.mediaType != tc.mediaType {
				t.Errorf("Content-Type = %q, want %q", p.mediaType, tc.mediaType)
			}
			want := map[string]string{}
			if m.Text != "" {
				want["text/plain"] = crlf(strings.TrimSuffix(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n") + "\n")
			}
			if m.HTML != "" {
				want["text/html"] = crlf(strings.TrimSuffix(strings.ReplaceAll(m.HTML, "\r\n", "\n"), "\n") + "\n")
			}
			if len(p.parts) != len(want) {
				t.Errorf("parts = %v, want %d parts", keys(p.parts), len(want))
			}
			for mediaType, body := range want {
				if got := p.parts[mediaType]; got != body {
					t.Errorf("%s body = %q, want %q", mediaType, got, body)
				}
			}
		})
	}
}

func checkEnvelopeHeaders(t *testing.T, p parsedMessage) {
	t.Helper()
	date, err := p.header.Date()
	if err != nil || !date.Equal(sentAt) {
		t.Errorf("Date = %v (%v), want %v", date, err, sentAt)
	}
	from, err := p.header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "no-reply@lectern.example" || from[0].Name != "Lectern" {
		t.Errorf("From = %v (%v)", from, err)
	}
	to, err := p.header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "ann@example.com" || to[0].Name != "Ann Example" {
		t.Errorf("To = %v (%v)", to, err)
	}
	if got := p.header.Get("Message-Id"); got != "<abc123@lectern.example>" {
		t.Errorf("Message-ID = %q", got)
	}
	if got := p.header.Get("Mime-Version"); got != "1.0" {
		t.Errorf("MIME-Version = %q", got)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBytesSubject(t *testing.T) {
	for _, tc := range []struct {
		name        string
		subject     string
		wantEncoded bool
	}{
		{"ASCII", "Confirm your address", false},
		{"Empty", "", false},
		{"NonASCII", "Grüße aus Köln ✉", true},
		{"LongNonASCII", strings.Repeat("Ünïcödé subject ", 12), true},
		{"LongASCII", strings.TrimSpace(strings.Repeat("plain subject words ", 10)), false},
		{"LongASCIIWord", strings.Repeat("x", 200), false},
		{"LooksEncoded", "=?utf-8?q?not_really?=", true},
		{"LongLooksEncoded", strings.Repeat("=?ä?= ", 30), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := baseMessage()
			m.Subject = tc.subject
			raw, err := m.Bytes(sentAt, "id@lectern.example")
			if err != nil {
				t.Fatalf("Bytes: %v", err)
			}
			headerBlock, _, _ := strings.Cut(string(raw), "\r\n\r\n")
			for _, line := range strings.Split(headerBlock, "\r\n") {
				if _, value, _ := strings.Cut(line, ":"); len(line) > 78 && strings.Contains(strings.TrimSpace(value), " ") {
					t.Errorf("header line not folded: %q", line)
				}
			}
			p := parseMessage(t, raw)
			rawSubject := p.header.Get("Subject")
			if got := strings.Contains(rawSubject, "=?utf-8?"); got != tc.wantEncoded {
				t.Errorf("raw Subject %q: encoded = %v, want %v", rawSubject, got, tc.wantEncoded)
			}
			decoded, err := new(mime.WordDecoder).DecodeHeader(rawSubject)
			if err != nil || decoded != tc.subject {
				t.Errorf("decoded Subject = %q (%v), want %q", decoded, err, tc.subject)
			}
		})
	}
}

func TestBytesExtraHeadersAndMessageID(t *testing.T) {
	for _, tc := range []struct {
		name    string
		arg     string
		headers map[string]string
		wantID  string
	}{
		{"ArgumentBare", "a@b.example", nil, "<a@b.example>"},
		{"ArgumentBracketed", "<a@b.example>", nil, "<a@b.example>"},
		{"FromHeaders", "", map[string]string{"Message-ID": "<h@b.example>"}, "<h@b.example>"},
		{"BothAgree", "h@b.example", map[string]string{"message-id": "<h@b.example>"}, "<h@b.example>"},
		{"GeneratedID", mail.NewMessageID("lectern.example"), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := baseMessage()
			m.Headers = map[string]string{
				"List-Unsubscribe": "<https://lectern.example/unsubscribe?u=1>",
				"X-Note":           "café",
			}
			for k, v := range tc.headers {
				m.Headers[k] = v
			}
			raw, err := m.Bytes(sentAt, tc.arg)
			if err != nil {
				t.Fatalf("Bytes: %v", err)
			}
			p := parseMessage(t, raw)
			want := tc.wantID
			if want == "" {
				want = tc.arg
			}
			if got := p.header.Get("Message-Id"); got != want {
				t.Errorf("Message-ID = %q, want %q", got, want)
			}
			if n := strings.Count(strings.ToLower(string(raw)), "\r\nmessage-id:"); n != 1 {
				t.Errorf("%d Message-ID fields, want 1", n)
			}
			if got := p.header.Get("List-Unsubscribe"); got != m.Headers["List-Unsubscribe"] {
				t.Errorf("List-Unsubscribe = %q", got)
			}
			if got, _ := new(mime.WordDecoder).DecodeHeader(p.header.Get("X-Note")); got != "café" {
				t.Errorf("X-Note = %q", got)
			}
		})
	}
}

func TestBytesRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*mail.Message)
		now  time.Time
		id   string
	}{
		{"CRLFInSubject", func(m *mail.Message) { m.Subject = "Hi\r\nBcc: victim@example.com" }, sentAt, "i@x.example"},
		{"LFInSubject", func(m *mail.Message) { m.Subject = "Hi\nBcc: victim@example.com" }, sentAt, "i@x.example"},
		{"CRInSubject", func(m *mail.Message) { m.Subject = "Hi\rthere" }, sentAt, "i@x.example"},
		{"NULInSubject", func(m *mail.Message) { m.Subject = "Hi\x00" }, sentAt, "i@x.example"},
		{"CRLFInTo", func(m *mail.Message) { m.To = []string{"ann@example.com\r\nBcc: victim@example.com"} }, sentAt, "i@x.example"},
		{"LFInTo", func(m *mail.Message) { m.To = []string{"ann@example.com\n"} }, sentAt, "i@x.example"},
		{"CRLFInFrom", func(m *mail.Message) { m.From = "x@example.com\r\nSubject: spoof" }, sentAt, "i@x.example"},
		{"CRLFInHeaderValue", func(m *mail.Message) { m.Headers = map[string]string{"X-A": "1\r\nBcc: v@example.com"} }, sentAt, "i@x.example"},
		{"CRLFInHeaderName", func(m *mail.Message) { m.Headers = map[string]string{"X-A\r\nBcc": "v@example.com"} }, sentAt, "i@x.example"},
		{"ColonInHeaderName", func(m *mail.Message) { m.Headers = map[string]string{"Bcc: x": "y"} }, sentAt, "i@x.example"},
		{"EmptyHeaderName", func(m *mail.Message) { m.Headers = map[string]string{"": "y"} }, sentAt, "i@x.example"},
		{"HeaderOverridesSubject", func(m *mail.Message) { m.Headers = map[string]string{"subject": "other"} }, sentAt, "i@x.example"},
		{"HeaderOverridesContentType", func(m *mail.Message) { m.Headers = map[string]string{"Content-Type": "text/html"} }, sentAt, "i@x.example"},
		{"HeaderAddsBcc", func(m *mail.Message) { m.Headers = map[string]string{"Bcc": "v@example.com"} }, sentAt, "i@x.example"},
		{"UnparsableTo", func(m *mail.Message) { m.To = []string{"not an address"} }, sentAt, "i@x.example"},
		{"NoTo", func(m *mail.Message) { m.To = nil }, sentAt, "i@x.example"},
		{"NoFrom", func(m *mail.Message) { m.From = "" }, sentAt, "i@x.example"},
		{"NoBody", func(m *mail.Message) { m.Text, m.HTML = "", "" }, sentAt, "i@x.example"},
		{"NoMessageID", func(*mail.Message) {}, sentAt, ""},
		{"MessageIDWithoutAt", func(*mail.Message) {}, sentAt, "just-an-id"},
		{"MessageIDWithSpace", func(*mail.Message) {}, sentAt, "a b@x.example"},
		{"MessageIDWithCRLF", func(*mail.Message) {}, sentAt, "a@x.example\r\nBcc: v@example.com"},
		{"TwoMessageIDs", func(m *mail.Message) { m.Headers = map[string]string{"Message-ID": "<other@x.example>"} }, sentAt, "i@x.example"},
		{"ZeroTime", func(*mail.Message) {}, time.Time{}, "i@x.example"},
		{"UnfoldableHeader", func(m *mail.Message) { m.Headers = map[string]string{"X-Long": strings.Repeat("a", 1000)} }, sentAt, "i@x.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := baseMessage()
			tc.edit(&m)
			raw, err := m.Bytes(tc.now, tc.id)
			if err == nil {
				t.Fatalf("Bytes succeeded:\n%s", raw)
			}
			if !errors.Is(err, mail.ErrInvalid) || !mail.IsPermanent(err) {
				t.Errorf("error %v: want ErrInvalid, permanent", err)
			}
			if raw != nil {
				t.Errorf("Bytes returned %d bytes with the error", len(raw))
			}
		})
	}
}

func TestEnvelope(t *testing.T) {
	m := baseMessage()
	m.To = []string{"Ann <ann@example.com>", "bob@example.com"}
	from, to, err := m.Envelope()
	if err != nil {
		t.Fatalf("Envelope: %v", err)
	}
	if from != "no-reply@lectern.example" || len(to) != 2 || to[0] != "ann@example.com" || to[1] != "bob@example.com" {
		t.Errorf("Envelope = %q, %q", from, to)
	}
	m.To = []string{"ann@example.com\r\nRCPT TO:<x@example.com>"}
	if _, _, err := m.Envelope(); !errors.Is(err, mail.ErrInvalid) {
		t.Errorf("Envelope with CRLF: %v, want ErrInvalid", err)
	}
}

func TestNewMessageIDIsUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := mail.NewMessageID("lectern.example")
		if seen[id] {
			t.Fatalf("duplicate Message-ID %s", id)
		}
		seen[id] = true
		if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@lectern.example>") {
			t.Fatalf("Message-ID %q has the wrong form", id)
		}
	}
}

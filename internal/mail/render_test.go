package mail_test

import (
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"lectern/internal/mail"
)

const (
	siteURL  = "https://lectern.example/app/"
	fromAddr = "Lectern <no-reply@lectern.example>"
	// trickyToken needs escaping in a query string and in HTML.
	trickyToken = `a b/c+d&e=f?"<g>`
)

func newRenderer(t *testing.T) *mail.Renderer {
	t.Helper()
	r, err := mail.NewRenderer(siteURL, fromAddr)
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}
	return r
}

// rendered is a rendered message after a round trip through Bytes, so the
// checks see what a mail client would.
type rendered struct {
	msg  mail.Message
	text string
	html string
}

func render(t *testing.T, m mail.Message, err error) rendered {
	t.Helper()
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	raw, err := m.Bytes(sentAt, "render@lectern.example")
	if err != nil {
		t.Fatalf("Bytes: %v", err)
	}
	p := parseMessage(t, raw)
	if p.mediaType != "multipart/alternative" {
		t.Errorf("Content-Type = %q, want multipart/alternative", p.mediaType)
	}
	if got := p.header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	return rendered{msg: m, text: p.parts["text/plain"], html: p.parts["text/html"]}
}

func TestRendererLinks(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		name    string
		render  func(to, name, token string) (mail.Message, error)
		path    string
		subject string
	}{
		{"Verification", r.Verification, "/app/verify-email", "Confirm your email address"},
		{"PasswordReset", r.PasswordReset, "/app/reset-password", "Reset your Lectern password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.render("ann@example.com", "Ann", trickyToken)
			got := render(t, m, err)
			link := "https://lectern.example" + tc.path + "?token=" + url.QueryEscape(trickyToken)
			if !strings.Contains(got.text, "\r\n"+link+"\r\n") {
				t.Errorf("text part lacks the link %s on its own line:\n%s", link, got.text)
			}
			if !strings.Contains(html.UnescapeString(got.html), `href="`+link+`"`) {
				t.Errorf("HTML part lacks href=%q:\n%s", link, got.html)
			}
			if strings.Contains(got.text+got.html, trickyToken) {
				t.Error("token appears unescaped")
			}
			if !strings.Contains(got.msg.Subject, tc.subject) {
				t.Errorf("Subject = %q, want it to mention %q", got.msg.Subject, tc.subject)
			}
			if got.msg.From != fromAddr || len(got.msg.To) != 1 || got.msg.To[0] != "ann@example.com" {
				t.Errorf("From %q To %q", got.msg.From, got.msg.To)
			}
			if !strings.Contains(got.text, "Hi Ann,") || !strings.Contains(got.html, "Hi Ann,") {
				t.Error("greeting missing")
			}
		})
	}
}

// allEmails renders every kind of message for displayName.
func allEmails(t *testing.T, r *mail.Renderer, displayName string) map[string]rendered {
	t.Helper()
	verification, err1 := r.Verification("ann@example.com", displayName, "tok")
	reset, err2 := r.PasswordReset("ann@example.com", displayName, "tok")
	change, err3 := r.EmailChangeNotice("ann@example.com", displayName, "new@example.com")
	signIn, err4 := r.SignInNotice("ann@example.com", displayName, sentAt, "203.0.113.7", "Firefox")
	return map[string]rendered{
		"Verification":      render(t, verification, err1),
		"PasswordReset":     render(t, reset, err2),
		"EmailChangeNotice": render(t, change, err3),
		"SignInNotice":      render(t, signIn, err4),
	}
}

func TestRendererEscapesDisplayName(t *testing.T) {
	for name, got := range allEmails(t, newRenderer(t), `<script>alert("hi")</script> & Co`) {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(got.html, "<script") {
				t.Errorf("HTML part contains a live <script>:\n%s", got.html)
			}
			if !strings.Contains(got.html, "&lt;script&gt;") || !strings.Contains(got.html, "&amp; Co") {
				t.Errorf("HTML part lacks the escaped name:\n%s", got.html)
			}
			if !strings.Contains(got.text, `Hi <script>alert("hi")</script> & Co,`) {
				t.Errorf("text part should show the name as typed:\n%s", got.text)
			}
		})
	}
}

func TestRendererDisplayNames(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		name     string
		display  string
		greeting string
	}{
		{"Empty", "", "Hi there,"},
		{"Blank", " \t ", "Hi there,"},
		{"LineBreaks", "Ann\r\n\r\nClick evil.example", "Hi Ann Click evil.example,"},
		{"BidiOverride", "Ann\u202Egnp.exe", "Hi Ann gnp.exe,"},
		{"TooLong", strings.Repeat("é", 100), "Hi " + strings.Repeat("é", 63) + "…,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := r.Verification("ann@example.com", tc.display, "tok")
			got := render(t, m, err)
			if !strings.HasPrefix(got.text, tc.greeting+"\r\n") {
				t.Errorf("text starts %q, want %q", firstLine(got.text), tc.greeting)
			}
			if !strings.Contains(got.html, "<p>"+tc.greeting+"</p>") {
				t.Errorf("HTML lacks <p>%s</p>", tc.greeting)
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}

func TestEmailChangeNotice(t *testing.T) {
	r := newRenderer(t)
	m, err := r.EmailChangeNotice("old@example.com", "Ann", "Someone <new@example.com>")
	got := render(t, m, err)
	if len(got.msg.To) != 1 || got.msg.To[0] != "old@example.com" {
		t.Errorf("To = %q, want the old address", got.msg.To)
	}
	for part, body := range map[string]string{"text": got.text, "html": got.html} {
		if !strings.Contains(body, "new@example.com") {
			t.Errorf("%s part does not name the new address", part)
		}
		if strings.Contains(body, "token") || strings.Contains(body, "Someone") {
			t.Errorf("%s part carries a token or the new address's display name:\n%s", part, body)
		}
	}
	if strings.Contains(got.html, "href=") {
		t.Errorf("HTML part has a link:\n%s", got.html)
	}
}

func TestSignInNotice(t *testing.T) {
	r := newRenderer(t)
	when := time.Date(2025, 6, 7, 22, 30, 0, 0, time.FixedZone("EST", -5*3600))
	for _, tc := range []struct {
		name      string
		client    string
		userAgent string
		want      []string
		notWant   []string
	}{
		{
			name:   "Ordinary",
			client: "203.0.113.7", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
			want: []string{"Sunday 8 June 2025, 03:30 UTC", "203.0.113.7", "Firefox/128.0", "https://lectern.example/app"},
		},
		{
			name: "Unknown",
			want: []string{"Address:  unknown", "Browser:  unknown"},
		},
		{
			name:   "HostileUserAgent",
			client: "2001:db8::1", userAgent: "x\r\n\r\nYour account is locked. Visit https://evil.example\u202E" + strings.Repeat("!", 300),
			want:    []string{"Browser:  x Your account is locked. Visit https://evil.example !!!"},
			notWant: []string{"\u202E", strings.Repeat("!", 200)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := r.SignInNotice("ann@example.com", "Ann", when, tc.client, tc.userAgent)
			got := render(t, m, err)
			for _, w := range tc.want {
				if !strings.Contains(got.text, w) {
					t.Errorf("text lacks %q:\n%s", w, got.text)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got.text, w) || strings.Contains(got.html, w) {
					t.Errorf("message contains %q", w)
				}
			}
		})
	}
}

func TestRendererRejects(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		name string
		call func() (mail.Message, error)
	}{
		{"VerificationEmptyToken", func() (mail.Message, error) { return r.Verification("ann@example.com", "Ann", "") }},
		{"ResetEmptyToken", func() (mail.Message, error) { return r.PasswordReset("ann@example.com", "Ann", "") }},
		{"BadTo", func() (mail.Message, error) { return r.Verification("not an address", "Ann", "tok") }},
		{"InjectedTo", func() (mail.Message, error) {
			return r.PasswordReset("ann@example.com\r\nBcc: x@example.com", "Ann", "tok")
		}},
		{"BadNewAddress", func() (mail.Message, error) { return r.EmailChangeNotice("old@example.com", "Ann", "nope") }},
		{"ZeroSignInTime", func() (mail.Message, error) {
			return r.SignInNotice("ann@example.com", "Ann", time.Time{}, "", "")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.call(); err == nil {
				t.Error("succeeded")
			}
		})
	}
}

func TestNewRenderer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		baseURL string
		from    string
		link    string // empty when NewRenderer must fail
	}{
		{"Root", "https://lectern.example", fromAddr, "https://lectern.example/verify-email?token=t"},
		{"RootSlash", "https://lectern.example/", fromAddr, "https://lectern.example/verify-email?token=t"},
		{"Path", "http://localhost:8080/ui//", "no-reply@localhost", "http://localhost:8080/ui/verify-email?token=t"},
		{"Relative", "/app", fromAddr, ""},
		{"JavaScript", "javascript:alert(1)", fromAddr, ""},
		{"Query", "https://lectern.example/?a=b", fromAddr, ""},
		{"Fragment", "https://lectern.example/#x", fromAddr, ""},
		{"UserInfo", "https://u:p@lectern.example/", fromAddr, ""},
		{"BadFrom", "https://lectern.example", "Lectern", ""},
		{"InjectedFrom", "https://lectern.example", "a@b.example\r\nBcc: c@d.example", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := mail.NewRenderer(tc.baseURL, tc.from)
			if tc.link == "" {
				if err == nil {
					t.Fatal("NewRenderer succeeded")
				}
				return
			}
			if err != nil {
				t.Fatalf("NewRenderer: %v", err)
			}
			m, err := r.Verification("ann@example.com", "", "t")
			if err != nil {
				t.Fatalf("Verification: %v", err)
			}
			if !strings.Contains(m.Text, tc.link+"\n") {
				t.Errorf("text lacks %s:\n%s", tc.link, m.Text)
			}
		})
	}
}

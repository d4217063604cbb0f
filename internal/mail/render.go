package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
	"unicode/utf8"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Length limits for values shown in a message. Sign-in details come from
// whoever signed in, possibly an attacker, so they are kept short enough
// that they cannot pass for a paragraph of instructions.
const (
	maxNameRunes      = 64
	maxClientRunes    = 64
	maxUserAgentRunes = 160
	// maxExportRunes leaves room for a course title (at most 200).
	maxExportRunes = 240
)

// Paths the web client serves the account pages under.
const (
	verifyEmailPath   = "verify-email"
	resetPasswordPath = "reset-password"
	exportsPath       = "exports"
)

// autoSubmitted marks messages as machine-generated (RFC 3834), so
// out-of-office replies and similar robots stay quiet.
const autoSubmitted = "auto-generated"

// Renderer builds Lectern's account emails from the embedded templates. It
// is safe for concurrent use.
type Renderer struct {
	base         *url.URL
	from         string
	verification *email
	reset        *email
	emailChange  *email
	signIn       *email
	exists       *email
	exportReady  *email
}

// email is one kind of message: "subject" and "text" in text, "html" in
// html.
type email struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// view is what templates see. Every string has been cleaned of control
// characters; html/template escapes the HTML part on top of that.
type view struct {
	Subject    string
	Name       string
	Link       string
	SiteURL    string
	NewAddress string
	When       string
	ClientAddr string
	UserAgent  string
	// What an export holds and when its file is deleted.
	Export  string
	Expires string
}

// NewRenderer returns a Renderer whose links point into baseURL (an
// absolute http or https URL, optionally with a path such as
// "https://example.com/app") and whose messages come from from, e.g.
// "Lectern <no-reply@example.com>". From is a constructor argument rather
// than a field so a Renderer cannot be changed after it is shared.
//
// It returns an error when baseURL is not such a URL (or has a query,
// fragment or user info), when from does not parse as an address, or when
// a template does not parse.
func NewRenderer(baseURL, from string) (*Renderer, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if _, err := parseAddress("From", from); err != nil {
		return nil, fmt.Errorf("mail: renderer: %w", err)
	}
	r := &Renderer{base: base, from: from}
	for _, e := range []struct {
		name string
		dst  **email
	}{
		{"verification", &r.verification},
		{"password_reset", &r.reset},
		{"email_change", &r.emailChange},
		{"sign_in", &r.signIn},
		{"account_exists", &r.exists},
		{"export_ready", &r.exportReady},
	} {
		if *e.dst, err = loadEmail(e.name); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mail: renderer base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("mail: renderer base URL %q: want an absolute http or https URL", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("mail: renderer base URL %q: want no user info, query or fragment", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func loadEmail(name string) (*email, error) {
	text, err := texttemplate.New(name).Option("missingkey=error").ParseFS(templateFS,
		"templates/layout.txt.tmpl", "templates/"+name+".txt.tmpl")
	if err != nil {
		return nil, fmt.Errorf("mail: renderer: %w", err)
	}
	html, err := htmltemplate.New(name).Option("missingkey=error").ParseFS(templateFS,
		"templates/layout.html.tmpl", "templates/"+name+".html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("mail: renderer: %w", err)
	}
	return &email{text: text, html: html}, nil
}

// Verification returns the message asking to confirm the address to, with
// a link to <baseURL>/verify-email?token=<token>. It returns an error when
// to does not parse or token is empty.
func (r *Renderer) Verification(to, displayName, token string) (Message, error) {
	if token == "" {
		return Message{}, errors.New("mail: verification: empty token")
	}
	return r.render(r.verification, to, view{
		Name: clean(displayName, maxNameRunes),
		Link: r.link(verifyEmailPath, token),
	})
}

// PasswordReset returns the message carrying the reset link
// <baseURL>/reset-password?token=<token>. It returns an error when to does
// not parse or token is empty.
func (r *Renderer) PasswordReset(to, displayName, token string) (Message, error) {
	if token == "" {
		return Message{}, errors.New("mail: password reset: empty token")
	}
	return r.render(r.reset, to, view{
		Name: clean(displayName, maxNameRunes),
		Link: r.link(resetPasswordPath, token),
	})
}

// EmailChangeNotice returns the message telling oldAddress that the account
// now uses newAddress, so the owner learns of a change they did not make. It
// carries no link or token: anything it could do would be in the hands of
// whoever reads the old mailbox. It returns an error when either address
// does not parse.
func (r *Renderer) EmailChangeNotice(oldAddress, displayName, newAddress string) (Message, error) {
	next, err := parseAddress("new address", newAddress)
	if err != nil {
		return Message{}, fmt.Errorf("mail: email change notice: %w", err)
	}
	return r.render(r.emailChange, oldAddress, view{
		Name:       clean(displayName, maxNameRunes),
		NewAddress: next.Address,
	})
}

// SignInNotice returns the message reporting a sign-in at when (shown in
// UTC) from clientAddr with userAgent. Both are shortened and stripped of
// control characters because the person signing in chose them; empty ones
// show as "unknown". It returns an error when to does not parse or when is
// the zero time.
func (r *Renderer) SignInNotice(to, displayName string, when time.Time, clientAddr, userAgent string) (Message, error) {
	if when.IsZero() {
		return Message{}, errors.New("mail: sign-in notice: no sign-in time")
	}
	return r.render(r.signIn, to, view{
		Name:       clean(displayName, maxNameRunes),
		SiteURL:    r.base.String(),
		When:       when.UTC().Format("Monday 2 January 2006, 15:04 UTC"),
		ClientAddr: orUnknown(clean(clientAddr, maxClientRunes)),
		UserAgent:  orUnknown(clean(userAgent, maxUserAgentRunes)),
	})
}

// AccountExists returns the message telling to that someone tried to sign
// up with an address that already has an account. Sign-up answers the same
// whether or not an address is taken, so this message is how the real owner
// learns what happened; it carries no link that does anything. It returns
// an error when to does not parse.
func (r *Renderer) AccountExists(to, displayName string) (Message, error) {
	return r.render(r.exists, to, view{
		Name:    clean(displayName, maxNameRunes),
		SiteURL: r.base.String(),
	})
}

// ExportReady returns the message telling to that the export exportID
// (its global ID, as the API shows it), holding what (e.g. "the learners
// of Backend Basics"), can be downloaded until expires (shown in UTC). The
// link, <baseURL>/exports/<exportID>, opens the app, where the signed-in
// requester fetches the file: the message carries no link to the file
// itself, which anyone reading the mailbox could use. It returns an error
// when to does not parse, exportID is empty or expires is the zero time.
func (r *Renderer) ExportReady(to, displayName, exportID, what string, expires time.Time) (Message, error) {
	if exportID == "" || expires.IsZero() {
		return Message{}, errors.New("mail: export ready: no export or expiry")
	}
	return r.render(r.exportReady, to, view{
		Name:    clean(displayName, maxNameRunes),
		Link:    r.base.JoinPath(exportsPath, exportID).String(),
		Export:  clean(what, maxExportRunes),
		Expires: expires.UTC().Format("Monday 2 January 2006, 15:04 UTC"),
	})
}

func (r *Renderer) render(e *email, to string, v view) (Message, error) {
	if _, err := parseAddress("To", to); err != nil {
		return Message{}, fmt.Errorf("mail: render %s: %w", e.text.Name(), err)
	}
	subject, err := executeText(e.text, "subject", v)
	if err != nil {
		return Message{}, err
	}
	v.Subject = subject
	text, err := executeText(e.text, "text", v)
	if err != nil {
		return Message{}, err
	}
	text += "\n"
	html, err := executeHTML(e.html, v)
	if err != nil {
		return Message{}, err
	}
	return Message{
		To:      []string{to},
		From:    r.from,
		Subject: subject,
		Text:    text,
		HTML:    html,
		Headers: map[string]string{"Auto-Submitted": autoSubmitted},
	}, nil
}

func (r *Renderer) link(path, token string) string {
	u := r.base.JoinPath(path)
	u.RawQuery = url.Values{"token": {token}}.Encode()
	return u.String()
}

func executeText(t *texttemplate.Template, name string, v view) (string, error) {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, v); err != nil {
		return "", fmt.Errorf("mail: render %s %s: %w", t.Name(), name, err)
	}
	return strings.TrimSpace(b.String()), nil
}

func executeHTML(t *htmltemplate.Template, v view) (string, error) {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "html", v); err != nil {
		return "", fmt.Errorf("mail: render %s html: %w", t.Name(), err)
	}
	return strings.TrimSpace(b.String()) + "\n", nil
}

// clean makes s safe to show as one short line: control and invisible
// formatting characters (which could break lines or reorder text, as
// U+202E does) become spaces, runs of space collapse, and anything past
// limit runes is cut and marked with an ellipsis.
func clean(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:limit-1])) + "…"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

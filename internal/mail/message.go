package mail

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

// Message is one email before it is turned into bytes. From and To accept
// anything net/mail.ParseAddress accepts, e.g. "Lectern <no-reply@example.com>".
type Message struct {
	To      []string
	From    string
	Subject string
	// Text is the plain-text body. At least one of Text and HTML must be set.
	Text string
	// HTML is the HTML body.
	HTML string
	// Headers are extra header fields such as List-Unsubscribe or
	// Auto-Submitted. A "Message-ID" entry is used when Bytes gets no
	// messageID. Fields Bytes writes itself (Date, From, To, Subject,
	// MIME-Version, Content-Type, Content-Transfer-Encoding) and Cc and Bcc
	// are refused.
	Headers map[string]string
}

// NewMessageID returns a fresh Message-ID in angle brackets, with at least
// 128 random bits on the left of the @ and domain on the right. It cannot fail;
// crypto/rand aborts the program if the system's randomness is broken.
// Generate it once per logical email and keep it with the job, so retries
// reuse it and receivers can spot duplicates.
func NewMessageID(domain string) string {
	return "<" + rand.Text() + "@" + domain + ">"
}

// Envelope returns the bare addresses an SMTP transaction needs: the address
// of From and of every To entry, without display names. It returns an error
// wrapping ErrInvalid when an address does not parse or contains a line break.
func (m Message) Envelope() (from string, to []string, err error) {
	f, err := parseAddress("From", m.From)
	if err != nil {
		return "", nil, err
	}
	rcpts, err := parseRecipients(m.To)
	if err != nil {
		return "", nil, err
	}
	to = make([]string, len(rcpts))
	for i, a := range rcpts {
		to[i] = a.Address
	}
	return f.Address, to, nil
}

// Bytes returns m as an RFC 5322 message with CRLF line endings and
// quoted-printable bodies: multipart/alternative when both Text and HTML are
// set, otherwise a single text/plain or text/html part in UTF-8. now becomes
// the Date header. messageID, with or without angle brackets, becomes the
// Message-ID; when it is empty, Headers["Message-ID"] is used instead.
//
// It returns an error wrapping ErrInvalid, and no bytes, when an address does
// not parse, any header name or value contains CR or LF (header injection), a
// header would be written twice, there is no Message-ID or no body, or now is
// the zero time.
func (m Message) Bytes(now time.Time, messageID string) ([]byte, error) {
	head, err := m.header(now, messageID)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := writeHeader(&buf, head); err != nil {
		return nil, err
	}
	if err := m.writeBody(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// field is one header line before folding. Order is kept, so the output is
// stable and reads top-down like hand-written mail.
type field struct {
	name  string
	value string
}

func (m Message) header(now time.Time, messageID string) ([]field, error) {
	if now.IsZero() {
		return nil, invalidf("no Date")
	}
	from, err := parseAddress("From", m.From)
	if err != nil {
		return nil, err
	}
	to, err := parseRecipients(m.To)
	if err != nil {
		return nil, err
	}
	if err := checkLine("Subject", m.Subject); err != nil {
		return nil, err
	}
	extra, headerID, err := extraFields(m.Headers)
	if err != nil {
		return nil, err
	}
	id, err := chooseMessageID(messageID, headerID)
	if err != nil {
		return nil, err
	}
	head := []field{
		{"Date", now.Format(time.RFC1123Z)},
		{"From", formatAddress(from)},
		{"To", joinAddresses(to)},
		{"Subject", encodeText(m.Subject)},
		{"Message-ID", id},
	}
	head = append(head, extra...)
	return append(head, field{"MIME-Version", "1.0"}), nil
}

func parseAddress(name, value string) (*netmail.Address, error) {
	if err := checkLine(name, value); err != nil {
		return nil, err
	}
	a, err := netmail.ParseAddress(value)
	if err != nil {
		return nil, invalidf("%s address %q: %w", name, value, err)
	}
	return a, nil
}

func parseRecipients(to []string) ([]*netmail.Address, error) {
	if len(to) == 0 {
		return nil, invalidf("no To address")
	}
	out := make([]*netmail.Address, len(to))
	for i, v := range to {
		a, err := parseAddress("To", v)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

func joinAddresses(as []*netmail.Address) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = formatAddress(a)
	}
	return strings.Join(parts, ", ")
}

// formatAddress leaves quoting of the local part and RFC 2047 encoding of
// the display name to net/mail, but drops the angle brackets around an
// address without a name, which some clients show literally.
func formatAddress(a *netmail.Address) string {
	if a.Name == "" {
		return trimAngles(a.String())
	}
	return a.String()
}

// ownField reports the fields Bytes writes itself, plus Cc and Bcc, which
// would add recipients the envelope knows nothing about. Accepting them from
// Headers would produce duplicates that receivers resolve unpredictably.
func ownField(canonical string) bool {
	switch canonical {
	case "Date", "From", "To", "Cc", "Bcc", "Subject", "Mime-Version",
		"Content-Type", "Content-Transfer-Encoding":
		return true
	}
	return false
}

// extraFields validates m.Headers and returns them sorted by name, plus the
// Message-ID entry, which is handled separately.
func extraFields(h map[string]string) (fields []field, messageID string, err error) {
	for _, name := range slices.Sorted(maps.Keys(h)) {
		value := h[name]
		if err := checkFieldName(name); err != nil {
			return nil, "", err
		}
		if err := checkLine(name, value); err != nil {
			return nil, "", err
		}
		canonical := textproto.CanonicalMIMEHeaderKey(name)
		if canonical == "Message-Id" {
			messageID = value
			continue
		}
		if ownField(canonical) {
			return nil, "", invalidf("header %q is set by Bytes", name)
		}
		fields = append(fields, field{name, encodeText(value)})
	}
	return fields, messageID, nil
}

// checkFieldName enforces RFC 5322's field-name: printable ASCII except colon.
func checkFieldName(name string) error {
	if name == "" {
		return invalidf("empty header name")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < '!' || c > '~' || c == ':' {
			return invalidf("header name %q has a forbidden character", name)
		}
	}
	return nil
}

// checkLine refuses line breaks, which would let a value start a new header
// or the body, and other control bytes, which no header value needs.
func checkLine(name, value string) error {
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c == '\r' || c == '\n' {
			return invalidf("%s contains a line break", name)
		}
		if (c < ' ' && c != '\t') || c == 0x7f {
			return invalidf("%s contains a control character", name)
		}
	}
	return nil
}

func chooseMessageID(arg, fromHeaders string) (string, error) {
	id := arg
	switch {
	case arg == "" && fromHeaders == "":
		return "", invalidf("no Message-ID")
	case arg == "":
		id = fromHeaders
	case fromHeaders != "" && trimAngles(fromHeaders) != trimAngles(arg):
		return "", invalidf("two different Message-IDs")
	}
	return normalizeMessageID(id)
}

// normalizeMessageID accepts "id@host" or "<id@host>" and returns the
// bracketed form RFC 5322 requires.
func normalizeMessageID(id string) (string, error) {
	bare := trimAngles(strings.TrimSpace(id))
	left, right, ok := strings.Cut(bare, "@")
	if !ok || left == "" || right == "" {
		return "", invalidf("Message-ID %q is not of the form id@domain", id)
	}
	for i := 0; i < len(bare); i++ {
		if c := bare[i]; c <= ' ' || c > '~' || c == '<' || c == '>' {
			return "", invalidf("Message-ID %q has a forbidden character", id)
		}
	}
	return "<" + bare + ">", nil
}

func trimAngles(s string) string {
	return strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
}

func (m Message) writeBody(w io.Writer) error {
	switch {
	case m.Text != "" && m.HTML != "":
		return writeAlternative(w, m.Text, m.HTML)
	case m.Text != "":
		return writeSinglePart(w, "text/plain", m.Text)
	case m.HTML != "":
		return writeSinglePart(w, "text/html", m.HTML)
	}
	return invalidf("no body")
}

func writeSinglePart(w io.Writer, mediaType, body string) error {
	head := []field{
		{"Content-Type", mediaType + "; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	}
	if err := writeHeader(w, head); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\r\n"); err != nil {
		return fmt.Errorf("mail: write body: %w", err)
	}
	return writeQuotedPrintable(w, body)
}

func writeAlternative(w io.Writer, text, html string) error {
	var parts bytes.Buffer
	mw := multipart.NewWriter(&parts)
	if err := writePart(mw, "text/plain", text); err != nil {
		return err
	}
	if err := writePart(mw, "text/html", html); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return fmt.Errorf("mail: close multipart: %w", err)
	}
	head := []field{{"Content-Type", "multipart/alternative; boundary=" + mw.Boundary()}}
	if err := writeHeader(w, head); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "\r\n%s", parts.Bytes()); err != nil {
		return fmt.Errorf("mail: write body: %w", err)
	}
	return nil
}

func writePart(mw *multipart.Writer, mediaType, body string) error {
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {mediaType + "; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return fmt.Errorf("mail: create %s part: %w", mediaType, err)
	}
	return writeQuotedPrintable(pw, body)
}

// writeQuotedPrintable encodes body, turning any LF or CRLF line ending into
// CRLF, and ends it with CRLF so the closing boundary or DATA terminator
// starts on its own line.
func writeQuotedPrintable(w io.Writer, body string) error {
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, body); err != nil {
		return fmt.Errorf("mail: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("mail: encode body: %w", err)
	}
	return nil
}

package mail_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
)

// parsedMessage is a message read back the way a mail client would.
type parsedMessage struct {
	header netmail.Header
	// mediaType is the top-level Content-Type without parameters.
	mediaType string
	// parts maps each part's media type to its decoded body; a single-part
	// message has one entry.
	parts map[string]string
}

// parseMessage reads raw with net/mail and mime/multipart and decodes the
// quoted-printable bodies, failing the test on anything malformed.
func parseMessage(t *testing.T, raw []byte) parsedMessage {
	t.Helper()
	assertCRLF(t, raw)
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	p := parsedMessage{header: m.Header, mediaType: mediaType, parts: map[string]string{}}
	if !strings.HasPrefix(mediaType, "multipart/") {
		p.parts[mediaType] = decodePart(t, mediaType, params, m.Header.Get("Content-Transfer-Encoding"), m.Body)
		return p
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			return p
		}
		if err != nil {
			t.Fatalf("NextRawPart: %v", err)
		}
		pt, pparams, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("part Content-Type: %v", err)
		}
		p.parts[pt] = decodePart(t, pt, pparams, part.Header.Get("Content-Transfer-Encoding"), part)
	}
}

func decodePart(t *testing.T, mediaType string, params map[string]string, encoding string, r io.Reader) string {
	t.Helper()
	if params["charset"] != "utf-8" {
		t.Errorf("%s charset = %q, want utf-8", mediaType, params["charset"])
	}
	if encoding != "quoted-printable" {
		t.Errorf("%s Content-Transfer-Encoding = %q, want quoted-printable", mediaType, encoding)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(r))
	if err != nil {
		t.Fatalf("decode %s: %v", mediaType, err)
	}
	return string(body)
}

// assertCRLF checks that every line ends in CRLF and none is longer than
// RFC 5322's 998-byte limit.
func assertCRLF(t *testing.T, raw []byte) {
	t.Helper()
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		t.Errorf("message does not end with CRLF")
	}
	for i, line := range bytes.Split(raw, []byte("\n")) {
		if i < bytes.Count(raw, []byte("\n")) && !bytes.HasSuffix(line, []byte("\r")) {
			t.Errorf("line %d ends in a bare LF: %q", i+1, line)
		}
		if bytes.IndexByte(bytes.TrimSuffix(line, []byte("\r")), '\r') >= 0 {
			t.Errorf("line %d holds a bare CR: %q", i+1, line)
		}
		if len(line) > 999 {
			t.Errorf("line %d is %d bytes long", i+1, len(line))
		}
	}
}

// crlf turns LF line endings into CRLF, as the encoder does.
func crlf(s string) string {
	return strings.ReplaceAll(s, "\n", "\r\n")
}

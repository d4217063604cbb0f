package auth_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"lectern/internal/mail/mailtest"
)

// email is a received message, decoded.
type email struct {
	To        []string
	Subject   string
	MessageID string
	Text      string
	HTML      string
	Raw       []byte
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+\?token=[A-Za-z0-9_%-]+`)

// link returns the one link in the text part whose path ends in path.
func (e email) link(t *testing.T, path string) string {
	t.Helper()
	var found []string
	for _, l := range linkPattern.FindAllString(e.Text, -1) {
		if u, err := url.Parse(l); err == nil && strings.HasSuffix(u.Path, "/"+path) {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		t.Fatalf("email %q: %d links to /%s, want 1:\n%s", e.Subject, len(found), path, e.Text)
	}
	return found[0]
}

// token returns the token of the message's /path link, checking that the
// link points into the public base URL.
func (e email) token(t *testing.T, base, path string) string {
	t.Helper()
	l := e.link(t, path)
	if !strings.HasPrefix(l, strings.TrimRight(base, "/")+"/"+path+"?token=") {
		t.Errorf("link %q does not point at %s/%s", l, base, path)
	}
	u, err := url.Parse(l)
	if err != nil {
		t.Fatal(err)
	}
	tok := u.Query().Get("token")
	if tok == "" {
		t.Fatalf("link %q carries no token", l)
	}
	return tok
}

func parseEmail(t *testing.T, m mailtest.Received) email {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject: %v", err)
	}
	e := email{To: m.To, Subject: subject, MessageID: msg.Header.Get("Message-ID"), Raw: m.Data}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type: %v", err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatal(err)
		}
		e.setPart(mt, string(body))
		return e
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		// NextPart undoes the quoted-printable transfer encoding itself.
		p, err := mr.NextPart()
		if err == io.EOF {
			return e
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		e.setPart(pt, string(body))
	}
}

func (e *email) setPart(mediaType, body string) {
	switch mediaType {
	case "text/plain":
		e.Text = body
	case "text/html":
		e.HTML = body
	}
}

func sentTo(m mailtest.Received, addr string) bool {
	return slices.ContainsFunc(m.To, func(to string) bool { return strings.EqualFold(to, addr) })
}

// waitMail waits for a message to addr whose subject contains subject that
// no earlier wait returned, and returns it.
func (h *harness) waitMail(t *testing.T, addr, subject string) email {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for {
		msgs := h.smtp.Messages()
		for i, m := range msgs {
			if !sentTo(m, addr) || h.isClaimed(i) {
				continue
			}
			if e := parseEmail(t, m); strings.Contains(e.Subject, subject) {
				h.claim(i)
				return e
			}
		}
		if time.Now().After(deadline) {
			var got []string
			for _, m := range msgs {
				got = append(got, fmt.Sprintf("%v %q", m.To, parseEmail(t, m).Subject))
			}
			t.Fatalf("no message %q to %s within %v; received: %v", subject, addr, mailWait, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) isClaimed(i int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.claimed[i]
}

func (h *harness) claim(i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.claimed[i] = true
}

// Subjects of the account emails (internal/mail/templates).
const (
	subjectVerify  = "Confirm your email address"
	subjectReset   = "Reset your Lectern password"
	subjectExists  = "You already have a Lectern account"
	subjectChanged = "The email address on your Lectern account was changed"
)

// verificationToken waits for the verification email to addr and returns
// its token.
func (h *harness) verificationToken(t *testing.T, addr string) string {
	t.Helper()
	return h.waitMail(t, addr, subjectVerify).token(t, h.baseURL, "verify-email")
}

// resetToken waits for the password-reset email to addr and returns its
// token.
func (h *harness) resetToken(t *testing.T, addr string) string {
	t.Helper()
	return h.waitMail(t, addr, subjectReset).token(t, h.baseURL, "reset-password")
}

// mailTo returns every message delivered to addr so far.
func (h *harness) mailTo(t *testing.T, addr string) []email {
	t.Helper()
	var out []email
	for _, m := range h.smtp.Messages() {
		if sentTo(m, addr) {
			out = append(out, parseEmail(t, m))
		}
	}
	return out
}

// drainJobs waits until the queue holds no job still to run, so that a
// message that was going to be sent has been sent: checking that nothing
// arrived is meaningful only after that.
func (h *harness) drainJobs(t *testing.T) {
	t.Helper()
	const pending = `SELECT state, count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded') GROUP BY state`
	deadline := time.Now().Add(mailWait)
	for {
		rows, err := h.db.SQL.QueryContext(context.Background(), pending)
		if err != nil {
			t.Fatalf("read job states: %v", err)
		}
		var left []string
		for rows.Next() {
			var state string
			var n int
			if err := rows.Scan(&state, &n); err != nil {
				t.Fatal(err)
			}
			left = append(left, fmt.Sprintf("%s=%d", state, n))
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs still pending after %v: %v", mailWait, left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

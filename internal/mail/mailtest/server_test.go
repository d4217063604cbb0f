package mailtest_test

import (
	"crypto/tls"
	"errors"
	"net/smtp"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"lectern/internal/mail/mailtest"
)

func dial(t *testing.T, srv *mailtest.Server) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c *smtp.Client, from string, to []string, body string) {
	t.Helper()
	if err := c.Mail(from); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			t.Fatalf("RCPT: %v", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := w.Write([]byte(body)); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("end DATA: %v", err)
	}
}

func code(err error) int {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return tp.Code
	}
	return 0
}

func TestDataIsDotUnstuffedAndKeepsCRLF(t *testing.T) {
	srv := mailtest.Start(t)
	c := dial(t, srv)
	body := "Subject: dots\r\n\r\n.one dot\r\n..two dots\r\n.\r\nlast\r\n"
	send(t, c, "a@example.com", []string{"b@example.com", "c@example.com"}, body)
	got := srv.WaitFor(t, 1, time.Second)
	want := mailtest.Received{From: "a@example.com", To: []string{"b@example.com", "c@example.com"}, Data: []byte(body)}
	if got[0].From != want.From || !slices.Equal(got[0].To, want.To) || string(got[0].Data) != body {
		t.Errorf("received %+v\nwant %+v", got[0], want)
	}
}

func TestSessionCommands(t *testing.T) {
	srv := mailtest.Start(t)
	c := dial(t, srv)
	if err := c.Hello("client.example"); err != nil {
		t.Fatalf("EHLO: %v", err)
	}
	if err := c.Noop(); err != nil {
		t.Errorf("NOOP: %v", err)
	}
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	if err := c.Mail("again@example.com"); code(err) != 503 {
		t.Errorf("second MAIL = %v, want 503", err)
	}
	if err := c.Reset(); err != nil {
		t.Errorf("RSET: %v", err)
	}
	if err := c.Rcpt("b@example.com"); code(err) != 503 {
		t.Errorf("RCPT after RSET = %v, want 503", err)
	}
	if _, err := c.Data(); code(err) != 503 {
		t.Errorf("DATA without RCPT = %v, want 503", err)
	}
	if err := command(c, "VRFY x"); code(err) != 500 {
		t.Errorf("VRFY = %v, want 500", err)
	}
	send(t, c, "", []string{"b@example.com"}, "Subject: null sender\r\n\r\nbody\r\n")
	if err := c.Quit(); err != nil {
		t.Errorf("QUIT: %v", err)
	}
	if got := srv.Messages(); len(got) != 1 || got[0].From != "" {
		t.Errorf("messages = %+v", got)
	}
	want := []string{"EHLO", "NOOP", "MAIL", "MAIL", "RSET", "RCPT", "DATA", "VRFY", "MAIL", "RCPT", "DATA", "QUIT"}
	if got := srv.Commands(); !slices.Equal(got, want) {
		t.Errorf("commands = %q, want %q", got, want)
	}
}

func TestHELOFallback(t *testing.T) {
	srv := mailtest.Start(t)
	c := dial(t, srv)
	if err := command(c, "HELO old.example"); err != nil {
		t.Errorf("HELO: %v", err)
	}
	if err := command(c, "HELO"); code(err) != 501 {
		t.Errorf("HELO without a name = %v, want 501", err)
	}
}

// command sends a line net/smtp has no method for and reads a 250 reply.
func command(c *smtp.Client, line string) error {
	id, err := c.Text.Cmd("%s", line)
	if err != nil {
		return err
	}
	c.Text.StartResponse(id)
	defer c.Text.EndResponse(id)
	_, _, err = c.Text.ReadResponse(250)
	return err
}

func TestAuth(t *testing.T) {
	for _, tc := range []struct {
		name     string
		user     string
		password string
		wantCode int
	}{
		{"Correct", "u", "p4ss", 0},
		{"WrongPassword", "u", "nope", 535},
		{"WrongUser", "x", "p4ss", 535},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.WithAuth("u", "p4ss"))
			c := dial(t, srv)
			if err := c.Mail("a@example.com"); code(err) != 530 {
				t.Fatalf("MAIL before AUTH = %v, want 530", err)
			}
			if err := c.StartTLS(&tls.Config{ServerName: "127.0.0.1", RootCAs: srv.RootCAs()}); err != nil {
				t.Fatalf("STARTTLS: %v", err)
			}
			err := c.Auth(smtp.PlainAuth("", tc.user, tc.password, "127.0.0.1"))
			if code(err) != tc.wantCode || (tc.wantCode == 0 && err != nil) {
				t.Fatalf("AUTH = %v, want code %d", err, tc.wantCode)
			}
			if tc.wantCode == 0 {
				send(t, c, "a@example.com", []string{"b@example.com"}, "Subject: x\r\n\r\ny\r\n")
				srv.WaitFor(t, 1, time.Second)
			}
		})
	}
}

func TestSTARTTLSOffer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []mailtest.Option
		offer bool
	}{
		{"Default", nil, true},
		{"Off", []mailtest.Option{mailtest.WithSTARTTLS(false)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, mailtest.Start(t, tc.opts...))
			if ok, _ := c.Extension("STARTTLS"); ok != tc.offer {
				t.Errorf("STARTTLS offered = %v, want %v", ok, tc.offer)
			}
		})
	}
}

func TestImplicitTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.WithImplicitTLS())
	conn, err := tls.Dial("tcp", srv.Addr(), &tls.Config{ServerName: "localhost", RootCAs: srv.RootCAs()})
	if err != nil {
		t.Fatalf("tls.Dial: %v", err)
	}
	c, err := smtp.NewClient(conn, "localhost")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered on an implicit TLS connection")
	}
	send(t, c, "a@example.com", []string{"b@example.com"}, "Subject: x\r\n\r\ny\r\n")
	srv.WaitFor(t, 1, time.Second)
}

func TestRejectNextRcpt(t *testing.T) {
	srv := mailtest.Start(t, mailtest.WithRejectNextRcpt(452))
	c := dial(t, srv)
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@example.com"); code(err) != 452 {
		t.Errorf("first RCPT = %v, want 452", err)
	}
	if err := c.Rcpt("b@example.com"); err != nil {
		t.Errorf("second RCPT = %v, want success", err)
	}
	srv.RejectNextRcpt(551)
	if err := c.Rcpt("c@example.com"); code(err) != 551 {
		t.Errorf("third RCPT = %v, want 551", err)
	}
}

func TestURL(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   []mailtest.Option
		scheme string
		user   string
	}{
		{"NoAuth", nil, "smtp", ""},
		{"Auth", []mailtest.Option{mailtest.WithAuth("u", "p@ss word")}, "smtps", "u"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, tc.opts...)
			u, err := url.Parse(srv.URL(tc.scheme))
			if err != nil {
				t.Fatalf("URL does not parse: %v", err)
			}
			if u.Scheme != tc.scheme || u.Host != srv.Addr() || u.Query().Get("insecure_skip_verify") != "true" {
				t.Errorf("URL = %s", u)
			}
			if !strings.HasPrefix(srv.Addr(), "127.0.0.1:") {
				t.Errorf("Addr = %s, want 127.0.0.1", srv.Addr())
			}
			if got := u.User.Username(); got != tc.user {
				t.Errorf("user = %q, want %q", got, tc.user)
			}
			if p, _ := u.User.Password(); tc.user != "" && p != "p@ss word" {
				t.Errorf("password = %q", p)
			}
		})
	}
}

func TestMessagesAreCopies(t *testing.T) {
	srv := mailtest.Start(t)
	send(t, dial(t, srv), "a@example.com", []string{"b@example.com"}, "Subject: x\r\n\r\ny\r\n")
	got := srv.WaitFor(t, 1, time.Second)
	got[0].Data[0] = 'X'
	got[0].To[0] = "changed"
	if again := srv.Messages(); again[0].Data[0] != 'S' || again[0].To[0] != "b@example.com" {
		t.Errorf("Messages shares memory with the server: %+v", again[0])
	}
}

// recorder is a testing.TB that records a failure instead of ending the
// test, so WaitFor's timeout path can be checked.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}

func TestWaitForTimesOut(t *testing.T) {
	srv := mailtest.Start(t)
	rec := &recorder{TB: t}
	start := time.Now()
	if got := srv.WaitFor(rec, 1, 50*time.Millisecond); got != nil || !rec.failed {
		t.Errorf("WaitFor = %v, failed = %v; want nil and a failure", got, rec.failed)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("WaitFor took %v", elapsed)
	}
}

func TestWaitForWakesOnArrival(t *testing.T) {
	srv := mailtest.Start(t)
	go func() {
		time.Sleep(20 * time.Millisecond)
		c, err := smtp.Dial(srv.Addr())
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.Mail("a@example.com")
		_ = c.Rcpt("b@example.com")
		if w, err := c.Data(); err == nil {
			_, _ = w.Write([]byte("Subject: x\r\n\r\ny\r\n"))
			_ = w.Close()
		}
	}()
	if got := srv.WaitFor(t, 1, 5*time.Second); len(got) != 1 {
		t.Errorf("WaitFor returned %d messages", len(got))
	}
}

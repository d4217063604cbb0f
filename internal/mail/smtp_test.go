package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"lectern/internal/mail"
	"lectern/internal/mail/mailtest"
)

const (
	smtpUser     = "lectern"
	smtpPassword = "s3cr3t-Pa55/word"
	remoteHost   = "mail.example.test"
	waitTimeout  = 5 * time.Second
)

var envelopeTo = []string{"ann@example.com"}

// redirect dials srv whatever address the sender asks for, so a
// non-loopback host name can be tested without leaving the machine.
func redirect(srv *mailtest.Server) mail.SMTPOption {
	return mail.WithDialer(func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Addr())
	})
}

func newSender(t *testing.T, rawURL string, opts ...mail.SMTPOption) *mail.SMTPSender {
	t.Helper()
	s, err := mail.NewSMTPSender(rawURL, opts...)
	if err != nil {
		t.Fatalf("NewSMTPSender: %v", err)
	}
	return s
}

func remoteURL(scheme string) string {
	return fmt.Sprintf("%s://%s:%s@%s", scheme, smtpUser, "s3cr3t-Pa55%2Fword", remoteHost)
}

func TestSMTPSenderDelivers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		server     []mailtest.Option
		scheme     string
		url        func(*mailtest.Server) string
		opts       func(*mailtest.Server) []mail.SMTPOption
		wantVerbs  []string
		wantNoVerb string
	}{
		{
			name:      "STARTTLSWithAuth",
			server:    []mailtest.Option{mailtest.WithAuth(smtpUser, smtpPassword)},
			url:       func(s *mailtest.Server) string { return s.URL("smtp") },
			wantVerbs: []string{"EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"},
		},
		{
			name:      "ImplicitTLSWithAuth",
			server:    []mailtest.Option{mailtest.WithAuth(smtpUser, smtpPassword), mailtest.WithImplicitTLS()},
			url:       func(s *mailtest.Server) string { return s.URL("smtps") },
			wantVerbs: []string{"EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"},
		},
		{
			name:      "STARTTLSWithoutAuth",
			url:       func(s *mailtest.Server) string { return s.URL("smtp") },
			wantVerbs: []string{"EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"},
		},
		{
			name:      "PlaintextAuthToLoopback",
			server:    []mailtest.Option{mailtest.WithAuth(smtpUser, smtpPassword), mailtest.WithSTARTTLS(false)},
			url:       func(s *mailtest.Server) string { return s.URL("smtp") },
			wantVerbs: []string{"EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"},
		},
		{
			name:   "VerifiedSTARTTLSUnderRemoteName",
			server: []mailtest.Option{mailtest.WithAuth(smtpUser, smtpPassword), mailtest.WithCertHosts(remoteHost)},
			url:    func(*mailtest.Server) string { return remoteURL("smtp") },
			opts: func(s *mailtest.Server) []mail.SMTPOption {
				return []mail.SMTPOption{redirect(s), mail.WithRootCAs(s.RootCAs()), mail.WithHELO("app.lectern.example")}
			},
			wantVerbs: []string{"EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"},
		},
		{
			name: "VerifiedImplicitTLSUnderRemoteName",
			server: []mailtest.Option{
				mailtest.WithAuth(smtpUser, smtpPassword), mailtest.WithImplicitTLS(), mailtest.WithCertHosts(remoteHost),
			},
			url: func(*mailtest.Server) string { return remoteURL("smtps") },
			opts: func(s *mailtest.Server) []mail.SMTPOption {
				return []mail.SMTPOption{redirect(s), mail.WithRootCAs(s.RootCAs())}
			},
			wantVerbs: []string{"EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, tc.server...)
			var opts []mail.SMTPOption
			if tc.opts != nil {
				opts = tc.opts(srv)
			}
			s := newSender(t, tc.url(srv), opts...)
			raw := rawMessage(t, "deliver@lectern.example")
			raw = append(raw, ".leading dot must survive\r\n"...)
			if err := s.Send(context.Background(), raw, "no-reply@lectern.example", []string{"ann@example.com", "bob@example.com"}); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.WaitFor(t, 1, waitTimeout)[0]
			if got.From != "no-reply@lectern.example" || !slices.Equal(got.To, []string{"ann@example.com", "bob@example.com"}) {
				t.Errorf("envelope = %q -> %q", got.From, got.To)
			}
			if !bytes.Equal(got.Data, raw) {
				t.Errorf("server received\n%q\nwant\n%q", got.Data, raw)
			}
			if verbs := slices.Compact(srv.Commands()); !slices.Equal(verbs, tc.wantVerbs) {
				t.Errorf("commands = %q, want %q", verbs, tc.wantVerbs)
			}
		})
	}
}

func TestSMTPSenderRefusesCredentialsWithoutTLS(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server []mailtest.Option
		opts   func(*mailtest.Server) []mail.SMTPOption
		want   error
	}{
		{
			name:   "NoSTARTTLSOffered",
			server: []mailtest.Option{mailtest.WithAuth(smtpUser, smtpPassword), mailtest.WithSTARTTLS(false)},
			opts:   func(s *mailtest.Server) []mail.SMTPOption { return []mail.SMTPOption{redirect(s)} },
			want:   mail.ErrInsecureAuth,
		},
		{
			name:   "UntrustedCertificate",
			server: []mailtest.Option{mailtest.WithAuth(smtpUser, smtpPassword), mailtest.WithCertHosts(remoteHost)},
			opts:   func(s *mailtest.Server) []mail.SMTPOption { return []mail.SMTPOption{redirect(s)} },
		},
		{
			name:   "CertificateForAnotherName",
			server: []mailtest.Option{mailtest.WithAuth(smtpUser, smtpPassword)},
			opts: func(s *mailtest.Server) []mail.SMTPOption {
				return []mail.SMTPOption{redirect(s), mail.WithRootCAs(s.RootCAs())}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, tc.server...)
			s := newSender(t, remoteURL("smtp"), tc.opts(srv)...)
			err := s.Send(context.Background(), rawMessage(t, "x@lectern.example"), "", envelopeTo)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Send = %v, want %v", err, tc.want)
			}
			if mail.IsPermanent(err) {
				t.Errorf("IsPermanent(%v) = true; a fixable setup problem should be retried", err)
			}
			if slices.Contains(srv.Commands(), "AUTH") {
				t.Errorf("credentials were sent: commands %q", srv.Commands())
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server accepted %d messages", n)
			}
		})
	}
}

func TestNewSMTPSender(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want string
	}{
		{"smtp://mail.example.com", "smtp://mail.example.com:587"},
		{"SMTP://mail.example.com:25", "smtp://mail.example.com:25"},
		{"smtps://mail.example.com", "smtps://mail.example.com:465"},
		{"smtp://u:" + "s3cr3t-Pa55%2Fword" + "@mail.example.com:2525", "smtp://u:xxxxx@mail.example.com:2525"},
		{"smtps://u%40x:pw@[2001:db8::1]/", "smtps://u%40x:xxxxx@[2001:db8::1]:465"},
		{"smtp://u:pw@127.0.0.1:2525?insecure_skip_verify=true", "smtp://u:xxxxx@127.0.0.1:2525?insecure_skip_verify=true"},
		{"smtp://localhost?insecure_skip_verify=true", "smtp://localhost:587?insecure_skip_verify=true"},
		{"smtp://[::1]:25?insecure_skip_verify=1", "smtp://[::1]:25?insecure_skip_verify=true"},
		{"smtp://mail.example.com?insecure_skip_verify=false", "smtp://mail.example.com:587"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			s := newSender(t, tc.url)
			if got := s.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewSMTPSenderRejects(t *testing.T) {
	const pw = "s3cr3t-Pa55"
	for _, tc := range []struct {
		name string
		url  string
		opts []mail.SMTPOption
	}{
		{"Unparsable", "smtp://u:" + pw + "@host:port:x", nil},
		{"BadEscape", "smtp://u:" + pw + "%zz@host", nil},
		{"SpaceInPassword", "smtp://u:" + pw + " x@host", nil},
		{"SlashInPassword", "smtp://u:" + pw + "/x@host", nil},
		{"HashInPassword", "smtp://u:" + pw + "#x@host", nil},
		{"QuestionMarkInPassword", "smtp://u:" + pw + "?x@host", nil},
		{"UnknownScheme", "http://u:" + pw + "@host", nil},
		{"Opaque", "smtp:u:" + pw + "@host", nil},
		{"NoHost", "smtp://u:" + pw + "@", nil},
		{"PortOutOfRange", "smtp://u:" + pw + "@host:70000", nil},
		{"PasswordWithoutUser", "smtp://:" + pw + "@host", nil},
		{"UserWithoutPassword", "smtp://u@host", nil},
		{"UnknownParameter", "smtp://u:" + pw + "@host?tls=off", nil},
		{"BadSkipVerifyValue", "smtp://u:" + pw + "@127.0.0.1?insecure_skip_verify=maybe", nil},
		{"SkipVerifyRemote", "smtp://u:" + pw + "@mail.example.com?insecure_skip_verify=true", nil},
		{"SkipVerifyLoopbackLookalike", "smtp://u:" + pw + "@localhost.example.com?insecure_skip_verify=true", nil},
		{"EmptyHELO", "smtp://u:" + pw + "@host", []mail.SMTPOption{mail.WithHELO("")}},
		{"HELOInjection", "smtp://u:" + pw + "@host", []mail.SMTPOption{mail.WithHELO("x\r\nMAIL FROM:<a@b>")}},
		{"ZeroTimeout", "smtp://u:" + pw + "@host", []mail.SMTPOption{mail.WithTimeout(0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := mail.NewSMTPSender(tc.url, tc.opts...)
			if err == nil {
				t.Fatalf("NewSMTPSender succeeded: %v", s)
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestSMTPSenderNeverShowsPassword(t *testing.T) {
	srv := mailtest.Start(t, mailtest.WithAuth(smtpUser, "the-right-one"))
	s := newSender(t, strings.Replace(srv.URL("smtp"), "the-right-one", "s3cr3t-Pa55", 1))
	err := s.Send(context.Background(), rawMessage(t, "x@lectern.example"), "", envelopeTo)
	if se, ok := errors.AsType[*mail.SMTPError](err); !ok || se.Code != 535 || !mail.IsPermanent(err) {
		t.Errorf("Send with a wrong password = %v, want a permanent 535", err)
	}
	for _, shown := range []string{
		err.Error(), s.String(), s.GoString(),
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), fmt.Sprintf("%#v", *s),
	} {
		if strings.Contains(shown, "s3cr3t") {
			t.Errorf("password shown in %q", shown)
		}
	}
}

func TestIsPermanent(t *testing.T) {
	for _, tc := range []struct {
		name      string
		reject    int
		permanent bool
	}{
		{"MailboxUnavailable550", 550, true},
		{"PolicyRefusal554", 554, true},
		{"TryLater451", 451, false},
		{"Greylisted450", 450, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.WithRejectNextRcpt(tc.reject))
			s := newSender(t, srv.URL("smtp"))
			raw := rawMessage(t, "x@lectern.example")
			err := s.Send(context.Background(), raw, "", envelopeTo)
			se, ok := errors.AsType[*mail.SMTPError](err)
			if !ok || se.Code != tc.reject {
				t.Fatalf("Send = %v, want SMTPError %d", err, tc.reject)
			}
			if got := mail.IsPermanent(err); got != tc.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tc.permanent)
			}
			if err := s.Send(context.Background(), raw, "", envelopeTo); err != nil {
				t.Errorf("second Send: %v", err)
			}
			if n := len(srv.WaitFor(t, 1, waitTimeout)); n != 1 {
				t.Errorf("server holds %d messages, want 1", n)
			}
		})
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"Nil", nil, false},
		{"Plain", errors.New("boom"), false},
		{"Timeout", context.DeadlineExceeded, false},
		{"Wrapped5xx", fmt.Errorf("job: %w", &mail.SMTPError{Code: 552}), true},
		{"Wrapped4xx", fmt.Errorf("job: %w", &mail.SMTPError{Code: 421}), false},
		{"Invalid", fmt.Errorf("job: %w", mail.ErrInvalid), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mail.IsPermanent(tc.err); got != tc.want {
				t.Errorf("IsPermanent(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// silentServer accepts connections and never says anything, like a server
// that has hung or a firewall that swallows packets.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
			close(done)
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func TestSMTPSenderStopsWaiting(t *testing.T) {
	addr := silentServer(t)
	for _, tc := range []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		opts    []mail.SMTPOption
		wantErr error
	}{
		{
			name: "Cancelled",
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			},
			wantErr: context.Canceled,
		},
		{
			name: "ContextDeadline",
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			},
			wantErr: context.DeadlineExceeded,
		},
		{
			name: "AlreadyCancelled",
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			},
			wantErr: context.Canceled,
		},
		{
			name:    "OwnTimeout",
			ctx:     func() (context.Context, context.CancelFunc) { return context.Background(), func() {} },
			opts:    []mail.SMTPOption{mail.WithTimeout(50 * time.Millisecond)},
			wantErr: os.ErrDeadlineExceeded,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSender(t, "smtp://"+addr, tc.opts...)
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			err := s.Send(ctx, rawMessage(t, "x@lectern.example"), "", envelopeTo)
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("Send took %v", elapsed)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Send = %v, want %v", err, tc.wantErr)
			}
			if mail.IsPermanent(err) {
				t.Errorf("IsPermanent(%v) = true", err)
			}
		})
	}
}

func TestSMTPSenderServerGone(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, srv.URL("smtp"))
	srv.Close()
	err := s.Send(context.Background(), rawMessage(t, "x@lectern.example"), "", envelopeTo)
	if err == nil || mail.IsPermanent(err) {
		t.Errorf("Send to a closed server = %v, want a transient error", err)
	}
}

func TestSMTPSenderRefusesBadEnvelope(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, srv.URL("smtp"))
	raw := rawMessage(t, "x@lectern.example")
	for _, tc := range []struct {
		name string
		msg  []byte
		from string
		to   []string
	}{
		{"NoRecipients", raw, "", nil},
		{"CommandInRecipient", raw, "", []string{"a@example.com>\r\nRCPT TO:<b@example.com"}},
		{"CommandInSender", raw, "a@example.com\r\nRSET", envelopeTo},
		{"NotAnAddress", raw, "", []string{"nobody"}},
		{"EmptyMessage", nil, "", envelopeTo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Send(context.Background(), tc.msg, tc.from, tc.to)
			if !errors.Is(err, mail.ErrInvalid) || !mail.IsPermanent(err) {
				t.Errorf("Send = %v, want permanent ErrInvalid", err)
			}
		})
	}
	if cmds := srv.Commands(); len(cmds) != 0 {
		t.Errorf("server saw commands %q for invalid input", cmds)
	}
}

func TestSMTPSenderNeedsAllRecipients(t *testing.T) {
	srv := mailtest.Start(t)
	s := newSender(t, srv.URL("smtp"))
	srv.RejectNextRcpt(550)
	err := s.Send(context.Background(), rawMessage(t, "x@lectern.example"), "", []string{"gone@example.com", "ann@example.com"})
	if !mail.IsPermanent(err) {
		t.Errorf("Send = %v, want permanent", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server accepted %d messages", n)
	}
}

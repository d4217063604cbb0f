package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultSMTPTimeout bounds each step of an SMTP delivery (dial, each
// command, the message upload) unless WithTimeout says otherwise.
const DefaultSMTPTimeout = 30 * time.Second

// ErrInsecureAuth is wrapped when SMTPSender refuses to authenticate because
// the connection to a non-loopback host is not encrypted. That happens when
// an smtp:// server does not offer STARTTLS, which may also mean someone on
// the path removed the offer.
var ErrInsecureAuth = errors.New("refusing to send credentials without TLS")

// DialFunc opens the TCP connection to addr ("host:port").
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// SMTPOption adjusts an SMTPSender built by NewSMTPSender.
type SMTPOption func(*smtpOptions)

type smtpOptions struct {
	helo    string
	timeout time.Duration
	dial    DialFunc
	rootCAs *x509.CertPool
}

// WithHELO sets the name sent in EHLO/HELO; the default is "localhost".
// Some servers score mail by it, so production should use the host's
// public name.
func WithHELO(name string) SMTPOption {
	return func(o *smtpOptions) { o.helo = name }
}

// WithTimeout bounds each step of a delivery; the default is
// DefaultSMTPTimeout. A sooner ctx deadline still wins.
func WithTimeout(d time.Duration) SMTPOption {
	return func(o *smtpOptions) { o.timeout = d }
}

// WithDialer replaces the TCP dialer, e.g. to route through a proxy or, in
// tests, to reach a local server under a remote host name.
func WithDialer(dial DialFunc) SMTPOption {
	return func(o *smtpOptions) { o.dial = dial }
}

// WithRootCAs sets the certificate authorities trusted for the server's
// certificate instead of the system pool.
func WithRootCAs(pool *x509.CertPool) SMTPOption {
	return func(o *smtpOptions) { o.rootCAs = pool }
}

// SMTPSender delivers messages to one SMTP server, opening a connection per
// message. It is safe for concurrent use. Its String and GoString methods
// hide the password, and no error it returns contains it.
type SMTPSender struct {
	target smtpTarget
	opts   smtpOptions
}

// NewSMTPSender returns a sender for rawURL:
//
//	smtp://user:password@host:587    STARTTLS whenever the server offers it
//	smtps://user:password@host:465   TLS from the first byte
//
// The port defaults to 587 or 465 and the credentials are optional. Over
// smtp://, credentials are sent only after STARTTLS unless the host is
// loopback. "?insecure_skip_verify=true" turns off certificate checks and is
// accepted only for loopback hosts, for tests.
//
// It returns an error, never quoting the password, when the URL does not
// parse or breaks these rules, or when an option is invalid.
func NewSMTPSender(rawURL string, opts ...SMTPOption) (*SMTPSender, error) {
	target, err := parseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	o := smtpOptions{helo: "localhost", timeout: DefaultSMTPTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &SMTPSender{target: target, opts: o}, nil
}

func (o *smtpOptions) validate() error {
	if o.helo == "" || strings.ContainsAny(o.helo, " \t\r\n") {
		return fmt.Errorf("mail: HELO name %q: want a single word", o.helo)
	}
	if o.timeout <= 0 {
		return fmt.Errorf("mail: SMTP timeout %v: want a positive duration", o.timeout)
	}
	if o.dial == nil {
		o.dial = (&net.Dialer{Timeout: o.timeout}).DialContext
	}
	return nil
}

// String returns the URL with the password replaced by "xxxxx".
func (s *SMTPSender) String() string {
	return s.target.redacted()
}

// GoString keeps %#v, which would otherwise print every field, from showing
// the password.
func (s *SMTPSender) GoString() string {
	return fmt.Sprintf("mail.SMTPSender(%q)", s.String())
}

// Send delivers msg in one SMTP transaction. Every recipient must be
// accepted; if the server refuses any, nothing is sent.
//
// It returns nil once the server has accepted the message, even if the
// closing QUIT fails, so a retry does not duplicate it. Failures are
// returned as errors that never include the password: ErrInvalid for a bad
// envelope, *SMTPError for a refusing reply, ErrInsecureAuth, ctx's error
// when ctx ends first, and otherwise the network or TLS error, all wrapped
// with the step that failed. See IsPermanent.
func (s *SMTPSender) Send(ctx context.Context, msg []byte, from string, to []string) error {
	if err := checkEnvelope(from, to); err != nil {
		return err
	}
	if len(msg) == 0 {
		return invalidf("empty message")
	}
	conn, err := s.opts.dial(ctx, "tcp", s.target.addr())
	if err != nil {
		return s.fail(ctx, "dial", err)
	}
	defer conn.Close()
	d := watchDeadlines(ctx, conn, s.opts.timeout)
	defer d.stop()
	c, err := s.open(ctx, conn, d)
	if err != nil {
		return err
	}
	defer c.Close()
	return s.transfer(ctx, c, d, msg, from, to)
}

// open returns a client that has greeted the server, secured the
// connection when it can and authenticated when configured.
func (s *SMTPSender) open(ctx context.Context, conn net.Conn, d *deadlines) (*smtp.Client, error) {
	if s.target.implicitTLS {
		d.arm()
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, s.fail(ctx, "tls handshake", err)
		}
		conn = tc
	}
	d.arm()
	c, err := smtp.NewClient(conn, s.target.host)
	if err != nil {
		return nil, s.fail(ctx, "greeting", err)
	}
	if err := s.secure(ctx, c, d); err != nil {
		c.Close()
		return nil, err
	}
	if err := s.authenticate(ctx, c, d); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (s *SMTPSender) secure(ctx context.Context, c *smtp.Client, d *deadlines) error {
	d.arm()
	if err := c.Hello(s.opts.helo); err != nil {
		return s.fail(ctx, "hello", err)
	}
	if s.target.implicitTLS {
		return nil
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return nil
	}
	d.arm()
	if err := c.StartTLS(s.tlsConfig()); err != nil {
		return s.fail(ctx, "starttls", err)
	}
	return nil
}

func (s *SMTPSender) authenticate(ctx context.Context, c *smtp.Client, d *deadlines) error {
	if !s.target.hasCredentials() {
		return nil
	}
	if _, encrypted := c.TLSConnectionState(); !encrypted && !isLoopback(s.target.host) {
		return fmt.Errorf("mail: smtp auth: %w: %s offered no STARTTLS", ErrInsecureAuth, s.target.host)
	}
	ok, mechanisms := c.Extension("AUTH")
	if !ok || !slices.Contains(strings.Fields(strings.ToUpper(mechanisms)), "PLAIN") {
		return fmt.Errorf("mail: smtp auth: %s does not offer AUTH PLAIN", s.target.host)
	}
	d.arm()
	if err := c.Auth(plainAuth{username: s.target.username, password: s.target.password.reveal()}); err != nil {
		return s.fail(ctx, "auth", err)
	}
	return nil
}

func (s *SMTPSender) transfer(ctx context.Context, c *smtp.Client, d *deadlines, msg []byte, from string, to []string) error {
	d.arm()
	if err := c.Mail(from); err != nil {
		return s.fail(ctx, "mail from", err)
	}
	for _, rcpt := range to {
		d.arm()
		if err := c.Rcpt(rcpt); err != nil {
			return s.fail(ctx, "rcpt to", err)
		}
	}
	d.arm()
	w, err := c.Data()
	if err != nil {
		return s.fail(ctx, "data", err)
	}
	if _, err := w.Write(msg); err != nil {
		return s.fail(ctx, "data", err)
	}
	if err := w.Close(); err != nil {
		return s.fail(ctx, "data", err)
	}
	d.arm()
	_ = c.Quit() // The message is already accepted; see Send.
	return nil
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	return &tls.Config{
		ServerName: s.target.host,
		RootCAs:    s.opts.rootCAs,
		MinVersion: tls.VersionTLS12,
		// parseSMTPURL allows skipping only for loopback hosts (tests).
		InsecureSkipVerify: s.target.skipVerify,
	}
}

// fail wraps err with the step that failed. Once ctx has ended, its error
// replaces whatever I/O error the forced deadline produced, so callers can
// test for context.Canceled. Server replies become *SMTPError.
func (s *SMTPSender) fail(ctx context.Context, step string, err error) error {
	if ctxErr := contextError(ctx, err); ctxErr != nil {
		return fmt.Errorf("mail: smtp %s: %w", step, ctxErr)
	}
	if tp, ok := errors.AsType[*textproto.Error](err); ok {
		err = &SMTPError{Code: tp.Code, Message: s.redact(tp.Msg)}
	} else if text := err.Error(); s.redact(text) != text {
		err = errors.New(s.redact(text))
	}
	return fmt.Errorf("mail: smtp %s: %w", step, err)
}

// contextError returns ctx's error if ctx caused err. The connection
// deadline is set to ctx's deadline and may fire a moment before ctx
// itself reports DeadlineExceeded, so a timeout at or past that deadline
// counts too.
func contextError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	limit, ok := ctx.Deadline()
	if ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(limit) {
		return context.DeadlineExceeded
	}
	return nil
}

// redact removes the password, raw and in the base64 AUTH PLAIN form, from
// text the server chose: a misbehaving server may echo what it received.
func (s *SMTPSender) redact(text string) string {
	password := s.target.password.reveal()
	if password == "" {
		return text
	}
	blob := base64.StdEncoding.EncodeToString(plainAuth{s.target.username, password}.initial())
	text = strings.ReplaceAll(text, blob, redactedPassword)
	return strings.ReplaceAll(text, password, redactedPassword)
}

// plainAuth is AUTH PLAIN (RFC 4616) without net/smtp's own TLS check,
// which trusts only three spellings of localhost; SMTPSender.authenticate
// applies the policy instead.
type plainAuth struct {
	username string
	password string
}

func (a plainAuth) initial() []byte {
	return []byte("\x00" + a.username + "\x00" + a.password)
}

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", a.initial(), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge after AUTH PLAIN")
	}
	return nil, nil
}

// deadlines gives each SMTP step its own time limit while letting ctx
// cut any step short. The mutex orders arm against the cancel callback, so
// a step starting just as ctx ends cannot push the deadline back out.
type deadlines struct {
	mu      sync.Mutex
	ctx     context.Context
	conn    net.Conn
	timeout time.Duration
	release func() bool
}

func watchDeadlines(ctx context.Context, conn net.Conn, timeout time.Duration) *deadlines {
	d := &deadlines{ctx: ctx, conn: conn, timeout: timeout}
	d.release = context.AfterFunc(ctx, d.expire)
	return d
}

// arm sets the deadline for the next step: timeout from now, or ctx's
// deadline if sooner, or already past if ctx has ended.
func (d *deadlines) arm() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ctx.Err() != nil {
		_ = d.conn.SetDeadline(time.Unix(1, 0))
		return
	}
	limit := time.Now().Add(d.timeout)
	if ctxLimit, ok := d.ctx.Deadline(); ok && ctxLimit.Before(limit) {
		limit = ctxLimit
	}
	_ = d.conn.SetDeadline(limit)
}

// expire unblocks any read or write in progress.
func (d *deadlines) expire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	_ = d.conn.SetDeadline(time.Unix(1, 0))
}

func (d *deadlines) stop() {
	d.release()
}

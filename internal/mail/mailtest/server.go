// Package mailtest runs a small SMTP server inside a test process, so code
// using net/smtp (and lectern/internal/mail's SMTPSender) can be tested
// end to end without a real mail server.
//
// It speaks EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP
// and QUIT, keeps every accepted message in memory, and can be told to
// refuse a recipient with a chosen reply code. It checks nothing about the
// messages themselves; tests do that.
package mailtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Received is one message the server accepted.
type Received struct {
	// From is the MAIL FROM address, without angle brackets.
	From string
	// To holds the accepted RCPT TO addresses, in order.
	To []string
	// Data is the message exactly as sent after DATA, dot-unstuffed, with
	// its CRLF line endings.
	Data []byte
}

// Option configures a Server at Start.
type Option func(*config)

type config struct {
	username    string
	password    string
	requireAuth bool
	startTLS    bool
	implicitTLS bool
	certHosts   []string
	rejectRcpt  int
}

// WithAuth makes the server advertise AUTH PLAIN, accept only this user
// name and password, and refuse MAIL FROM (530) until authenticated.
func WithAuth(username, password string) Option {
	return func(c *config) {
		c.username, c.password, c.requireAuth = username, password, true
	}
}

// WithSTARTTLS sets whether EHLO offers STARTTLS; the default is true.
func WithSTARTTLS(offer bool) Option {
	return func(c *config) { c.startTLS = offer }
}

// WithImplicitTLS makes the server speak TLS from the first byte, as on
// port 465 (smtps). STARTTLS is then not offered.
func WithImplicitTLS() Option {
	return func(c *config) { c.implicitTLS = true }
}

// WithCertHosts adds DNS names to the certificate, which always covers
// localhost, 127.0.0.1 and ::1. Use it with RootCAs to test verified TLS
// under a remote-looking host name.
func WithCertHosts(hosts ...string) Option {
	return func(c *config) { c.certHosts = append(c.certHosts, hosts...) }
}

// WithRejectNextRcpt makes the first RCPT TO fail with code (400 to 599);
// later ones succeed. See also Server.RejectNextRcpt.
func WithRejectNextRcpt(code int) Option {
	return func(c *config) { c.rejectRcpt = code }
}

// Server is a running test SMTP server on 127.0.0.1.
type Server struct {
	cfg      config
	ln       net.Listener
	tls      *tls.Config
	rootCAs  *x509.CertPool
	wg       sync.WaitGroup
	closeMu  sync.Once
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	closed   bool
	messages []Received
	commands []string
	arrived  chan struct{}
	reject   int
}

// Start starts a server on 127.0.0.1 on a free port and stops it when the
// test ends. It fails the test if the server cannot start or an option is
// invalid.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := config{startTLS: true}
	for _, opt := range opts {
		opt(&cfg)
	}
	s, err := start(cfg)
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func start(cfg config) (*Server, error) {
	if cfg.rejectRcpt != 0 && !validRejectCode(cfg.rejectRcpt) {
		return nil, fmt.Errorf("reject code %d: want 400 to 599", cfg.rejectRcpt)
	}
	cert, pool, err := selfSigned(cfg.certHosts)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		tls:     &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		rootCAs: pool,
		conns:   map[net.Conn]struct{}{},
		arrived: make(chan struct{}),
		reject:  cfg.rejectRcpt,
	}
	if s.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

func validRejectCode(code int) bool {
	return code >= 400 && code <= 599
}

// Addr returns the listening address, "127.0.0.1:port".
func (s *Server) Addr() string {
	return s.ln.Addr().String()
}

// URL returns an SMTP URL for this server with scheme ("smtp" or "smtps"),
// the WithAuth credentials if any, and insecure_skip_verify=true because
// the certificate is self-signed, e.g.
// "smtp://user:pass@127.0.0.1:2525?insecure_skip_verify=true".
func (s *Server) URL(scheme string) string {
	u := url.URL{Scheme: scheme, Host: s.Addr(), RawQuery: "insecure_skip_verify=true"}
	if s.cfg.requireAuth {
		u.User = url.UserPassword(s.cfg.username, s.cfg.password)
	}
	return u.String()
}

// RootCAs returns a pool trusting the server's certificate.
func (s *Server) RootCAs() *x509.CertPool {
	return s.rootCAs
}

// Messages returns a copy of the messages accepted so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, len(s.messages))
	for i, m := range s.messages {
		out[i] = Received{From: m.From, To: slices.Clone(m.To), Data: slices.Clone(m.Data)}
	}
	return out
}

// Commands returns the command verbs received so far (EHLO, AUTH, MAIL...),
// in order and without arguments, so tests can check what a client did
// without credentials showing up in test output.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// WaitFor waits until at least n messages have arrived and returns them
// all. It fails the test if that takes longer than timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		count, arrived := len(s.messages), s.arrived
		s.mu.Unlock()
		if count >= n {
			return s.Messages()
		}
		select {
		case <-arrived:
		case <-deadline.C:
			t.Fatalf("mailtest: %d of %d messages arrived within %v", count, n, timeout)
			return nil
		}
	}
}

// RejectNextRcpt makes the next RCPT TO fail with code (400 to 599). It
// panics on another code, which is a mistake in the test.
func (s *Server) RejectNextRcpt(code int) {
	if !validRejectCode(code) {
		panic("mailtest: reject code " + strconv.Itoa(code) + " outside 400 to 599")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = code
}

// Close stops the server, cutting off open connections, and waits for its
// goroutines. Start arranges for it to run when the test ends; calling it
// earlier lets a test see what clients do when the server is gone.
func (s *Server) Close() {
	s.closeMu.Do(func() {
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.ln.Close()
		s.wg.Wait()
	})
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond) // Don't spin on, say, EMFILE.
			continue
		}
		if !s.track(conn) {
			conn.Close()
			return
		}
		s.wg.Add(1)
		go s.handle(conn)
	}
}

// track registers conn so Close can cut it off; it reports false once the
// server is closing.
func (s *Server) track(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[conn] = struct{}{}
	return true
}

func (s *Server) handle(conn net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		conn.Close()
	}()
	var c net.Conn = conn
	if s.cfg.implicitTLS {
		tc := tls.Server(conn, s.tls)
		if err := tc.Handshake(); err != nil {
			return
		}
		c = tc
	}
	newSession(s, c).run()
}

func (s *Server) recordCommand(verb string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands = append(s.commands, verb)
}

func (s *Server) deliver(m Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// takeReject returns the pending rejection code, if any, and clears it.
func (s *Server) takeReject() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := s.reject
	s.reject = 0
	return code
}

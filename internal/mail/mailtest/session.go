package mailtest

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Limits that keep a broken client from tying up a test: RFC 5321 allows
// 512-byte command lines and 1000-byte text lines, so 4 KiB leaves room.
const (
	maxLineBytes    = 4096
	maxMessageBytes = 10 << 20
	idleTimeout     = 30 * time.Second
)

// errQuit ends a session normally.
var errQuit = errors.New("quit")

// session is one client connection. Its state follows RFC 5321: a
// greeting (EHLO/HELO) first, then per transaction MAIL, RCPT..., DATA.
type session struct {
	srv      *Server
	conn     net.Conn
	r        *bufio.Reader
	w        *bufio.Writer
	tls      bool
	greeted  bool
	authed   bool
	mailFrom string
	hasFrom  bool
	rcpts    []string
}

func newSession(srv *Server, conn net.Conn) *session {
	_, isTLS := conn.(*tls.Conn)
	s := &session{srv: srv, tls: isTLS}
	s.attach(conn)
	return s
}

func (s *session) attach(conn net.Conn) {
	s.conn = conn
	s.r = bufio.NewReaderSize(conn, maxLineBytes)
	s.w = bufio.NewWriter(conn)
}

func (s *session) run() {
	if s.reply(220, "mailtest ESMTP ready") != nil {
		return
	}
	for {
		line, err := s.readLine()
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				_ = s.reply(500, "5.5.2 line too long")
			}
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		s.srv.recordCommand(verb)
		if err := s.dispatch(verb, strings.TrimSpace(arg)); err != nil {
			return
		}
	}
}

func (s *session) dispatch(verb, arg string) error {
	switch verb {
	case "EHLO":
		return s.ehlo(arg)
	case "HELO":
		return s.helo(arg)
	case "STARTTLS":
		return s.startTLS()
	case "AUTH":
		return s.auth(arg)
	case "MAIL":
		return s.mail(arg)
	case "RCPT":
		return s.rcpt(arg)
	case "DATA":
		return s.data()
	case "RSET":
		s.resetTransaction()
		return s.reply(250, "2.0.0 OK")
	case "NOOP":
		return s.reply(250, "2.0.0 OK")
	case "QUIT":
		_ = s.reply(221, "2.0.0 bye")
		return errQuit
	}
	return s.reply(500, "5.5.1 command not recognized")
}

func (s *session) ehlo(name string) error {
	if name == "" {
		return s.reply(501, "5.5.4 EHLO needs a name")
	}
	s.greeted = true
	s.resetTransaction()
	lines := []string{"mailtest greets " + name, "8BITMIME"}
	if s.srv.cfg.startTLS && !s.srv.cfg.implicitTLS && !s.tls {
		lines = append(lines, "STARTTLS")
	}
	// AUTH is advertised even without TLS, as some real servers do, so
	// that it is the client that must decide not to use it.
	if s.srv.cfg.requireAuth {
		lines = append(lines, "AUTH PLAIN")
	}
	return s.reply(250, lines...)
}

func (s *session) helo(name string) error {
	if name == "" {
		return s.reply(501, "5.5.4 HELO needs a name")
	}
	s.greeted = true
	s.resetTransaction()
	return s.reply(250, "mailtest greets "+name)
}

func (s *session) startTLS() error {
	if !s.srv.cfg.startTLS || s.srv.cfg.implicitTLS || s.tls {
		return s.reply(502, "5.5.1 STARTTLS not available")
	}
	if s.r.Buffered() > 0 {
		// Anything sent before the handshake could be injected by a
		// man in the middle (CVE-2011-0411), so real servers refuse it.
		_ = s.reply(554, "5.5.0 data after STARTTLS")
		return errQuit
	}
	if err := s.reply(220, "2.0.0 go ahead"); err != nil {
		return err
	}
	tc := tls.Server(s.conn, s.srv.tls)
	if err := tc.Handshake(); err != nil {
		return err
	}
	s.attach(tc)
	s.tls, s.greeted, s.authed = true, false, false
	s.resetTransaction()
	return nil
}

func (s *session) auth(arg string) error {
	switch {
	case !s.srv.cfg.requireAuth:
		return s.reply(502, "5.5.1 AUTH not available")
	case !s.greeted:
		return s.reply(503, "5.5.1 EHLO first")
	case s.authed:
		return s.reply(503, "5.5.1 already authenticated")
	}
	mech, initial, _ := strings.Cut(arg, " ")
	if !strings.EqualFold(mech, "PLAIN") {
		return s.reply(504, "5.5.4 only PLAIN is supported")
	}
	if initial == "" {
		if err := s.reply(334, ""); err != nil {
			return err
		}
		line, err := s.readLine()
		if err != nil {
			return err
		}
		initial = line
	}
	if initial == "*" {
		return s.reply(501, "5.0.0 authentication cancelled")
	}
	if !s.checkPlain(initial) {
		return s.reply(535, "5.7.8 authentication credentials invalid")
	}
	s.authed = true
	return s.reply(235, "2.7.0 authentication succeeded")
}

// checkPlain decodes an RFC 4616 response: authzid NUL authcid NUL passwd.
func (s *session) checkPlain(encoded string) bool {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return false
	}
	parts := bytes.Split(raw, []byte{0})
	if len(parts) != 3 {
		return false
	}
	cfg := s.srv.cfg
	userOK := subtle.ConstantTimeCompare(parts[1], []byte(cfg.username)) == 1
	passOK := subtle.ConstantTimeCompare(parts[2], []byte(cfg.password)) == 1
	return userOK && passOK
}

func (s *session) mail(arg string) error {
	switch {
	case !s.greeted:
		return s.reply(503, "5.5.1 EHLO first")
	case s.hasFrom:
		return s.reply(503, "5.5.1 nested MAIL command")
	case s.srv.cfg.requireAuth && !s.authed:
		return s.reply(530, "5.7.0 authentication required")
	}
	addr, ok := pathArg(arg, "FROM:")
	if !ok {
		return s.reply(501, "5.5.4 syntax: MAIL FROM:<address>")
	}
	s.mailFrom, s.hasFrom = addr, true
	return s.reply(250, "2.1.0 sender OK")
}

func (s *session) rcpt(arg string) error {
	if !s.hasFrom {
		return s.reply(503, "5.5.1 MAIL first")
	}
	addr, ok := pathArg(arg, "TO:")
	if !ok || addr == "" {
		return s.reply(501, "5.5.4 syntax: RCPT TO:<address>")
	}
	if code := s.srv.takeReject(); code != 0 {
		return s.reply(code, rejectText(code))
	}
	s.rcpts = append(s.rcpts, addr)
	return s.reply(250, "2.1.5 recipient OK")
}

func rejectText(code int) string {
	if code >= 500 {
		return "5.1.1 mailbox unavailable (mailtest rejection)"
	}
	return "4.3.0 try again later (mailtest rejection)"
}

// pathArg extracts the address from "FROM:<addr> [params]" or
// "TO:<addr> [params]"; parameters such as BODY=8BITMIME are ignored.
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	addr, _, ok := strings.Cut(rest[1:], ">")
	return addr, ok
}

func (s *session) data() error {
	if len(s.rcpts) == 0 {
		return s.reply(503, "5.5.1 RCPT first")
	}
	if err := s.reply(354, "end data with <CR><LF>.<CR><LF>"); err != nil {
		return err
	}
	body, err := s.readData()
	if errors.Is(err, errTooBig) {
		s.resetTransaction()
		return s.reply(552, "5.3.4 message too big")
	}
	if err != nil {
		return err
	}
	s.srv.deliver(Received{From: s.mailFrom, To: s.rcpts, Data: body})
	s.resetTransaction()
	return s.reply(250, "2.0.0 queued")
}

var errTooBig = errors.New("message too big")

// readData reads up to the lone "." line, undoing dot-stuffing and keeping
// line endings as sent. Past maxMessageBytes it keeps reading, so the
// connection stays in step, but returns errTooBig.
func (s *session) readData() ([]byte, error) {
	var body bytes.Buffer
	tooBig := false
	for {
		line, err := s.readRawLine()
		if err != nil {
			return nil, err
		}
		if string(line) == ".\r\n" || string(line) == ".\n" {
			break
		}
		line = bytes.TrimPrefix(line, []byte("."))
		if tooBig || body.Len()+len(line) > maxMessageBytes {
			tooBig = true
			body.Reset()
			continue
		}
		body.Write(line)
	}
	if tooBig {
		return nil, errTooBig
	}
	return body.Bytes(), nil
}

func (s *session) resetTransaction() {
	s.mailFrom, s.hasFrom, s.rcpts = "", false, nil
}

// readLine returns one command line without its line ending.
func (s *session) readLine() (string, error) {
	line, err := s.readRawLine()
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

func (s *session) readRawLine() ([]byte, error) {
	if err := s.conn.SetReadDeadline(time.Now().Add(idleTimeout)); err != nil {
		return nil, err
	}
	line, err := s.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return bytes.Clone(line), nil
}

// reply writes a possibly multi-line reply: "250-first", ..., "250 last".
func (s *session) reply(code int, lines ...string) error {
	if len(lines) == 0 {
		lines = []string{""}
	}
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		if _, err := fmt.Fprintf(s.w, "%d%s%s\r\n", code, sep, l); err != nil {
			return err
		}
	}
	return s.w.Flush()
}

package mail

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Default ports: 587 is message submission with STARTTLS (RFC 6409), 465
// submission over implicit TLS (RFC 8314).
const (
	defaultSubmissionPort  = "587"
	defaultImplicitTLSPort = "465"
)

// redactedPassword matches what net/url's Redacted writes, like the rest of
// Lectern, so hidden passwords look the same in every log.
const redactedPassword = "xxxxx"

// smtpTarget is what an SMTP URL says. Errors built while parsing name only
// the scheme, the host and query keys, because a URL that parses oddly (an
// unescaped "/" or "#" in the password) can put the password anywhere else.
type smtpTarget struct {
	implicitTLS bool
	host        string
	port        string
	username    string
	password    secret
	skipVerify  bool
}

// secret holds a password inside a closure, where fmt's %#v and other
// reflection-based dumps of the struct around it cannot reach.
type secret func() string

func newSecret(s string) secret {
	return func() string { return s }
}

func (s secret) reveal() string {
	if s == nil {
		return ""
	}
	return s()
}

func parseSMTPURL(raw string) (smtpTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, password included.
		return smtpTarget{}, errors.New("mail: SMTP URL does not parse (value withheld, it may hold a password)")
	}
	t, err := targetFromURL(u)
	if err != nil {
		return smtpTarget{}, fmt.Errorf("mail: SMTP URL: %w", err)
	}
	return t, nil
}

func targetFromURL(u *url.URL) (smtpTarget, error) {
	var t smtpTarget
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		t.port = defaultSubmissionPort
	case "smtps":
		t.implicitTLS, t.port = true, defaultImplicitTLSPort
	default:
		return t, fmt.Errorf("scheme %q: want smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" || u.RawFragment != "" {
		return t, errors.New("want scheme://[user:password@]host[:port][?insecure_skip_verify=true], with / # ? in the password percent-encoded")
	}
	if err := t.setHostPort(u); err != nil {
		return t, err
	}
	if err := t.setCredentials(u.User); err != nil {
		return t, err
	}
	return t, t.setQuery(u.RawQuery)
}

func (t *smtpTarget) setHostPort(u *url.URL) error {
	t.host = u.Hostname()
	if t.host == "" {
		return errors.New("no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return errors.New("port out of range")
		}
		t.port = p
	}
	return nil
}

func (t *smtpTarget) setCredentials(user *url.Userinfo) error {
	if user == nil {
		return nil
	}
	password, ok := user.Password()
	t.username = user.Username()
	switch {
	case t.username == "" && password == "":
		return nil
	case t.username == "":
		return errors.New("password without a user name")
	case !ok || password == "":
		return errors.New("user name without a password")
	}
	t.password = newSecret(password)
	return nil
}

func (t *smtpTarget) setQuery(raw string) error {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return errors.New("query does not parse")
	}
	for key, values := range q {
		if key != "insecure_skip_verify" {
			return fmt.Errorf("unknown parameter %q (only insecure_skip_verify is known)", key)
		}
		v, err := strconv.ParseBool(values[len(values)-1])
		if err != nil || len(values) != 1 {
			return errors.New("insecure_skip_verify wants one true or false")
		}
		t.skipVerify = v
	}
	if t.skipVerify && !isLoopback(t.host) {
		return fmt.Errorf("insecure_skip_verify is allowed only for loopback hosts, not %q", t.host)
	}
	return nil
}

func (t smtpTarget) hasCredentials() bool {
	return t.username != ""
}

func (t smtpTarget) addr() string {
	return net.JoinHostPort(t.host, t.port)
}

// redacted rebuilds the URL with the password replaced.
func (t smtpTarget) redacted() string {
	u := url.URL{Scheme: "smtp", Host: t.addr()}
	if t.implicitTLS {
		u.Scheme = "smtps"
	}
	if t.hasCredentials() {
		u.User = url.UserPassword(t.username, redactedPassword)
	}
	if t.skipVerify {
		u.RawQuery = "insecure_skip_verify=true"
	}
	return u.String()
}

// isLoopback trusts the name "localhost" the way net/smtp does; an address
// that only resolves to loopback is not trusted, since resolution can change.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package config

import (
	"errors"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// mailSubdir is where development mail lands inside DataDir when no SMTP
// server is configured.
const mailSubdir = "mail"

// MailDir returns DataDir/mail, where account emails are written as .eml
// files when SMTPURL is empty. It cannot fail; whether the directory exists
// is for the mail sender to find out.
func (c Config) MailDir() string {
	return filepath.Join(c.DataDir, mailSubdir)
}

// mailFrom defaults to an address on the site's own domain so that, out of
// the box, replies and bounces at least name the right site.
func (l *loader) mailFrom(publicBaseURL string) string {
	v := l.lookup(VarMailFrom)
	if v == "" {
		return "Lectern <no-reply@" + mailDomain(publicBaseURL) + ">"
	}
	if _, err := mail.ParseAddress(v); err != nil {
		l.reject(VarMailFrom, "%q is not one email address (e.g. Lectern <no-reply@example.com>)", v)
	}
	return v
}

// mailDomain uses "localhost" for IP addresses and unusable URLs because an
// address literal such as no-reply@127.0.0.1 is refused by most mail
// software.
func mailDomain(publicBaseURL string) string {
	u, err := parseWebURL(publicBaseURL)
	if err != nil {
		return "localhost"
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return "localhost"
	}
	return host
}

// smtpURL requires a mail server outside dev because the .eml fallback
// would silently swallow every account email there.
func (l *loader) smtpURL(env Env) string {
	v := l.lookup(VarSMTPURL)
	if v == "" {
		if env != EnvDev {
			l.reject(VarSMTPURL, "is required in %s (e.g. smtp://user:password@mail.example.com:587)", env)
		}
		return ""
	}
	if err := checkSMTPURL(v); err != nil {
		l.reject(VarSMTPURL, "%q %v", quotableURL(v), err)
	}
	return v
}

// checkSMTPURL accepts what the mail package's SMTP sender accepts, so a
// mistake surfaces at start rather than with the first email. Its messages
// never quote the URL's parts: an unescaped character in the password can
// move part of the password into any of them.
func checkSMTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("is not a valid URL (percent-encode special characters in the user name and password)")
	}
	switch strings.ToLower(u.Scheme) {
	case "smtp", "smtps":
	default:
		return errors.New("has an unsupported scheme (want smtp:// or smtps://)")
	}
	switch {
	case u.Opaque != "" || (u.Path != "" && u.Path != "/") || strings.Contains(raw, "#"):
		return errors.New("is not scheme://[user:password@]host[:port] (percent-encode / ? # in the password)")
	case u.Hostname() == "":
		return errors.New("has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return errors.New("has an invalid port (want 1-65535)")
		}
	}
	if err := checkSMTPUser(u.User); err != nil {
		return err
	}
	return checkSMTPQuery(u)
}

func checkSMTPUser(user *url.Userinfo) error {
	if user == nil {
		return nil
	}
	password, _ := user.Password()
	switch {
	case user.Username() == "" && password != "":
		return errors.New("has a password without a user name")
	case user.Username() != "" && password == "":
		return errors.New("has a user name without a password")
	}
	return nil
}

// checkSMTPQuery allows certificate checks to be skipped only for a
// loopback server (a local test relay), never across a network.
func checkSMTPQuery(u *url.URL) error {
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return errors.New("has a query that does not parse")
	}
	for key, values := range q {
		if key != "insecure_skip_verify" {
			return errors.New("has an unknown query parameter (only insecure_skip_verify is known)")
		}
		skip, err := strconv.ParseBool(values[len(values)-1])
		if err != nil || len(values) != 1 {
			return errors.New("wants one true or false for insecure_skip_verify")
		}
		if skip && !isLoopbackHost(u.Hostname()) {
			return errors.New("may set insecure_skip_verify only for a loopback host")
		}
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

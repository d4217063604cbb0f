package config

import (
	"errors"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// PublicOrigin returns the origin of PublicBaseURL as scheme://host[:port] in
// lower case, without the scheme's default port, which is exactly how browsers
// write the Origin header. It returns "" when PublicBaseURL is not an absolute
// http or https URL (possible only for a Config not produced by Load).
func (c Config) PublicOrigin() string {
	u, err := parseWebURL(c.PublicBaseURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// publicBaseURL insists on https outside dev because session cookies there
// carry the __Host- prefix and Secure flag, which browsers only keep over
// https, and because links in emails must not invite credentials in clear.
func (l *loader) publicBaseURL(env Env, httpAddr string) string {
	v := l.lookup(VarPublicBaseURL)
	if v == "" {
		if env != EnvDev {
			l.reject(VarPublicBaseURL, "is required in %s (e.g. https://courses.example.com)", env)
			return ""
		}
		return devBaseURL(httpAddr)
	}
	return l.webURL(VarPublicBaseURL, v, env)
}

// webURL checks a base URL setting (PUBLIC_BASE_URL, API_BASE_URL,
// ASSETS_PUBLIC_BASE_URL): absolute http(s) without user info, query or
// fragment, and https outside dev, whose pages are served over https and
// may not load or send anything over plain http. It returns the URL
// normalised by parseWebURL, without a trailing slash.
func (l *loader) webURL(name, v string, env Env) string {
	u, err := parseWebURL(v)
	if err != nil {
		l.reject(name, "%q %v", quotableURL(v), err)
		return v
	}
	if env != EnvDev && u.Scheme != "https" {
		l.reject(name, "%q must use https in %s", v, env)
	}
	return u.String()
}

// devBaseURL points at the listener itself. A wildcard listen host is not
// something a browser can open, so it becomes the loopback address; an
// invalid HTTP_ADDR has its own problem and falls back to the default.
func devBaseURL(httpAddr string) string {
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		host, port, _ = net.SplitHostPort(DefaultHTTPAddr)
	}
	if a, err := netip.ParseAddr(host); host == "" || (err == nil && a.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// parseWebURL checks an absolute http(s) URL and normalises it the way
// browsers do (lower-case scheme and host, no default port, no trailing
// slash), so origins compare as plain strings.
func parseWebURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("is not a valid URL")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.Host == "":
		return nil, errors.New("is not an absolute http:// or https:// URL")
	case u.User != nil:
		return nil, errors.New("has user info")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, errors.New("has a query")
	case strings.Contains(raw, "#"):
		return nil, errors.New("has a fragment")
	}
	host, err := webHost(u)
	if err != nil {
		return nil, err
	}
	u.Host = host
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// webHost refuses non-ASCII host names because browsers send them in
// punycode, so a Unicode name would never match an Origin header.
func webHost(u *url.URL) (string, error) {
	name := strings.ToLower(u.Hostname())
	if name == "" {
		return "", errors.New("has no host")
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return "", errors.New("has a non-ASCII host (write it in its xn-- form)")
		}
	}
	port := u.Port()
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", errors.New("has an invalid port (want 1-65535)")
		}
	}
	if port == "" || (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		if strings.Contains(name, ":") {
			return "[" + name + "]", nil
		}
		return name, nil
	}
	return net.JoinHostPort(name, port), nil
}

// corsOrigins reports every bad entry rather than only the first, like the
// rest of Load, and drops duplicates so the list reads cleanly in logs.
func (l *loader) corsOrigins() []string {
	var out []string
	for _, item := range splitList(l.lookup(VarCORSOrigins)) {
		o, err := parseOrigin(item)
		if err != nil {
			l.reject(VarCORSOrigins, "%q %v", quotableURL(item), err)
			continue
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

func parseOrigin(raw string) (string, error) {
	switch strings.ToLower(raw) {
	case "*":
		return "", errors.New("is a wildcard; list each origin, since credentials are never shared with any site")
	case "null":
		return "", errors.New("is the opaque origin, which any sandboxed page can claim")
	}
	u, err := parseWebURL(raw)
	if err != nil {
		return "", err
	}
	if u.Path != "" {
		return "", errors.New("has a path (want scheme://host[:port])")
	}
	return u.Scheme + "://" + u.Host, nil
}

// splitList splits a comma-separated setting, ignoring blank items so a
// trailing comma is not an error.
func splitList(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

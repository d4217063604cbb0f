package web

import (
	"net/http"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"lectern/internal/viewer"
)

// maxUserAgentRunes bounds what audit records and the session list store per
// request; real user agents are well under it.
const maxUserAgentRunes = 256

// ClientOf returns who sent r: the client's IP address (without port or
// zone) and its user agent cut to 256 printable characters. The address is
// the TCP peer's unless the peer is one of trusted, in which case
// X-Forwarded-For is read from the right, past the trusted proxies, to the
// first address none of them owns. Addr is empty when r.RemoteAddr is not an
// IP address (a Unix socket, a hand-built request).
func ClientOf(r *http.Request, trusted []netip.Prefix) viewer.Client {
	return viewer.Client{Addr: clientAddr(r, trusted), UserAgent: cleanUserAgent(r.UserAgent())}
}

func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return ""
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	return forwardedFor(r.Header.Values("X-Forwarded-For"), peer, trusted).String()
}

// forwardedFor walks from the right because each trusted proxy appends the
// peer it saw: everything left of the first untrusted entry was written by
// the client and may be forged. Malformed entries are skipped; a proxy never
// writes one, so they can only come from the client's side of the chain.
// When every entry is a trusted proxy, the request started inside the
// trusted network and the leftmost of them is the client.
func forwardedFor(headers []string, peer netip.Addr, trusted []netip.Prefix) netip.Addr {
	var hops []string
	for _, h := range headers {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseAddr(strings.TrimSpace(hops[i]))
		if !ok {
			continue
		}
		if !isTrusted(a, trusted) {
			return a
		}
		client = a
	}
	return client
}

// parseAddr accepts an address with or without a port (some proxies add
// one) and unmaps IPv4-mapped IPv6, so 10.0.0.1 matches 10.0.0.0/8 however
// the listener reported it.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// cleanUserAgent drops control characters and invalid UTF-8, which could
// forge lines or break the terminal of whoever reads an audit log.
func cleanUserAgent(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			continue
		}
		if n == maxUserAgentRunes {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

package config

import (
	"net/netip"
	"slices"
	"strings"
)

// Session cookie names. The __Host- prefix makes browsers refuse the cookie
// unless it is Secure, has Path=/ and no Domain, so a sibling subdomain can
// neither set nor shadow it; browsers only honour it over https, hence the
// plain name in dev.
const (
	devSessionCookie    = "lectern_session"
	secureSessionCookie = "__Host-lectern_session"
)

// SessionCookie returns the session cookie's name and whether it must carry
// the Secure attribute: ("lectern_session", false) in dev and
// ("__Host-lectern_session", true) in stage and prod. It cannot fail.
func (c Config) SessionCookie() (name string, secure bool) {
	if c.Dev() {
		return devSessionCookie, false
	}
	return secureSessionCookie, true
}

// checkSessionTimeouts compares the two only when both are valid, so a bad
// value is reported once rather than again as an ordering problem.
func (l *loader) checkSessionTimeouts(c Config) {
	if l.rejected(VarSessionIdleTimeout) || l.rejected(VarSessionMaxAge) {
		return
	}
	if c.SessionIdleTimeout > c.SessionMaxAge {
		l.reject(VarSessionIdleTimeout, "%v exceeds %s %v", c.SessionIdleTimeout, VarSessionMaxAge, c.SessionMaxAge)
	}
}

// trustedProxies refuses a /0 prefix because trusting every address lets
// any client choose the address it is logged, throttled and audited under.
func (l *loader) trustedProxies() []netip.Prefix {
	var out []netip.Prefix
	for _, item := range splitList(l.lookup(VarTrustedProxies)) {
		p, ok := parseProxy(item)
		switch {
		case !ok:
			l.reject(VarTrustedProxies, "%q is not an IP address or CIDR prefix (e.g. 10.0.0.0/8, 192.0.2.7)", item)
		case p.Bits() == 0:
			l.reject(VarTrustedProxies, "%q trusts every address, so any client could forge its own", item)
		case !slices.Contains(out, p):
			out = append(out, p)
		}
	}
	return out
}

// parseProxy unmaps IPv4-mapped IPv6 addresses because client addresses are
// compared unmapped, and masks host bits so 10.1.2.3/8 means 10.0.0.0/8.
// Zones are refused: they name an interface, not a network.
func parseProxy(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

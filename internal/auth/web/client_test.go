package web_test

import (
	"net/netip"
	"strings"
	"testing"

	"lectern/internal/auth/web"
)

func TestClientAddress(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		xff     []string
		want    string
	}{
		{"PeerWithoutProxies", nil, "192.0.2.7:51234", nil, "192.0.2.7"},
		{"ForwardedForIgnoredWithoutProxies", nil, "192.0.2.7:51234", []string{"198.51.100.1"}, "192.0.2.7"},
		{"SpoofFromUntrustedPeerIgnored", proxies, "192.0.2.7:51234", []string{"10.0.0.9, 198.51.100.1"}, "192.0.2.7"},
		{"TrustedPeerForwardsClient", proxies, "10.0.0.2:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"SpoofLeftOfRealClientIgnored", proxies, "10.0.0.2:443", []string{"203.0.113.66, 198.51.100.1"}, "198.51.100.1"},
		{"ChainOfTrustedProxiesWalked", proxies, "10.0.0.2:443", []string{"203.0.113.66, 198.51.100.1, 10.0.0.5, 10.1.1.1"}, "198.51.100.1"},
		{"MultipleHeadersJoinedInOrder", proxies, "10.0.0.2:443", []string{"203.0.113.66", "198.51.100.1, 10.0.0.5"}, "198.51.100.1"},
		{"MalformedEntriesSkipped", proxies, "10.0.0.2:443", []string{"203.0.113.66, 198.51.100.1, unknown, ,10.0.0.5, "}, "198.51.100.1"},
		{"EntryWithPort", proxies, "10.0.0.2:443", []string{"198.51.100.1:6000"}, "198.51.100.1"},
		{"IPv6Entry", proxies, "10.0.0.2:443", []string{"[2001:db8:1::5]:6000, 2001:db8:ffff::1"}, "2001:db8:1::5"},
		{"AllTrustedGivesLeftmost", proxies, "10.0.0.2:443", []string{"10.9.9.9, 10.0.0.5"}, "10.9.9.9"},
		{"TrustedPeerWithoutHeader", proxies, "10.0.0.2:443", nil, "10.0.0.2"},
		{"OnlyGarbageKeepsPeer", proxies, "10.0.0.2:443", []string{"garbage"}, "10.0.0.2"},
		{"IPv6Peer", nil, "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"MappedIPv4PeerMatchesIPv4Prefix", proxies, "[::ffff:10.0.0.2]:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"MappedIPv4PeerReportedUnmapped", nil, "[::ffff:192.0.2.7]:443", nil, "192.0.2.7"},
		{"PeerWithoutPort", nil, "192.0.2.7", nil, "192.0.2.7"},
		{"NonIPPeer", nil, "@", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := devConfig()
			cfg.TrustedProxies = tt.trusted
			r := post("/v1/graphql")
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			out := run(web.Authenticate(cfg, &accounts{}), r, nil)
			if out.seen.client.Addr != tt.want {
				t.Fatalf("client address = %q, want %q", out.seen.client.Addr, tt.want)
			}
			if got := web.ClientOf(r, tt.trusted).Addr; got != tt.want {
				t.Fatalf("ClientOf = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClientSetWithoutAuthenticator(t *testing.T) {
	r := post("/v1/graphql", "User-Agent", "agent/1")
	r.RemoteAddr = "192.0.2.7:1"
	out := run(web.Authenticate(web.Config{}, nil), r, nil)
	if out.seen.client.Addr != "192.0.2.7" || out.seen.client.UserAgent != "agent/1" {
		t.Fatalf("client = %+v, want the peer and its user agent", out.seen.client)
	}
}

func TestClientUserAgent(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		name, ua, want string
	}{
		{"Kept", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"},
		{"CutTo256Runes", long, strings.Repeat("é", 256)},
		{"ControlCharactersDropped", "curl/8.0\r\nX-Injected: 1\x00\x1b[31m", "curl/8.0X-Injected: 1[31m"},
		{"InvalidUTF8Dropped", "agent\xff\xfe/1", "agent/1"},
		{"SurroundingSpaceTrimmed", "  agent/1  ", "agent/1"},
		{"Empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post("/v1/graphql")
			r.Header.Set("User-Agent", tt.ua)
			out := run(web.Authenticate(devConfig(), &accounts{}), r, nil)
			if out.seen.client.UserAgent != tt.want {
				t.Fatalf("user agent = %q, want %q", out.seen.client.UserAgent, tt.want)
			}
		})
	}
}

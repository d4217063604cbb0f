package web_test

import (
	"net/netip"
	"testing"

	"lectern/internal/auth/web"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  web.Config
		ok   bool
	}{
		{"Zero", web.Config{}, true},
		{"Dev", devConfig(), true},
		{"Secure", secureConfig(), true},
		{"WithProxies", web.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, true},
		{"HostPrefixWithoutSecure", web.Config{CookieName: "__Host-s", OwnOrigin: ownOrigin}, false},
		{"SecurePrefixWithoutSecure", web.Config{CookieName: "__Secure-s", OwnOrigin: ownOrigin}, false},
		{"CookieNameWithSpace", web.Config{CookieName: "a b", OwnOrigin: ownOrigin}, false},
		{"CookieNameWithEquals", web.Config{CookieName: "a=b", OwnOrigin: ownOrigin}, false},
		{"CookieWithoutOwnOrigin", web.Config{CookieName: "s"}, false},
		{"OwnOriginWithPath", web.Config{OwnOrigin: ownOrigin + "/app"}, false},
		{"AllowedWildcard", web.Config{AllowedOrigins: []string{"*"}}, false},
		{"AllowedWithoutScheme", web.Config{AllowedOrigins: []string{"studio.example.org"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok = %v", err, tt.ok)
			}
		})
	}
}

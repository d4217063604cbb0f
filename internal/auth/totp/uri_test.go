package totp

import (
	"net/url"
	"testing"
)

func TestURI(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	tests := []struct {
		name, issuer, account, want string
	}{
		{"plus and at in account", "Lectern", "ada+test@example.com",
			"otpauth://totp/Lectern:ada%2Btest@example.com?secret=" + secret + "&issuer=Lectern&algorithm=SHA1&digits=6&period=30"},
		{"spaces", "Lectern Dev", "Ada Lovelace",
			"otpauth://totp/Lectern%20Dev:Ada%20Lovelace?secret=" + secret + "&issuer=Lectern%20Dev&algorithm=SHA1&digits=6&period=30"},
		{"colons", "Lectern:EU", "ada:admin",
			"otpauth://totp/Lectern%3AEU:ada%3Aadmin?secret=" + secret + "&issuer=Lectern%3AEU&algorithm=SHA1&digits=6&period=30"},
		{"query metacharacters", "A&B=C?", "x/y#z",
			"otpauth://totp/A&B=C%3F:x%2Fy%23z?secret=" + secret + "&issuer=A%26B%3DC%3F&algorithm=SHA1&digits=6&period=30"},
		{"non-ascii", "Léctern", "ådа@example.com",
			"otpauth://totp/L%C3%A9ctern:%C3%A5d%D0%B0@example.com?secret=" + secret + "&issuer=L%C3%A9ctern&algorithm=SHA1&digits=6&period=30"},
		{"no issuer", "", "ada@example.com",
			"otpauth://totp/ada@example.com?secret=" + secret + "&algorithm=SHA1&digits=6&period=30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := URI(secret, tt.issuer, tt.account)
			if got != tt.want {
				t.Fatalf("URI = %s\n          want %s", got, tt.want)
			}
			assertRoundTrip(t, got, secret, tt.issuer, tt.account)
		})
	}
}

// assertRoundTrip parses the URI back with net/url, as an app would, and
// checks that every part decodes to what went in.
func assertRoundTrip(t *testing.T, uri, secret, issuer, account string) {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatalf("url.Parse(%s): %v", uri, err)
	}
	wantPath := "/" + account
	if issuer != "" {
		wantPath = "/" + issuer + ":" + account
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != wantPath {
		t.Fatalf("parsed %s://%s%s, want otpauth://totp%s", u.Scheme, u.Host, u.Path, wantPath)
	}
	q := u.Query()
	want := map[string]string{"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": "6", "period": "30"}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Fatalf("query %s = %q, want %q", k, got, v)
		}
	}
}

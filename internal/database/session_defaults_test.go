package database

import (
	"net/url"
	"testing"
)

// A database URL's own settings win over Lectern's defaults.
func TestWithSessionDefaults(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u@h/db?sslmode=disable", "1.1"},
		{"postgres://u@h/db?random_page_cost=4&sslmode=disable", "4"},
		{"postgres://u@h/db", "1.1"},
	} {
		in, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := url.Parse(withSessionDefaults(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Query().Get("random_page_cost"); got != tc.want {
			t.Errorf("%s: random_page_cost %q, want %q", tc.in, got, tc.want)
		}
		if got := out.Query().Get("disable_prepared_binary_result"); got != "yes" {
			t.Errorf("%s: disable_prepared_binary_result %q, want yes", tc.in, got)
		}
		if out.Query().Get("sslmode") != in.Query().Get("sslmode") || out.Host != in.Host || out.Path != in.Path {
			t.Errorf("%s: the rest of the URL changed: %s", tc.in, out)
		}
	}
}

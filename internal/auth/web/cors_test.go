package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"lectern/internal/apperr"
	"lectern/internal/auth/web"
)

func preflightRequest(origin string) *http.Request {
	r := httptest.NewRequest(http.MethodOptions, "/v1/graphql", nil)
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("Access-Control-Request-Headers", "content-type, authorization")
	return r
}

func TestCORSPreflight(t *testing.T) {
	tests := []struct {
		name   string
		origin string
		allow  bool
	}{
		{"AllowlistedOriginAllowed", allowedOrigin, true},
		{"AllowlistedOriginInOtherCaseAllowed", "HTTPS://Studio.Example.org", true},
		{"ForeignOriginRefused", foreignOrigin, false},
		{"OwnOriginNeedsNoCORS", ownOrigin, false},
		{"NullOriginRefused", "null", false},
		{"MissingOriginRefused", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := run(web.CORS(devConfig()), preflightRequest(tt.origin), nil)
			h := out.rec.Header()
			if out.seen.ran {
				t.Fatal("a preflight reached the handler")
			}
			if got := h.Values("Vary"); len(got) != 1 || got[0] != "Origin" {
				t.Fatalf("Vary = %q, want [Origin]", got)
			}
			if !tt.allow {
				expectError(t, out.rec, http.StatusForbidden, apperr.Forbidden)
				if h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Methods") != "" {
					t.Fatalf("refused preflight carries CORS headers: %v", h)
				}
				return
			}
			want := map[string]string{
				"Access-Control-Allow-Origin":      tt.origin,
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods":     "POST",
				"Access-Control-Allow-Headers":     "Content-Type, Authorization, X-Request-ID, Idempotency-Key",
				"Access-Control-Max-Age":           "600",
			}
			if out.rec.Code != http.StatusNoContent {
				t.Fatalf("status = %d, want 204", out.rec.Code)
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Fatalf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestCORSActualRequest(t *testing.T) {
	tests := []struct {
		name   string
		origin string
		allow  bool
	}{
		{"AllowlistedOriginMayRead", allowedOrigin, true},
		{"ForeignOriginPassesWithoutCORSHeaders", foreignOrigin, false},
		{"OwnOriginPassesWithoutCORSHeaders", ownOrigin, false},
		{"NoOriginPassesWithoutCORSHeaders", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post("/v1/graphql")
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			out := run(web.CORS(devConfig()), r, nil)
			h := out.rec.Header()
			if out.rec.Code != http.StatusOK || !out.seen.ran {
				t.Fatalf("status %d, handler ran %v; want the request through", out.rec.Code, out.seen.ran)
			}
			if got := h.Values("Vary"); len(got) != 1 || got[0] != "Origin" {
				t.Fatalf("Vary = %q, want [Origin]", got)
			}
			want := map[string]string{
				"Access-Control-Allow-Origin":      "",
				"Access-Control-Allow-Credentials": "",
				"Access-Control-Expose-Headers":    "",
			}
			if tt.allow {
				want = map[string]string{
					"Access-Control-Allow-Origin":      tt.origin,
					"Access-Control-Allow-Credentials": "true",
					"Access-Control-Expose-Headers":    "X-Request-ID, Idempotent-Replayed, Retry-After",
				}
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Fatalf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestCORSOptionsWithoutPreflightHeaderPassesThrough(t *testing.T) {
	r := httptest.NewRequest(http.MethodOptions, "/v1/graphql", nil)
	r.Header.Set("Origin", foreignOrigin)
	if out := run(web.CORS(devConfig()), r, nil); !out.seen.ran {
		t.Fatalf("status %d; want a plain OPTIONS left to the handler", out.rec.Code)
	}
}

func TestCORSRefusesCredentialsInURLReadably(t *testing.T) {
	r := post("/v1/graphql?access_token=x", "Origin", allowedOrigin)
	out := run(web.CORS(devConfig()), r, nil)
	expectError(t, out.rec, http.StatusBadRequest, apperr.BadUserInput)
	if out.seen.ran || out.rec.Header().Get("Access-Control-Allow-Origin") != allowedOrigin {
		t.Fatalf("handler ran %v, headers %v; want a refusal the allowed page can read", out.seen.ran, out.rec.Header())
	}
}

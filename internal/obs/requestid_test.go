package obs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// allowedIDBytes restates the accepted alphabet independently of
// requestIDByte so the tests do not just mirror the implementation.
const allowedIDBytes = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-"

func TestValidRequestID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"single char", "a", true},
		{"minted shape", "k3nq6w2v7xk3jz5t4hbq2l6m4a", true},
		{"uuid", "0f8fad5b-d9cb-469f-a165-70867728950e", true},
		{"all punctuation", "A.b_c:d-E", true},
		{"max length", strings.Repeat("x", 128), true},
		{"empty", "", false},
		{"too long", strings.Repeat("x", 129), false},
		{"space", "abc def", false},
		{"newline", "abc\ndef", false},
		{"carriage return", "abc\r", false},
		{"tab", "\tabc", false},
		{"nul", "abc\x00", false},
		{"del", "abc\x7f", false},
		{"unicode letter", "café", false},
		{"fullwidth digit", "１２３", false},
		{"quote", `abc"def`, false},
		{"equals", "level=error", false},
		{"slash", "a/b", false},
		{"invalid utf8", "\xff", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidRequestID(tt.in); got != tt.want {
				t.Errorf("ValidRequestID(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewRequestID(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id := NewRequestID()
		if len(id) != 26 {
			t.Fatalf("NewRequestID() = %q, want 26 chars", id)
		}
		if strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("NewRequestID() = %q, want lower-case base32", id)
		}
		if !ValidRequestID(id) {
			t.Fatalf("NewRequestID() = %q is not valid", id)
		}
		if seen[id] {
			t.Fatalf("NewRequestID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestRequestIDContextRoundTrip(t *testing.T) {
	ctx := context.Background()
	if got := RequestIDFromContext(ctx); got != "" {
		t.Errorf("empty context gave %q", got)
	}
	if got := RequestIDFromContext(ContextWithRequestID(ctx, "abc")); got != "abc" {
		t.Errorf("got %q, want abc", got)
	}
}

func TestRequestIDMiddleware(t *testing.T) {
	tests := []struct {
		name     string
		incoming []string // nil means no header
		reuse    bool
	}{
		{"valid reused", []string{"client-id_1.2:3"}, true},
		{"first of several valid", []string{"first", "second"}, true},
		{"missing", nil, false},
		{"empty", []string{""}, false},
		{"too long", []string{strings.Repeat("a", 129)}, false},
		{"spaces", []string{"a b"}, false},
		{"newline", []string{"a\nlevel=ERROR msg=forged"}, false},
		{"unicode", []string{"ïd"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ctxID string
			h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctxID = RequestIDFromContext(r.Context())
			}))
			req := httptest.NewRequest(http.MethodPost, "/v1/graphql", nil)
			for _, v := range tt.incoming {
				req.Header.Add(HeaderRequestID, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			got := rec.Header().Get(HeaderRequestID)
			if got != ctxID {
				t.Errorf("response header %q != context ID %q", got, ctxID)
			}
			if !ValidRequestID(got) {
				t.Errorf("response ID %q is not valid", got)
			}
			if tt.reuse && got != tt.incoming[0] {
				t.Errorf("ID = %q, want incoming %q reused", got, tt.incoming[0])
			}
			if !tt.reuse && len(got) != 26 {
				t.Errorf("ID = %q, want a freshly minted one", got)
			}
		})
	}
}

func TestRequestIDMiddlewareKeepsContextID(t *testing.T) {
	var ctxID string
	h := RequestID(RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctxID = RequestIDFromContext(r.Context())
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if got := rec.Header().Get(HeaderRequestID); got == "" || got != ctxID {
		t.Errorf("header %q, context %q: want one shared ID", got, ctxID)
	}
}

func TestRequestIDSetBeforeHandlerWrites(t *testing.T) {
	srv := httptest.NewServer(RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("short and stout"))
	})))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer res.Body.Close()
	if !ValidRequestID(res.Header.Get(HeaderRequestID)) {
		t.Errorf("X-Request-ID = %q on the wire, want a valid ID", res.Header.Get(HeaderRequestID))
	}
}

func FuzzValidRequestID(f *testing.F) {
	for _, s := range []string{"", "a", "abc-123", "a b", "a\nb", "é", strings.Repeat("z", 128), strings.Repeat("z", 129), "\x00", "x:y.z_w-v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		wellFormed := len(s) >= 1 && len(s) <= 128
		for i := 0; i < len(s); i++ {
			if strings.IndexByte(allowedIDBytes, s[i]) < 0 {
				wellFormed = false
			}
		}
		if got := ValidRequestID(s); got != wellFormed {
			t.Fatalf("ValidRequestID(%q) = %v, want %v", s, got, wellFormed)
		}
		if id := NewRequestID(); !ValidRequestID(id) {
			t.Fatalf("NewRequestID() = %q is not valid", id)
		}
	})
}

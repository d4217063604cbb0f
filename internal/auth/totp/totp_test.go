package totp

import (
	"encoding/base32"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// rfcSecret is the RFC 6238 Appendix B SHA1 seed, the ASCII string
// "12345678901234567890", in base32.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// testNow is the middle of a time step, so offsets of whole periods land
// squarely in neighbouring steps.
func testNow() time.Time {
	return time.Unix(1_700_000_015, 0)
}

func mustSecret(t testing.TB) string {
	t.Helper()
	s, err := NewSecret()
	if err != nil {
		t.Fatalf("NewSecret: %v", err)
	}
	return s
}

func mustCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := Code(secret, at)
	if err != nil {
		t.Fatalf("Code(%v): %v", at, err)
	}
	return c
}

func TestRFCSecretFixture(t *testing.T) {
	if got := base32.StdEncoding.EncodeToString([]byte("12345678901234567890")); got != rfcSecret {
		t.Fatalf("base32 of the RFC seed = %q, fixture has %q", got, rfcSecret)
	}
}

func TestCodeRFC6238Vectors(t *testing.T) {
	tests := []struct {
		unix  int64
		eight string // the RFC's 8-digit TOTP; six digits are its last six
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tt := range tests {
		t.Run(tt.eight, func(t *testing.T) {
			want := tt.eight[len(tt.eight)-6:]
			if got := mustCode(t, rfcSecret, time.Unix(tt.unix, 0)); got != want {
				t.Fatalf("Code at %d = %s, want %s", tt.unix, got, want)
			}
		})
	}
}

func TestCodeSecretSpellings(t *testing.T) {
	seed16 := []byte("1234567890123456")
	tests := []struct{ name, secret, canonical string }{
		{"lower case", strings.ToLower(rfcSecret), rfcSecret},
		{"padded", base32.StdEncoding.EncodeToString(seed16), encoding().EncodeToString(seed16)},
		{"padded lower case", strings.ToLower(base32.StdEncoding.EncodeToString(seed16)), encoding().EncodeToString(seed16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Code(tt.secret, testNow())
			if err != nil {
				t.Fatalf("Code(%q): %v", tt.secret, err)
			}
			if want := mustCode(t, tt.canonical, testNow()); got != want {
				t.Fatalf("Code(%q) = %s, want %s as for %q", tt.secret, got, want, tt.canonical)
			}
		})
	}
}

func TestCodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		at     time.Time
		want   error
	}{
		{"not base32", "not base32!", testNow(), ErrInvalidSecret},
		{"digit 1 is not base32", "1EZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", testNow(), ErrInvalidSecret},
		{"empty", "", testNow(), ErrInvalidSecret},
		{"15 bytes", base32.StdEncoding.EncodeToString(make([]byte, 15)), testNow(), ErrInvalidSecret},
		{"before the epoch", rfcSecret, time.Unix(-1, 0), ErrInvalidTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := Code(tt.secret, tt.at)
			if !errors.Is(err, tt.want) || code != "" {
				t.Fatalf("Code = %q, %v; want %v", code, err, tt.want)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		s := mustSecret(t)
		if len(s) != 32 || s != strings.ToUpper(s) || strings.Contains(s, "=") {
			t.Fatalf("NewSecret = %q, want 32 upper-case base32 characters", s)
		}
		key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
		if err != nil || len(key) != 20 {
			t.Fatalf("NewSecret = %q decodes to %d bytes, %v; want 20", s, len(key), err)
		}
		if seen[s] {
			t.Fatalf("NewSecret repeated %q", s)
		}
		seen[s] = true
		if _, err := Code(s, testNow()); err != nil {
			t.Fatalf("Code(NewSecret()): %v", err)
		}
	}
}

func TestNewSecretEntropyFailure(t *testing.T) {
	broken := errors.New("no entropy")
	s, err := newSecret(iotest.ErrReader(broken))
	if !errors.Is(err, broken) || s != "" {
		t.Fatalf("newSecret(failing reader) = %q, %v; want the reader's error", s, err)
	}
}

func TestVerifyWindow(t *testing.T) {
	current := testNow().Unix() / 30
	tests := []struct {
		name   string
		offset int64 // in steps
		ok     bool
	}{
		{"two behind", -2, false},
		{"one behind", -1, true},
		{"current", 0, true},
		{"one ahead", 1, true},
		{"two ahead", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := mustCode(t, rfcSecret, testNow().Add(time.Duration(tt.offset)*30*time.Second))
			step, ok, err := Verify(rfcSecret, code, testNow(), 0)
			if err != nil || ok != tt.ok {
				t.Fatalf("Verify(code for step %+d) = %d, %v, %v; want ok %v", tt.offset, step, ok, err, tt.ok)
			}
			wantStep := int64(0)
			if tt.ok {
				wantStep = current + tt.offset
			}
			if step != wantStep {
				t.Fatalf("Verify returned step %d, want %d", step, wantStep)
			}
		})
	}
}

func TestVerifyStepBoundaries(t *testing.T) {
	// 59 s is the last second of step 1 and 60 s the first of step 2.
	tests := []struct {
		name     string
		codeAt   int64
		now      int64
		wantStep int64
	}{
		{"code from the end of the previous step", 59, 60, 1},
		{"code from the start of the next step", 60, 59, 2},
		{"same step", 45, 59, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := mustCode(t, rfcSecret, time.Unix(tt.codeAt, 0))
			step, ok, err := Verify(rfcSecret, code, time.Unix(tt.now, 0), 0)
			if err != nil || !ok || step != tt.wantStep {
				t.Fatalf("Verify = %d, %v, %v; want step %d", step, ok, err, tt.wantStep)
			}
		})
	}
}

func TestVerifyReplay(t *testing.T) {
	secret := mustSecret(t)
	earlier := mustCode(t, secret, testNow().Add(-30*time.Second))
	now := mustCode(t, secret, testNow())
	later := mustCode(t, secret, testNow().Add(30*time.Second))
	current := testNow().Unix() / 30

	// Each attempt passes the step stored after the previous success.
	attempts := []struct {
		name string
		code string
		ok   bool
	}{
		{"first use", now, true},
		{"same code again", now, false},
		{"earlier step after a later one", earlier, false},
		{"next step", later, true},
		{"next step again", later, false},
		{"current step after the next", now, false},
	}
	var last int64
	for _, a := range attempts {
		step, ok, err := Verify(secret, a.code, testNow(), last)
		if err != nil || ok != a.ok {
			t.Fatalf("%s: Verify(lastUsedStep %d) = %d, %v, %v; want ok %v", a.name, last, step, ok, err, a.ok)
		}
		if ok {
			if step <= last {
				t.Fatalf("%s: accepted step %d not after %d", a.name, step, last)
			}
			last = step
		}
	}
	if last != current+1 {
		t.Fatalf("last stored step = %d, want %d", last, current+1)
	}
}

func TestVerifyLastUsedStepBoundary(t *testing.T) {
	code := mustCode(t, rfcSecret, testNow())
	current := testNow().Unix() / 30
	tests := []struct {
		last int64
		ok   bool
	}{
		{current - 1, true},
		{current, false},
		{current + 1, false},
	}
	for _, tt := range tests {
		if _, ok, err := Verify(rfcSecret, code, testNow(), tt.last); err != nil || ok != tt.ok {
			t.Errorf("Verify(lastUsedStep current%+d) = %v, %v; want %v", tt.last-current, ok, err, tt.ok)
		}
	}
}

func TestVerifyMalformedCode(t *testing.T) {
	tests := []struct{ name, code string }{
		{"empty", ""},
		{"five digits", "12345"},
		{"seven digits", "1234567"},
		{"letter", "12a456"},
		{"leading space", " 123456"},
		{"trailing space", "123456 "},
		{"inner space", "123 456"},
		{"fullwidth digits", "１２３４５６"},
		{"arabic-indic digits", "١٢٣٤٥٦"},
		{"sign", "+12345"},
		{"nul byte", "12345\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok, err := Verify(rfcSecret, tt.code, testNow(), 0)
			if ok || err != nil || step != 0 {
				t.Fatalf("Verify(%q) = %d, %v, %v; want refused", tt.code, step, ok, err)
			}
			// An undecodable secret raises no error, showing the code was
			// turned away before any work on the secret.
			if _, _, err := Verify("not base32!", tt.code, testNow(), 0); err != nil {
				t.Fatalf("Verify(%q) with a bad secret = %v; want the code refused first", tt.code, err)
			}
		})
	}
}

func TestVerifyErrors(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		now    time.Time
		want   error
	}{
		{"bad secret", "not base32!", testNow(), ErrInvalidSecret},
		{"short secret", base32.StdEncoding.EncodeToString(make([]byte, 10)), testNow(), ErrInvalidSecret},
		{"before the epoch", rfcSecret, time.Unix(-30, 0), ErrInvalidTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok, err := Verify(tt.secret, "123456", tt.now, 0)
			if !errors.Is(err, tt.want) || ok || step != 0 {
				t.Fatalf("Verify = %d, %v, %v; want %v", step, ok, err, tt.want)
			}
		})
	}
}

func TestVerifyWrongSecret(t *testing.T) {
	code := mustCode(t, rfcSecret, testNow())
	other := base32.StdEncoding.EncodeToString([]byte("12345678901234567891"))
	if _, ok, err := Verify(other, code, testNow(), 0); ok || err != nil {
		t.Fatalf("code for one secret accepted for another: %v, %v", ok, err)
	}
}

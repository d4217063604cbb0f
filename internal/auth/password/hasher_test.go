package password

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

func newDefaultHasher(t testing.TB) *Hasher {
	t.Helper()
	h, err := NewHasher(DefaultParams())
	if err != nil {
		t.Fatalf("NewHasher(DefaultParams()): %v", err)
	}
	return h
}

func mustHash(t testing.TB, h *Hasher, password string) string {
	t.Helper()
	encoded, err := h.Hash(context.Background(), password)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return encoded
}

// bytesAllocated measures heap bytes allocated by f; argon2's memory cost
// shows up here directly, which makes "did it run the full hash" testable.
func bytesAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestDefaultParams(t *testing.T) {
	want := Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	if got := DefaultParams(); got != want {
		t.Fatalf("DefaultParams() = %+v, want %+v", got, want)
	}
}

func TestNewHasherBounds(t *testing.T) {
	with := func(edit func(*Params)) Params {
		p := DefaultParams()
		edit(&p)
		return p
	}
	tests := []struct {
		name   string
		params Params
		ok     bool
	}{
		{"default", DefaultParams(), true},
		{"upper bounds", Params{Memory: 1 << 20, Time: 100, Threads: 64, SaltLen: 64, KeyLen: 64}, true},
		{"zero", Params{}, false},
		{"memory below OWASP", with(func(p *Params) { p.Memory = 19455 }), false},
		{"time below OWASP", with(func(p *Params) { p.Time = 1 }), false},
		{"no threads", with(func(p *Params) { p.Threads = 0 }), false},
		{"short salt", with(func(p *Params) { p.SaltLen = 15 }), false},
		{"short key", with(func(p *Params) { p.KeyLen = 31 }), false},
		{"memory above 1 GiB", with(func(p *Params) { p.Memory = 1<<20 + 1 }), false},
		{"time above bound", with(func(p *Params) { p.Time = 101 }), false},
		{"threads above bound", with(func(p *Params) { p.Threads = 65 }), false},
		{"salt above bound", with(func(p *Params) { p.SaltLen = 65 }), false},
		{"key above bound", with(func(p *Params) { p.KeyLen = 65 }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHasher(tt.params)
			if tt.ok {
				if err != nil || h == nil {
					t.Fatalf("NewHasher(%+v) = %v, %v; want a hasher", tt.params, h, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidParams) || h != nil {
				t.Fatalf("NewHasher(%+v) = %v, %v; want ErrInvalidParams", tt.params, h, err)
			}
		})
	}
}

func TestHashFormat(t *testing.T) {
	encoded := mustHash(t, newDefaultHasher(t), "correct horse battery staple")
	phcPattern := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phcPattern.MatchString(encoded) {
		t.Fatalf("Hash = %q, not a default-cost argon2id PHC string", encoded)
	}
	got, err := ParamsOf(encoded)
	if err != nil {
		t.Fatalf("ParamsOf: %v", err)
	}
	if got != DefaultParams() {
		t.Fatalf("ParamsOf = %+v, want %+v", got, DefaultParams())
	}
}

func TestRoundTrip(t *testing.T) {
	h := newDefaultHasher(t)
	tests := []struct {
		name, password, wrong string
	}{
		{"ascii", "correct horse battery staple", "correct horse battery stapl"},
		{"case matters", "Correct Horse Battery", "correct horse battery"},
		{"spaces kept", "  padded passphrase  ", "padded passphrase"},
		{"inner spaces kept", "a b c d e f g h", "abcdefgh"},
		{"emoji", "🔑🦊 my fox key 🦊🔑", "🔑🦊 my fox key 🦊"},
		{"cjk", "正しい馬の電池ホチキス", "正しい馬の電池ホチキ"},
		{"128 code points", strings.Repeat("abcdefgh", 16), strings.Repeat("abcdefgh", 15)},
		{"129 code points still hashes", strings.Repeat("abcdefgh", 16) + "x", strings.Repeat("abcdefgh", 16)},
		{"invalid utf-8 bytes kept", "pass\xffword", "pass\xfeword"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded := mustHash(t, h, tt.password)
			assertVerify(t, h, tt.password, encoded, true)
			assertVerify(t, h, tt.wrong, encoded, false)
		})
	}
}

func assertVerify(t *testing.T, h *Hasher, password, encoded string, want bool) {
	t.Helper()
	ok, rehash, err := h.Verify(context.Background(), password, encoded)
	if err != nil || ok != want || rehash {
		t.Fatalf("Verify(%q) = %v, %v, %v; want %v, false, nil", password, ok, rehash, err, want)
	}
}

func TestNFCNormalisation(t *testing.T) {
	h := newDefaultHasher(t)
	const composed, decomposed = "caf\u00e9 au lait, s'il vous pla\u00eet", "cafe\u0301 au lait, s'il vous plai\u0302t"
	if composed == decomposed {
		t.Fatal("fixtures must differ byte-wise")
	}
	tests := []struct{ name, stored, typed string }{
		{"composed then decomposed", composed, decomposed},
		{"decomposed then composed", decomposed, composed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertVerify(t, h, tt.typed, mustHash(t, h, tt.stored), true)
		})
	}
}

func TestNoTruncation(t *testing.T) {
	h := newDefaultHasher(t)
	prefix := strings.Repeat("0123456789", 19) + "abcdefghi"
	a, b := prefix+"X", prefix+"Y"
	if len([]rune(a)) != 200 {
		t.Fatalf("fixture is %d code points, want 200", len([]rune(a)))
	}
	assertVerify(t, h, b, mustHash(t, h, a), false)
	assertVerify(t, h, a, mustHash(t, h, b), false)
}

func TestSaltsDiffer(t *testing.T) {
	h := newDefaultHasher(t)
	const password = "correct horse battery staple"
	first, second := mustHash(t, h, password), mustHash(t, h, password)
	if first == second {
		t.Fatalf("two hashes of the same password are identical: %q", first)
	}
	if saltOf(t, first) == saltOf(t, second) {
		t.Fatalf("two hashes share a salt: %q", saltOf(t, first))
	}
	assertVerify(t, h, password, first, true)
	assertVerify(t, h, password, second, true)
}

func saltOf(t *testing.T, encoded string) string {
	t.Helper()
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 {
		t.Fatalf("%q has %d fields", encoded, len(fields))
	}
	return fields[4]
}

func TestNeedsRehash(t *testing.T) {
	const password = "correct horse battery staple"
	stored := mustHash(t, newDefaultHasher(t), password)
	stronger := func(edit func(*Params)) Params {
		p := DefaultParams()
		edit(&p)
		return p
	}
	tests := []struct {
		name     string
		current  Params
		password string
		ok       bool
		rehash   bool
	}{
		{"same params", DefaultParams(), password, true, false},
		{"more memory", stronger(func(p *Params) { p.Memory = 2 * 19456 }), password, true, true},
		{"more time", stronger(func(p *Params) { p.Time = 3 }), password, true, true},
		{"more threads", stronger(func(p *Params) { p.Threads = 2 }), password, true, true},
		{"longer key", stronger(func(p *Params) { p.KeyLen = 64 }), password, true, true},
		{"longer salt", stronger(func(p *Params) { p.SaltLen = 32 }), password, true, true},
		{"wrong password never asks for rehash", stronger(func(p *Params) { p.Memory = 2 * 19456 }), "wrong", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHasher(tt.current)
			if err != nil {
				t.Fatalf("NewHasher: %v", err)
			}
			ok, rehash, err := h.Verify(context.Background(), tt.password, stored)
			if err != nil || ok != tt.ok || rehash != tt.rehash {
				t.Fatalf("Verify = %v, %v, %v; want %v, %v, nil", ok, rehash, err, tt.ok, tt.rehash)
			}
		})
	}
}

func TestStrongerStoredHashNeedsNoRehash(t *testing.T) {
	const password = "correct horse battery staple"
	strong, err := NewHasher(Params{Memory: 2 * 19456, Time: 3, Threads: 2, SaltLen: 32, KeyLen: 64})
	if err != nil {
		t.Fatalf("NewHasher: %v", err)
	}
	ok, rehash, err := newDefaultHasher(t).Verify(context.Background(), password, mustHash(t, strong, password))
	if err != nil || !ok || rehash {
		t.Fatalf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

// The vectors are the argon2id cases from the reference implementation's
// src/test.c (P-H-C/phc-winner-argon2), which tie this package's encoding
// and derivation to the specification rather than to itself.
func TestReferenceVectors(t *testing.T) {
	h := newDefaultHasher(t)
	tests := []struct {
		encoded string
		params  Params
	}{
		{
			"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
			Params{Memory: 65536, Time: 2, Threads: 1, SaltLen: 8, KeyLen: 32},
		},
		{
			"$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
			Params{Memory: 256, Time: 2, Threads: 2, SaltLen: 8, KeyLen: 32},
		},
	}
	for _, tt := range tests {
		t.Run(tt.encoded, func(t *testing.T) {
			if got, err := ParamsOf(tt.encoded); err != nil || got != tt.params {
				t.Fatalf("ParamsOf = %+v, %v; want %+v", got, err, tt.params)
			}
			ok, rehash, err := h.Verify(context.Background(), "password", tt.encoded)
			wantRehash := tt.params.weakerThan(h.params)
			if err != nil || !ok || rehash != wantRehash {
				t.Fatalf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, wantRehash)
			}
			assertVerify(t, h, "Password", tt.encoded, false)
		})
	}
}

func TestVerifyDummyCostsAFullHash(t *testing.T) {
	tests := []struct {
		name   string
		params Params
	}{
		{"default", DefaultParams()},
		{"stronger", Params{Memory: 2 * 19456, Time: 3, Threads: 2, SaltLen: 32, KeyLen: 64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHasher(tt.params)
			if err != nil {
				t.Fatalf("NewHasher: %v", err)
			}
			if got, err := ParamsOf(h.dummy); err != nil || got != tt.params {
				t.Fatalf("dummy params = %+v, %v; want %+v", got, err, tt.params)
			}
			wantBytes := uint64(tt.params.Memory) * 1024
			if got := bytesAllocated(func() { h.VerifyDummy(context.Background(), "no such account") }); got < wantBytes {
				t.Fatalf("VerifyDummy allocated %d bytes, want at least %d (a full-cost hash)", got, wantBytes)
			}
		})
	}
}

func TestHashReportsEntropyFailure(t *testing.T) {
	h := newDefaultHasher(t)
	broken := errors.New("entropy source down")
	h.entropy = iotest.ErrReader(broken)
	encoded, err := h.Hash(context.Background(), "correct horse battery staple")
	if !errors.Is(err, broken) || encoded != "" {
		t.Fatalf("Hash = %q, %v; want \"\", error wrapping %v", encoded, err, broken)
	}
}

func BenchmarkHash(b *testing.B) {
	h := newDefaultHasher(b)
	for b.Loop() {
		if _, err := h.Hash(context.Background(), "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := newDefaultHasher(b)
	encoded := mustHash(b, h, "correct horse battery staple")
	for b.Loop() {
		if ok, _, err := h.Verify(context.Background(), "correct horse battery staple", encoded); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkVerifyDummy(b *testing.B) {
	h := newDefaultHasher(b)
	for b.Loop() {
		h.VerifyDummy(context.Background(), "correct horse battery staple")
	}
}

func TestDeriveHookSeesEveryComputation(t *testing.T) {
	var got []Params
	h, err := NewHasher(DefaultParams(), WithDeriveHook(func(p Params) { got = append(got, p) }))
	if err != nil {
		t.Fatal(err)
	}
	weak := Params{Memory: minMemory, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	stored := encodePHC(weak, make([]byte, weak.SaltLen), make([]byte, weak.KeyLen))

	encoded := mustHash(t, h, "correct horse battery staple")
	if _, _, err := h.Verify(context.Background(), "a wrong guess", encoded); err != nil {
		t.Fatal(err)
	}
	h.VerifyDummy(context.Background(), "no such account")
	if _, _, err := h.Verify(context.Background(), "a wrong guess", stored); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Verify(context.Background(), "anything", "$argon2id$v=19$garbage"); err == nil {
		t.Fatal("Verify accepted a malformed hash")
	}
	want := []Params{DefaultParams(), DefaultParams(), DefaultParams(), weak}
	if !slices.Equal(got, want) {
		t.Errorf("hook saw %+v, want %+v (one call per computation, with the parameters used)", got, want)
	}
}

// A burst of verifications runs at most the bounded number of argon2id
// computations at once, each holding its memory; all of them complete.
func TestConcurrencyBound(t *testing.T) {
	t.Parallel()
	var (
		mu             sync.Mutex
		running, worst int
	)
	hook := func(Params) {
		mu.Lock()
		running++
		worst = max(worst, running)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // still inside the computation's turn
		mu.Lock()
		running--
		mu.Unlock()
	}
	h, err := NewHasher(DefaultParams(), WithDeriveHook(hook), WithConcurrency(2))
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	ok := make([]bool, 8)
	for i := range ok {
		wg.Go(func() { ok[i], _, _ = h.Verify(context.Background(), "correct horse battery staple", encoded) })
	}
	wg.Wait()
	if worst > 2 {
		t.Errorf("%d computations ran at once, want at most 2", worst)
	}
	if slices.Contains(ok, false) {
		t.Errorf("verifications under the bound: %v, want all true", ok)
	}
}

// TestComputationMemoryIsCollected: every computation, Hash and Verify
// alike, is followed by a garbage collection, so the 19 MiB it leaves is
// reclaimed for the next one rather than adding to the process's memory
// until the heap reaches its target.
func TestComputationMemoryIsCollected(t *testing.T) {
	h := newDefaultHasher(t)
	// With the collector's own pacing off, only the hasher starts one.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for name, compute := range map[string]func(){
		"Hash":        func() { mustHash(t, h, "a long enough passphrase") },
		"VerifyDummy": func() { h.VerifyDummy(context.Background(), "a guess") },
		"AtOnce": func() {
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() { h.VerifyDummy(context.Background(), "a guess") })
			}
			wg.Wait()
		},
	} {
		t.Run(name, func(t *testing.T) {
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			compute()
			deadline := time.Now().Add(10 * time.Second)
			for {
				var now runtime.MemStats
				runtime.ReadMemStats(&now)
				if now.NumGC > before.NumGC && h.finished.Load() == 0 {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("no collection after the computation (%d collections before, %d now)", before.NumGC, now.NumGC)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"lectern/internal/admission"
	"lectern/internal/apperr"
)

// Hasher hashes and verifies passwords with argon2id. It is safe for
// concurrent use. The zero value is not usable; construct one with NewHasher.
type Hasher struct {
	params  Params
	entropy io.Reader
	// dummy has the hasher's own parameters, so VerifyDummy walks the same
	// parse-derive-compare path, at the same cost, as a real Verify.
	dummy string
	// onDerive, when set, is told of every argon2id computation.
	onDerive func(Params)
	// slots bounds the computations running at once. Each holds its
	// parameters' memory (19 MiB by default) and a core; more of them at
	// once than there are cores finishes none sooner, and a burst of
	// sign-ins would add 19 MiB per request to the process's memory.
	slots chan struct{}
	// wait bounds a computation's wait for a slot; 0 sets no bound.
	wait time.Duration
	// finished counts the computations finished since collect's goroutine
	// last started a collection; it is 0 when that goroutine is not
	// running.
	finished atomic.Int64
}

// Option adjusts a Hasher built by NewHasher.
type Option func(*Hasher)

// WithDeriveHook makes the Hasher call fn after every argon2id computation
// it performs (Hash, Verify and VerifyDummy alike) with the parameters it
// used, so a caller can count the hashing work a code path does and compare
// its cost with another's. fn must be safe for concurrent use.
func WithDeriveHook(fn func(Params)) Option {
	return func(h *Hasher) { h.onDerive = fn }
}

// ErrBusy is what Hash and Verify return when a computation waited the
// queue timeout (WithQueueTimeout) for a slot: the server was hashing as
// many passwords as it has CPUs for, with more waiting. It is UNAVAILABLE
// with a Retry-After, as a request refused by the admission bound is.
var ErrBusy = &apperr.Error{Code: apperr.Unavailable, Message: "the server is busy; retry shortly", RetryAfter: time.Second}

// WithQueueTimeout bounds how long a computation waits for a slot to d;
// past it Hash and Verify return ErrBusy. The default, 0, sets no bound
// but the caller's context.
func WithQueueTimeout(d time.Duration) Option {
	return func(h *Hasher) { h.wait = d }
}

// WithConcurrency bounds the argon2id computations the Hasher runs at once
// to n (at least 1); the others wait their turn. The default is the number
// of CPUs the Go runtime uses. A request waiting or computing gives its
// GraphQL turn to another meanwhile (admission.Aside): this bound is the
// one that holds the computations.
func WithConcurrency(n int) Option {
	return func(h *Hasher) { h.slots = make(chan struct{}, max(1, n)) }
}

// NewHasher returns a Hasher producing hashes with p. It returns an error
// wrapping ErrInvalidParams when any parameter is below OWASP's argon2id
// minimum (see DefaultParams) or above the bounds Verify accepts.
func NewHasher(p Params, opts ...Option) (*Hasher, error) {
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidParams, err)
	}
	h := &Hasher{
		params:  p,
		entropy: rand.Reader,
		dummy:   encodePHC(p, make([]byte, p.SaltLen), make([]byte, p.KeyLen)),
		slots:   make(chan struct{}, runtime.GOMAXPROCS(0)),
	}
	for _, opt := range opts {
		opt(h)
	}
	return h, nil
}

// Hash returns password hashed with a fresh random salt, as a PHC string
// such as "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>". The password is
// NFC-normalised first and otherwise used whole. It returns an error when
// the salt cannot be read from the random source; ctx's error when ctx
// ended before the computation could start; ErrBusy when no slot came
// within the queue timeout.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := io.ReadFull(h.entropy, salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	key, err := h.derive(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return encodePHC(h.params, salt, key), nil
}

// Verify reports whether password matches encoded, recomputing the hash
// with the parameters stored in encoded and comparing in constant time.
// needsRehash is true when the password matched and the stored parameters
// are weaker than h's on any of memory, time, threads, salt length or key
// length; it is false on a mismatch, since rehashing needs a verified
// password. A malformed, unsupported or out-of-bounds encoding returns an
// error wrapping ErrMalformedHash or ErrUnsupportedHash, with ok false.
// When the computation could not start it returns ctx's error (ctx ended)
// or ErrBusy (no slot within the queue timeout), with ok false.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok bool, needsRehash bool, err error) {
	stored, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := h.derive(ctx, password, stored.salt, stored.params)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, stored.key) != 1 {
		return false, false, nil
	}
	return true, stored.params.weakerThan(h.params), nil
}

// VerifyDummy spends the same time and memory as Verify against a hash made
// by h, and discards the result. Call it when no account matches the login,
// so response time does not reveal which accounts exist. When the
// computation could not start it returns the error Verify would, which
// the caller must answer as it answers Verify's: an answer that differed
// would tell the accounts apart.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	_, _, err := h.Verify(ctx, password, h.dummy)
	return err
}

// derive computes the key of password with salt and p once it has a
// slot. Its request's GraphQL turn goes to another request meanwhile.
func (h *Hasher) derive(ctx context.Context, password string, salt []byte, p Params) (key []byte, err error) {
	normalised := norm.NFC.String(password)
	admission.Aside(ctx, func() {
		if err = h.take(ctx); err != nil {
			return
		}
		defer func() { <-h.slots }()
		key = argon2.IDKey([]byte(normalised), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
		h.collect()
		if h.onDerive != nil {
			h.onDerive(p)
		}
	})
	return key, err
}

// take waits for a slot: it returns ctx's error when ctx has ended or
// ends first (no computation starts for a request already over), and
// ErrBusy when the queue timeout passes first.
func (h *Hasher) take(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	var timeout <-chan time.Time
	if h.wait > 0 {
		t := time.NewTimer(h.wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timeout:
		return ErrBusy
	}
}

// collect has the garbage collector reclaim the memory computations have
// finished with. Each one leaves its parameters' memory (19 MiB by
// default) behind, which the collector would otherwise reclaim only once
// the heap reached its target, three times the live heap with GOGC=200:
// six sign-ins in a row took a server from 112 to 172 MiB. Collected, the
// next computation reuses those pages. One goroutine collects at a time,
// in the background, and collects again if computations finished while it
// did (memory they freed during a collection may outlive it).
func (h *Hasher) collect() {
	if h.finished.Add(1) > 1 {
		return // the running goroutine sees it
	}
	go func() {
		for {
			n := h.finished.Load()
			runtime.GC()
			if h.finished.CompareAndSwap(n, 0) {
				return
			}
		}
	}()
}

package cache

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/internal/viewer"
)

// White-box tests of the parts that need neither a database nor Redis:
// the local generations, expiry, the NOTIFY message splitting, compact,
// the recorder and the middleware over a stub handler. The integration
// tests (integration_test.go, redis_test.go) run the real handler.

func newTestLocal(ttl time.Duration) *local { return newLocal(1<<20, ttl, time.Now) }

func mustGet(t *testing.T, l *local, key, want string) {
	t.Helper()
	got, ok := l.get(key)
	if !ok {
		t.Fatalf("%s: not stored, want %q", key, want)
	}
	if string(got) != want {
		t.Fatalf("%s = %q, want %q", key, got, want)
	}
}

func mustMiss(t *testing.T, l *local, key string) {
	t.Helper()
	if got, ok := l.get(key); ok {
		t.Fatalf("%s = %q, want no entry", key, got)
	}
}

// A fill notes the generation before it reads; an invalidation of one of
// its tags after that keeps it out, whatever the order of put and
// invalidate in memory.
func TestLocalFillBeforeInvalidationIsNotStored(t *testing.T) {
	t.Parallel()
	l := newTestLocal(time.Minute)
	a, b := Course(uuid.New()), Course(uuid.New())

	gen := l.snapshot()
	l.invalidate([]string{a}) // a write commits while the fill reads
	if l.put("k-a", []byte("old a"), gen, []string{a, Catalogue}) {
		t.Fatal("a fill that started before its tag was invalidated was stored")
	}
	mustMiss(t, l, "k-a")
	// The same fill reading only untouched tags is current.
	if !l.put("k-b", []byte("b"), gen, []string{b}) {
		t.Fatal("a fill whose tags were not invalidated was refused")
	}
	mustGet(t, l, "k-b", "b")
	// A fill that starts after the invalidation is stored.
	if !l.put("k-a", []byte("new a"), l.snapshot(), []string{a, Catalogue}) {
		t.Fatal("a fill that started after the invalidation was refused")
	}
	mustGet(t, l, "k-a", "new a")

	// "*" keeps out every fill that started before it, tagged or not.
	gen = l.snapshot()
	l.invalidate([]string{everything})
	for _, tags := range [][]string{nil, {b}, {Catalogue}} {
		if l.put("k-star", []byte("x"), gen, tags) {
			t.Fatalf("a fill with tags %v that started before * was stored", tags)
		}
	}
}

func TestLocalInvalidateDropsByTagAndByEverything(t *testing.T) {
	t.Parallel()
	l := newTestLocal(time.Minute)
	c1, c2, u := Course(uuid.New()), Course(uuid.New()), User(uuid.New())
	put := func(key string, tags ...string) {
		t.Helper()
		if !l.put(key, []byte(key), l.snapshot(), tags) {
			t.Fatalf("put %s refused", key)
		}
	}
	put("course1", c1)
	put("course2", c2, u)
	put("both", c1, c2)
	put("list", Catalogue, c1, c2)
	put("untagged")

	l.invalidate([]string{c1})
	mustMiss(t, l, "course1")
	mustMiss(t, l, "both")
	mustMiss(t, l, "list")
	mustGet(t, l, "course2", "course2")
	mustGet(t, l, "untagged", "untagged")

	l.invalidate([]string{User(uuid.New()), Tag(uuid.New())}) // untouched tags
	mustGet(t, l, "course2", "course2")

	l.invalidate([]string{u})
	mustMiss(t, l, "course2")

	put("course2", c2)
	put("list", Catalogue)
	l.invalidate([]string{everything})
	for _, k := range []string{"course2", "list", "untagged"} {
		mustMiss(t, l, k)
	}
	// And the cache fills again afterwards.
	put("course2", c2)
	mustGet(t, l, "course2", "course2")
}

// An entry expires TTL after it was written, invalidated or not. (The
// entries' expiry follows otter's own clock, not Options.Now, so this runs
// on the real clock with a short TTL.)
func TestLocalEntriesExpire(t *testing.T) {
	t.Parallel()
	l := newTestLocal(50 * time.Millisecond)
	if !l.put("k", []byte("v"), l.snapshot(), []string{Catalogue}) {
		t.Fatal("put refused")
	}
	mustGet(t, l, "k", "v")
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, ok := l.get("k"); !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("an entry outlived its 50ms TTL by 2s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A drop is forgotten only once every entry it could drop has expired: an
// entry written before a drop of its tag must not come back when the
// bookkeeping is pruned.
func TestLocalPruneDoesNotResurrect(t *testing.T) {
	t.Parallel()
	const ttl = 100 * time.Millisecond
	l := newTestLocal(ttl)
	tag := Course(uuid.New())
	if !l.put("old", []byte("old"), l.snapshot(), []string{tag}) {
		t.Fatal("put refused")
	}
	l.invalidate([]string{tag}) // never read afterwards, so still in otter until it expires
	dropped := time.Now()
	// Wait (polling) until the drop is old enough to be pruned, then
	// trigger a prune with another invalidation.
	for time.Since(dropped) <= ttl+1100*time.Millisecond {
		time.Sleep(20 * time.Millisecond)
	}
	l.invalidate([]string{Tag(uuid.New())})
	l.mu.RLock()
	_, kept := l.dropped[tag]
	l.mu.RUnlock()
	if kept {
		t.Fatalf("a drop older than TTL+1s was not pruned")
	}
	mustMiss(t, l, "old")
}

func TestLocalBoundedByBytes(t *testing.T) {
	t.Parallel()
	l := newLocal(64<<10, time.Minute, time.Now)
	body := []byte(strings.Repeat("x", 4<<10))
	for i := range 200 {
		l.put(fmt.Sprint(i), body, l.snapshot(), []string{Catalogue})
	}
	// otter applies evictions asynchronously; 200×4KiB would be 800KiB.
	deadline := time.Now().Add(2 * time.Second)
	for l.size() > 16 {
		if time.Now().After(deadline) {
			t.Fatalf("%d entries of 4KiB kept in a 64KiB cache", l.size())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSplitMessage(t *testing.T) {
	t.Parallel()
	const from = "0123456789abcdef"
	short := from + " catalogue " + Course(uuid.New())
	if got := splitMessage(short, 7000); !slices.Equal(got, []string{short}) {
		t.Fatalf("a short message was split: %q", got)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n := 1 + rng.IntN(400)
		tags := make([]string, n)
		for i := range tags {
			switch rng.IntN(4) {
			case 0:
				tags[i] = Course(uuid.New())
			case 1:
				tags[i] = User(uuid.New())
			case 2:
				tags[i] = Tag(uuid.New())
			default:
				tags[i] = strings.Repeat("t", 1+rng.IntN(60))
			}
		}
		longest := 0
		for _, tg := range tags {
			longest = max(longest, len(tg))
		}
		// From the smallest max that fits the sender and any one tag, up
		// to the real limit.
		limits := []int{len(from) + 1 + longest, len(from) + 1 + longest + rng.IntN(200), 500, maxNotifyPayload}
		message := from + " " + strings.Join(tags, " ")
		for _, limit := range limits {
			parts := splitMessage(message, limit)
			var got []string
			for _, p := range parts {
				if len(p) > limit {
					t.Fatalf("round %d, max %d: a part of %d bytes: %q", round, limit, len(p), p)
				}
				sender, rest, ok := strings.Cut(p, " ")
				if sender != from || !ok || rest == "" {
					t.Fatalf("round %d, max %d: part %q does not start with the sender and a tag", round, limit, p)
				}
				got = append(got, strings.Fields(rest)...)
			}
			if !slices.Equal(got, tags) {
				t.Fatalf("round %d, max %d: tags after splitting differ (%d parts):\n got %q\nwant %q", round, limit, len(parts), got, tags)
			}
			if len(message) > limit && len(parts) < 2 {
				t.Fatalf("round %d, max %d: a %d-byte message was not split", round, limit, len(message))
			}
		}
	}
}

func TestCompact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want []string }{
		{nil, []string{}},
		{[]string{""}, []string{}},
		{[]string{"", ""}, []string{}},
		{[]string{"b", "a", "b", "", "c", "a"}, []string{"a", "b", "c"}},
		{[]string{Catalogue, everything, Catalogue}, []string{everything, Catalogue}},
	} {
		in := slices.Clone(tc.in)
		got := compact(in)
		if !slices.Equal(got, tc.want) {
			t.Errorf("compact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("compact changed its argument: %q, was %q", in, tc.in)
		}
	}
}

func TestRecorder(t *testing.T) {
	t.Parallel()
	withRecorder := func() (context.Context, *recorder) {
		r := &recorder{tags: map[string]struct{}{}}
		return context.WithValue(context.Background(), recorderKey{}, r), r
	}
	sorted := func(r *recorder) ([]string, bool) {
		tags, ok := r.result()
		slices.Sort(tags)
		return tags, ok
	}

	ctx, r := withRecorder()
	Record(ctx, "b", "a")
	Record(ctx, "a")
	if tags, ok := r.result(); ok || tags != nil {
		t.Fatalf("stored without Cacheable: %v %v", tags, ok)
	}
	Cacheable(ctx)
	if tags, ok := sorted(r); !ok || !slices.Equal(tags, []string{"a", "b"}) {
		t.Fatalf("Cacheable: %v %v, want [a b] true", tags, ok)
	}

	for _, order := range []string{"refuse first", "refuse last"} {
		ctx, r := withRecorder()
		Record(ctx, "a")
		if order == "refuse first" {
			Refuse(ctx)
			Cacheable(ctx)
		} else {
			Cacheable(ctx)
			Refuse(ctx)
		}
		if tags, ok := r.result(); ok || tags != nil {
			t.Fatalf("%s: Refuse lost to Cacheable: %v", order, tags)
		}
	}

	// Concurrent resolvers record at once.
	ctx, r = withRecorder()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() { Record(ctx, fmt.Sprint(i%4)) })
	}
	wg.Wait()
	Cacheable(ctx)
	if tags, ok := sorted(r); !ok || !slices.Equal(tags, []string{"0", "1", "2", "3"}) {
		t.Fatalf("concurrent records: %v", tags)
	}

	// Outside a cacheable request everything is a no-op.
	bare := context.Background()
	Record(bare, "a")
	Cacheable(bare)
	Refuse(bare)
	if Keyed(bare) != bare || keyed(bare) {
		t.Fatal("Keyed marked a context without a recorder")
	}
	if ctx, _ := withRecorder(); !keyed(Keyed(ctx)) || keyed(ctx) {
		t.Fatal("Keyed did not mark a cacheable request's context, or marked it unasked")
	}
}

// stub is a GraphQL handler stand-in: it answers the current value, tags
// the response and says whether it may be stored, as graph and the ent
// interceptor would.
type stub struct {
	value     atomic.Value // string
	calls     atomic.Int64
	status    int
	tags      []string
	cacheable bool
	refuse    bool
	size      int
	during    func(ctx context.Context) // runs while the response is computed
}

func newStub(tags ...string) *stub {
	s := &stub{status: http.StatusOK, tags: tags, cacheable: true}
	s.value.Store("v1")
	return s
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	ctx := r.Context()
	_, _ = io.ReadAll(r.Body) // the body must still be readable
	Record(ctx, s.tags...)
	if s.during != nil {
		s.during(ctx)
	}
	if s.refuse {
		Refuse(ctx)
	}
	if s.cacheable {
		Cacheable(ctx)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(s.status)
	body := `{"data":"` + s.value.Load().(string) + `"}`
	if s.size > 0 {
		body = `{"data":"` + strings.Repeat("x", s.size) + `"}`
	}
	_, _ = io.WriteString(w, body)
}

func newTestCache(t *testing.T, o Options) *Cache {
	t.Helper()
	if o.TTL == 0 {
		o.TTL = time.Minute
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = 1 << 20
	}
	o.Logger = slog.New(slog.DiscardHandler)
	o.Header = true
	if o.CookieName == "" {
		o.CookieName = "lectern_session"
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

type answer struct {
	status int
	body   string
	xcache string
	hasX   bool
	length string // Content-Length
}

func send(h http.Handler, body string, dress ...func(*http.Request)) answer {
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for _, d := range dress {
		d(req)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	_, hasX := rec.Header()["X-Cache"]
	return answer{status: rec.Code, body: rec.Body.String(), xcache: rec.Header().Get("X-Cache"), hasX: hasX,
		length: rec.Header().Get("Content-Length")}
}

func expect(t *testing.T, a answer, xcache, body string) {
	t.Helper()
	if a.status != http.StatusOK || a.xcache != xcache || a.body != body {
		t.Fatalf("got %d X-Cache=%q %s, want 200 X-Cache=%q %s", a.status, a.xcache, a.body, xcache, body)
	}
	if xcache == "hit" && a.length != strconv.Itoa(len(body)) {
		t.Fatalf("a hit of %d bytes declares Content-Length %q", len(body), a.length)
	}
}

func TestMiddlewareMissThenHit(t *testing.T) {
	t.Parallel()
	c := newTestCache(t, Options{Version: "v1/test"})
	s := newStub(Course(uuid.New()))
	h := c.Middleware(s)
	expect(t, send(h, `{"query":"{a}"}`), "miss", `{"data":"v1"}`)
	s.value.Store("v2") // the stub changed, but nothing was invalidated
	a := send(h, `{"query":"{a}"}`)
	expect(t, a, "hit", `{"data":"v1"}`)
	if s.calls.Load() != 1 {
		t.Fatalf("the handler ran %d times, want 1", s.calls.Load())
	}
	// Another body is another entry; so is the same body under another
	// version.
	expect(t, send(h, `{"query":"{a}" }`), "miss", `{"data":"v2"}`)
	other := newTestCache(t, Options{Version: "v1/other"})
	if other.key([]byte(`{"query":"{a}"}`)) == c.key([]byte(`{"query":"{a}"}`)) {
		t.Fatal("two API versions share a key")
	}
	st := c.Stats()
	if st["cache_hits"] != 1 || st["cache_misses"] != 2 || st["cache_stores"] != 2 || st["cache_entries"] > 2 {
		t.Fatalf("stats %v", st)
	}
}

func TestMiddlewareNeverStoresWhatItMustNot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(*stub)
	}{
		{"not cacheable (a mutation or an error)", func(s *stub) { s.cacheable = false }},
		{"refused (read a private table)", func(s *stub) { s.refuse = true }},
		{"refused before cacheable", func(s *stub) { s.during = func(ctx context.Context) { Refuse(ctx) } }},
		{"status 500", func(s *stub) { s.status = http.StatusInternalServerError }},
		{"status 422", func(s *stub) { s.status = http.StatusUnprocessableEntity }},
		{"larger than MaxEntryBytes", func(s *stub) { s.size = 2048 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newTestCache(t, Options{MaxEntryBytes: 1024})
			s := newStub(Catalogue)
			tc.setup(s)
			h := c.Middleware(s)
			for range 3 {
				a := send(h, `{"query":"{a}"}`)
				if a.xcache != "miss" || a.status != s.status {
					t.Fatalf("X-Cache=%q status %d", a.xcache, a.status)
				}
				if s.size > 0 && len(a.body) != s.size+len(`{"data":""}`) {
					t.Fatalf("an oversized response was cut to %d bytes", len(a.body))
				}
			}
			if s.calls.Load() != 3 || c.Stats()["cache_stores"] != 0 {
				t.Fatalf("handler ran %d times, stores %d", s.calls.Load(), c.Stats()["cache_stores"])
			}
		})
	}
}

// A request with a credential of any kind is passed through untouched: no
// X-Cache header, never answered from the cache, never stored.
func TestMiddlewareIgnoresCredentials(t *testing.T) {
	t.Parallel()
	c := newTestCache(t, Options{CookieName: "sid"})
	s := newStub(Catalogue)
	h := c.Middleware(s)
	body := `{"query":"{a}"}`
	expect(t, send(h, body), "miss", `{"data":"v1"}`)
	expect(t, send(h, body), "hit", `{"data":"v1"}`)
	s.value.Store("personal")
	for name, dress := range map[string]func(*http.Request){
		"bearer":       func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") },
		"empty header": func(r *http.Request) { r.Header["Authorization"] = []string{""} },
		"cookie":       func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "sid", Value: "x"}) },
		"viewer in ctx": func(r *http.Request) {
			*r = *r.WithContext(viewer.NewContext(r.Context(), viewer.Viewer{UserID: uuid.New()}))
		},
		"GET": func(r *http.Request) { r.Method = http.MethodGet },
	} {
		a := send(h, body, dress)
		if a.hasX || a.body != `{"data":"personal"}` {
			t.Fatalf("%s: X-Cache=%q (present %v) %s, want no header and the handler's answer", name, a.xcache, a.hasX, a.body)
		}
	}
	// Another cookie is no credential.
	expect(t, send(h, body, func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "theme", Value: "dark"}) }), "hit", `{"data":"v1"}`)
	if got := c.Stats()["cache_stores"]; got != 1 {
		t.Fatalf("%d stores, want 1", got)
	}
}

func TestMiddlewareInvalidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newTestCache(t, Options{})
	course := Course(uuid.New())
	// One handler, three documents, each answered with its own tags.
	tags := map[string][]string{`{"q":"page"}`: {course}, `{"q":"list"}`: {Catalogue, course}, `{"q":"other"}`: {User(uuid.New())}}
	h := c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		Record(r.Context(), tags[string(b)]...)
		Cacheable(r.Context())
		_, _ = w.Write(b)
	}))
	const page, list, other = `{"q":"page"}`, `{"q":"list"}`, `{"q":"other"}`
	fill := func() {
		t.Helper()
		for doc := range tags {
			send(h, doc)
			if a := send(h, doc); a.xcache != "hit" {
				t.Fatalf("%s not filled: %+v", doc, a)
			}
		}
	}
	want := func(doc, xcache string) {
		t.Helper()
		if a := send(h, doc); a.xcache != xcache || a.body != doc {
			t.Fatalf("%s: %+v, want X-Cache %s", doc, a, xcache)
		}
	}
	fill()

	// A declared write invalidates its tags and the catalogue.
	c.Written(ctx, []string{"courses"}, []string{course}, true)
	want(page, "miss")
	want(list, "miss")
	want(other, "hit")
	// A declaration with no tags changes nothing public: nothing is dropped.
	fill()
	c.Written(ctx, []string{"users"}, nil, true)
	want(list, "hit")
	want(page, "hit")
	want(other, "hit")
	// An undeclared write drops everything.
	fill()
	c.Written(ctx, []string{"lessons"}, nil, false)
	want(page, "miss")
	want(list, "miss")
	want(other, "miss")
	st := c.Stats()
	if st["cache_invalidations"] != 2 || st["cache_undeclared_writes"] != 1 {
		t.Fatalf("stats %v", st)
	}
}

// A write that commits while a response is computed keeps that response
// out of the cache: the next request computes it again.
func TestMiddlewareFillRacingAWrite(t *testing.T) {
	t.Parallel()
	c := newTestCache(t, Options{})
	course := Course(uuid.New())
	s := newStub(course)
	s.during = func(ctx context.Context) {
		if s.value.Load() == "v1" {
			s.value.Store("v2") // the handler read v1; v2 commits now…
			c.Invalidate(ctx, course)
			s.value.Store("v1") // …and this answer still shows v1
		}
	}
	h := c.Middleware(s)
	expect(t, send(h, `{}`), "miss", `{"data":"v1"}`)
	if c.Stats()["cache_stale_fills"] != 1 {
		t.Fatalf("stats %v, want one stale fill", c.Stats())
	}
	s.during = nil
	s.value.Store("v2")
	expect(t, send(h, `{}`), "miss", `{"data":"v2"}`)
	expect(t, send(h, `{}`), "hit", `{"data":"v2"}`)
}

// Concurrent fills and invalidations: once the writes stop and the last
// invalidation is applied, no request is answered with an older value.
func TestMiddlewareConcurrentFillsNeverKeepOldValues(t *testing.T) {
	t.Parallel()
	c := newTestCache(t, Options{})
	course := Course(uuid.New())
	var current atomic.Int64
	h := c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := current.Load() // "read the database"
		Record(r.Context(), course)
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
		Cacheable(r.Context())
		fmt.Fprintf(w, `{"v":%d}`, v)
	}))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					send(h, `{}`)
				}
			}
		})
	}
	for i := 1; i <= 300; i++ {
		current.Store(int64(i)) // commit…
		c.Invalidate(context.Background(), course)
		if i%10 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	close(stop)
	wg.Wait()
	for range 100 {
		if a := send(h, `{}`); a.body != `{"v":300}` {
			t.Fatalf("after the last write: %+v", a)
		}
	}
}

// Messages from other instances invalidate; one's own and malformed ones
// are ignored.
func TestDeliver(t *testing.T) {
	t.Parallel()
	c := newTestCache(t, Options{})
	course := Course(uuid.New())
	h := c.Middleware(newStub(course))
	fill := func() {
		send(h, `{}`)
		if send(h, `{}`).xcache != "hit" {
			t.Fatal("not filled")
		}
	}
	fill()
	c.deliver(c.id + " " + course)
	c.deliver("no-space")
	if send(h, `{}`).xcache != "hit" {
		t.Fatal("its own or a malformed message invalidated")
	}
	c.deliver("someone-else " + Tag(uuid.New()) + " " + course)
	if send(h, `{}`).xcache != "miss" {
		t.Fatal("another instance's invalidation was ignored")
	}
	if got := c.Stats()["cache_invalidations_received"]; got != 1 {
		t.Fatalf("received %d, want 1", got)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.DiscardHandler)
	for _, o := range []Options{
		{MaxBytes: 1, Logger: logger},
		{TTL: time.Second, Logger: logger},
		{TTL: time.Second, MaxBytes: 1},
	} {
		if c, err := New(o); err == nil {
			c.Close()
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

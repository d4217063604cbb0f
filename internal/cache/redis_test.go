package cache_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"lectern/internal/cache"
	"lectern/internal/testenv"
)

// The shared cache and its invalidation channel on the real Redis, through
// the package's API with a stand-in for the GraphQL handler: each test
// decides what "the database" answers and which writes commit.

// newRedisCache starts a cache over the Redis at url, in namespace ns,
// with Redis clients set up as the app sets them up (each call bounded by
// timeout, no retries).
func newRedisCache(t *testing.T, url, ns string, timeout time.Duration) *cache.Cache {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = timeout, timeout, timeout, timeout
	opts.MaxRetries = -1
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	c, err := cache.New(cache.Options{TTL: time.Minute, MaxBytes: 1 << 20, Version: "test", Header: true,
		Redis: rdb, RedisCallTimeout: timeout, Namespace: ns, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	waitReady(t, c)
	return c
}

// waitReady waits until c is subscribed to its invalidation channel, so
// that it serves from memory.
func waitReady(t testing.TB, c *cache.Cache) {
	t.Helper()
	eventually(t, 10*time.Second, "the cache to subscribe to its invalidations", c.Ready)
}

// eventually polls cond until it holds, failing the test after within.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stubDB is what the stand-in handler answers: the current value,
// tagged with tag.
type stubDB struct {
	value atomic.Value
	tag   string
}

func newStubDB() *stubDB {
	d := &stubDB{tag: cache.Course(uuid.New())}
	d.value.Store("v1")
	return d
}

func (d *stubDB) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		v := d.value.Load().(string)
		cache.Record(r.Context(), d.tag)
		cache.Cacheable(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":"`+v+`"}`)
	})
}

// get sends the one document these tests read and returns X-Cache and the
// value answered.
func get(h http.Handler) (xcache, value string) {
	req := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader(`{"query":"{ value }"}`))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := rec.Body.String()
	return rec.Header().Get("X-Cache"), strings.TrimSuffix(strings.TrimPrefix(body, `{"data":"`), `"}`)
}

func wantGet(t *testing.T, h http.Handler, xcache, value string) {
	t.Helper()
	if x, v := get(h); x != xcache || v != value {
		t.Fatalf("got %s (X-Cache %q), want %s (X-Cache %q)", v, x, value, xcache)
	}
}

// commit changes the value and reports the write to c as the database
// does after the commit: declared with the value's tag, or undeclared.
func (d *stubDB) commit(c *cache.Cache, value string, declared bool) {
	d.value.Store(value)
	if declared {
		c.Written(context.Background(), []string{"courses"}, []string{d.tag}, true)
	} else {
		c.Written(context.Background(), []string{"courses"}, nil, false)
	}
}

// An entry one instance stores in Redis is served by the other, and a
// declared write through either drops it everywhere within a second.
func TestSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	url, ns := testenv.Redis(t), testenv.Namespace(t)
	a, b := newRedisCache(t, url, ns, time.Second), newRedisCache(t, url, ns, time.Second)
	d := newStubDB()
	ha, hb := a.Middleware(d.handler()), b.Middleware(d.handler())

	wantGet(t, ha, "miss", "v1")
	wantGet(t, hb, "hit", "v1") // from Redis
	wantGet(t, hb, "hit", "v1") // from memory
	if got := b.Stats()["cache_shared_hits"]; got != 1 {
		t.Fatalf("b: %d shared hits, want 1", got)
	}

	d.commit(a, "v2", true)
	wantGet(t, ha, "miss", "v2") // read-your-writes: no waiting
	eventually(t, time.Second, "b to see v2", func() bool { _, v := get(hb); return v == "v2" })
	wantGet(t, hb, "hit", "v2")
	if got := b.Stats()["cache_invalidations_received"]; got < 1 {
		t.Fatalf("b received %d invalidations", got)
	}

	d.commit(b, "v3", true)
	wantGet(t, hb, "miss", "v3")
	eventually(t, time.Second, "a to see v3", func() bool { _, v := get(ha); return v == "v3" })
}

// A write that declared nothing at all publishes "*", which must drop every
// entry in Redis too, not only in memory: the scripts that read and fill
// the shared cache check inv:* besides the entry's own tags. (They once
// did not, and the next read, on the writer as on every other instance,
// was answered from Redis with the value from before the write.)
func TestSharedUndeclaredWriteDropsSharedEntries(t *testing.T) {
	t.Parallel()
	url, ns := testenv.Redis(t), testenv.Namespace(t)
	a, b := newRedisCache(t, url, ns, time.Second), newRedisCache(t, url, ns, time.Second)
	d := newStubDB()
	ha, hb := a.Middleware(d.handler()), b.Middleware(d.handler())
	wantGet(t, ha, "miss", "v1")
	wantGet(t, hb, "hit", "v1")

	d.commit(a, "v2", false)
	if x, v := get(ha); v != "v2" {
		t.Errorf("writer, right after an undeclared write: %s (X-Cache %s), want v2", v, x)
	}
	deadline := time.Now().Add(time.Second)
	for {
		_, v := get(hb)
		if v == "v2" {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("other instance, 1s after an undeclared write: still %s, want v2", v)
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// When publishing an invalidation fails (Redis too slow for that call, or
// briefly unreachable) the writer has dropped its memory entry but Redis
// still holds the old one: the writer must not read it back from there
// before the retried publication has gone through, since it ignores its
// own message and nothing else would drop it again.
func TestFailedPublicationIsNotServedStale(t *testing.T) {
	t.Parallel()
	url, ns := testenv.Redis(t), testenv.Namespace(t)
	opts, _ := redis.ParseURL(url)
	p := startProxy(t, opts.Addr)
	c := newRedisCache(t, p.URL(url), ns, 250*time.Millisecond)
	d := newStubDB()
	h := c.Middleware(d.handler())
	wantGet(t, h, "miss", "v1")
	wantGet(t, h, "hit", "v1")

	p.BlockPublications(ns)
	d.commit(c, "v2", true)
	if got := c.Stats()["cache_publish_errors"]; got < 1 {
		t.Fatalf("the publication went through the proxy (%d publish errors)", got)
	}
	if x, v := get(h); v != "v2" {
		t.Errorf("right after a write whose publication failed: %s (X-Cache %s), want v2", v, x)
	}

	p.BlockPublications("")
	wantRetried(t, h, opts, ns, d.tag)
}

// A read the writer answers while its publication is on its way, and
// failing, may come from Redis, which has not heard of the write yet; but
// what that read keeps in memory must not outlive the write.
//
// Memory is invalidated again once the publication has been tried, so a
// copy taken from Redis in the meantime goes with it.
func TestReadDuringAFailingPublication(t *testing.T) {
	t.Parallel()
	url, ns := testenv.Redis(t), testenv.Namespace(t)
	opts, _ := redis.ParseURL(url)
	p := startProxy(t, opts.Addr)
	c := newRedisCache(t, p.URL(url), ns, 250*time.Millisecond)
	d := newStubDB()
	h := c.Middleware(d.handler())
	wantGet(t, h, "miss", "v1")
	wantGet(t, h, "hit", "v1")

	p.BlockPublications(ns)
	written := make(chan struct{})
	go func() {
		defer close(written)
		d.commit(c, "v2", true) // v2 is in the database; the publication times out
	}()
	eventually(t, 5*time.Second, "the publication to reach Redis's proxy", func() bool { return p.Held() > 0 })
	x, v := get(h) // while the write is being acknowledged: v1 from Redis is fair
	t.Logf("read during the write: %s (X-Cache %s)", v, x)
	<-written
	if got := c.Stats()["cache_publish_errors"]; got < 1 {
		t.Fatalf("the publication went through (%d publish errors)", got)
	}
	if x, v := get(h); v != "v2" {
		t.Errorf("right after the write was acknowledged: %s (X-Cache %s), want v2", v, x)
	}

	p.BlockPublications("")
	wantRetried(t, h, opts, ns, d.tag)
}

// wantRetried waits for the failed publication of tag to reach Redis, then
// checks that h keeps answering with the written value.
func wantRetried(t *testing.T, h http.Handler, opts *redis.Options, ns, tag string) {
	t.Helper()
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	eventually(t, 5*time.Second, "the publication to be retried", func() bool {
		n, err := rdb.Exists(context.Background(), ns+":cache:inv:"+tag).Result()
		return err == nil && n == 1
	})
	for i := range 20 {
		if x, v := get(h); v != "v2" {
			t.Fatalf("read %d after the publication was retried: %s (X-Cache %s), want v2", i, v, x)
		}
	}
}

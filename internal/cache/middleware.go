package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"time"

	"lectern/internal/viewer"
)

// Middleware answers cacheable requests (see the package documentation)
// from memory or Redis, and stores the responses it computes for them.
// It must run after authentication, which puts the viewer in the context,
// and before the GraphQL handler.
func (c *Cache) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.eligible(r) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !c.up.Load() { // invalidations may be missed: memory is not to be trusted
			c.stats.bypassed.Add(1)
			c.mark(w, "miss")
			next.ServeHTTP(w, r)
			return
		}
		key := c.key(body)
		gen := c.local.snapshot()
		if b, ok := c.local.get(key); ok {
			c.stats.hits.Add(1)
			c.serve(w, b)
			return
		}
		sharedGen, fillShared := c.lookupShared(r.Context(), key, gen, w)
		if sharedGen < 0 {
			return // served from Redis
		}
		c.stats.misses.Add(1)
		rec := &recorder{tags: map[string]struct{}{}}
		cw := &capture{ResponseWriter: w, limit: c.opts.MaxEntryBytes}
		c.mark(w, "miss")
		next.ServeHTTP(cw, r.WithContext(context.WithValue(r.Context(), recorderKey{}, rec)))
		tags, ok := rec.result()
		if !ok || cw.status != http.StatusOK || cw.overflow {
			return
		}
		if !c.local.put(key, cw.buf.Bytes(), gen, tags) {
			c.stats.staleFills.Add(1) // a write committed while this was read
			return
		}
		c.stats.stores.Add(1)
		if fillShared {
			ctx, cancel := c.sharedContext(r.Context())
			defer cancel()
			if err := c.shared.put(ctx, key, cw.buf.Bytes(), uint64(sharedGen), tags); err != nil {
				c.sharedFailed(ctx, err)
			}
		}
	})
}

// lookupShared asks Redis for key. It returns -1 when it served the
// response; otherwise the global generation to fill Redis with and
// whether to fill it (false when Redis is unavailable).
func (c *Cache) lookupShared(ctx context.Context, key string, gen uint64, w http.ResponseWriter) (int64, bool) {
	if !c.sharedOK() {
		return 0, false
	}
	ctx, cancel := c.sharedContext(ctx)
	defer cancel()
	b, tags, ok, err := c.shared.get(ctx, key)
	if err == nil && ok {
		// Kept in memory as read at gen, noted before Redis was asked:
		// an invalidation that arrives after is newer.
		c.local.put(key, b, gen, tags)
		c.stats.sharedHits.Add(1)
		c.serve(w, b)
		return -1, false
	}
	var g uint64
	if err == nil {
		g, err = c.shared.snapshot(ctx)
	}
	if err != nil {
		c.sharedFailed(ctx, err)
		return 0, false
	}
	return int64(g), true
}

// sharedContext bounds a Redis call: a slow Redis must not slow requests.
func (c *Cache) sharedContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), c.opts.RedisTimeout())
}

// eligible reports whether r may be answered from the cache: anonymous,
// without a credential of any kind.
func (c *Cache) eligible(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	if _, ok := r.Header["Authorization"]; ok {
		return false
	}
	if c.opts.CookieName != "" && len(r.CookiesNamed(c.opts.CookieName)) > 0 {
		return false
	}
	_, signedIn := viewer.FromContext(r.Context())
	return !signedIn
}

// key names a request's response: the API version and the body as sent.
func (c *Cache) key(body []byte) string {
	h := sha256.New()
	h.Write([]byte(c.opts.Version))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func (c *Cache) mark(w http.ResponseWriter, v string) {
	if c.opts.Header {
		w.Header().Set("X-Cache", v)
	}
}

func (c *Cache) serve(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	c.mark(w, "hit")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// capture passes a response on and keeps a copy of it up to limit bytes.
type capture struct {
	http.ResponseWriter
	limit    int
	status   int
	buf      bytes.Buffer
	overflow bool
}

func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if !c.overflow {
		if c.buf.Len()+len(b) > c.limit {
			c.overflow = true
			c.buf = bytes.Buffer{}
		} else {
			c.buf.Write(b)
		}
	}
	return c.ResponseWriter.Write(b)
}

func (c *capture) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// defaultRedisTimeout bounds each Redis call when Options leave it zero.
const defaultRedisTimeout = 50 * time.Millisecond

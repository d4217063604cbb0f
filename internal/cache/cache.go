package cache

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configure a Cache.
type Options struct {
	// TTL bounds how long an entry lives, whatever happens (> 0).
	TTL time.Duration
	// MaxBytes bounds the memory the entries of this process take (> 0).
	MaxBytes int64
	// MaxEntryBytes is the largest response stored (1 MiB when zero).
	MaxEntryBytes int
	// Version names the API and the build: responses of another version
	// are never served (it is part of every key).
	Version string
	// CookieName is the session cookie; a request carrying it is never
	// answered from the cache.
	CookieName string
	// Header adds X-Cache: hit|miss to cacheable requests (dev and stage).
	Header bool
	// Redis, when set, is the shared cache and the invalidation channel;
	// each call to it gives up after RedisCallTimeout (50 ms when zero).
	Redis            *redis.Client
	RedisCallTimeout time.Duration
	// Namespace prefixes Redis keys and the channel ("lectern" when
	// empty).
	Namespace string
	// Postgres, when set and Redis is not, carries invalidations through
	// LISTEN/NOTIFY: NotifyDB sends, ListenURL is the database URL the
	// listener connects to. Without either, invalidation stays in process
	// (SQLite: one process per database file).
	NotifyDB  *sql.DB
	ListenURL string
	Logger    *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// RedisTimeout is how long one Redis call may take.
func (o Options) RedisTimeout() time.Duration {
	if o.RedisCallTimeout > 0 {
		return o.RedisCallTimeout
	}
	return defaultRedisTimeout
}

// bus tells the other instances about invalidations and hears theirs.
type bus interface {
	name() string
	publish(ctx context.Context, message string, tags []string) error
	listen(ctx context.Context, deliver func(string), up func(bool))
}

// Cache is the public-read cache of one process.
type Cache struct {
	opts   Options
	id     string // names this instance in invalidation messages
	local  *local
	shared *shared // nil without Redis
	bus    bus     // nil in process only
	logger *slog.Logger

	// up is false while the bus is not subscribed: the process then
	// serves from the database only.
	up atomic.Bool
	// sharedDownUntil (unix nanos) skips Redis for a moment after it
	// failed, so a dead Redis costs each request nothing.
	sharedDownUntil atomic.Int64
	publishLogged   atomic.Int64

	pendingMu sync.Mutex
	pending   []string
	retry     chan struct{}
	// unpublished is set while an invalidation waits to be published:
	// the shared cache may then hold what it drops, so it is not read.
	unpublished atomic.Bool

	stop    context.CancelFunc
	done    sync.WaitGroup
	closing atomic.Bool

	stats stats
}

type stats struct {
	hits, sharedHits, misses, stores, staleFills, bypassed atomic.Int64
	invalidations, received, undeclared, redisErrors       atomic.Int64
	publishErrors                                          atomic.Int64
}

// New returns a running cache; Close stops it.
func New(o Options) (*Cache, error) {
	switch {
	case o.TTL <= 0:
		return nil, errors.New("cache: TTL must be positive")
	case o.MaxBytes <= 0:
		return nil, errors.New("cache: MaxBytes must be positive")
	case o.Logger == nil:
		return nil, errors.New("cache: no logger")
	}
	if o.MaxEntryBytes <= 0 {
		o.MaxEntryBytes = 1 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	c := &Cache{opts: o, id: hex.EncodeToString(id[:]), local: newLocal(o.MaxBytes, o.TTL, o.Now),
		logger: o.Logger.With(slog.String("component", "cache")), retry: make(chan struct{}, 1)}
	switch {
	case o.Redis != nil:
		ns := o.Namespace
		if ns == "" {
			ns = "lectern"
		}
		c.shared = &shared{rdb: o.Redis, prefix: ns + ":cache:", ttl: o.TTL}
		c.bus = redisBus{s: c.shared}
	case o.NotifyDB != nil && o.ListenURL != "":
		c.bus = pgBus{db: o.NotifyDB, url: o.ListenURL}
	default:
		c.up.Store(true) // nothing to hear from
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	if c.bus != nil {
		c.done.Add(2)
		go func() { defer c.done.Done(); c.bus.listen(ctx, c.deliver, c.subscribed) }()
		go func() { defer c.done.Done(); c.republish(ctx) }()
	}
	return c, nil
}

// Close stops listening; the cache answers nothing after it.
func (c *Cache) Close() {
	c.closing.Store(true)
	c.stop()
	c.done.Wait()
	c.up.Store(false)
}

// Ready reports whether the cache serves from memory: always in process
// only, otherwise while its invalidation channel is subscribed.
func (c *Cache) Ready() bool { return c.up.Load() }

// subscribed follows the bus: on (re)subscription everything in memory is
// dropped, since invalidations may have been missed while it was down.
func (c *Cache) subscribed(ok bool) {
	if ok {
		c.local.invalidate([]string{everything})
		if !c.up.Swap(true) {
			c.logger.Info("cache invalidation channel subscribed", slog.String("bus", c.bus.name()))
		}
		return
	}
	if c.up.Swap(false) && !c.closing.Load() {
		c.logger.Warn("cache invalidation channel lost; serving from the database until it is back", slog.String("bus", c.bus.name()))
	}
}

// deliver applies an invalidation another instance published.
func (c *Cache) deliver(message string) {
	from, tags, ok := strings.Cut(message, " ")
	if !ok || from == c.id {
		return
	}
	c.stats.received.Add(1)
	c.local.invalidate(strings.Fields(tags))
}

// UndeclaredWrite is the log message of a write to public tables that
// declared no tags.
const UndeclaredWrite = "a write to public tables declared no cache tags; dropping the whole cache"

type requestKey struct{}

// WithRequest marks ctx as serving an API request, whose writes must
// declare their tags (see Written).
func WithRequest(ctx context.Context) context.Context {
	return context.WithValue(ctx, requestKey{}, true)
}

func fromRequest(ctx context.Context) bool {
	v, _ := ctx.Value(requestKey{}).(bool)
	return v
}

// Written is what the database reports after a committed write to one of
// Tables (see database.DB.Watch): the tags its writer declared, with
// Catalogue, are invalidated; nothing when it declared none (Tx.Touch()),
// everything when it declared nothing at all.
func (c *Cache) Written(ctx context.Context, tables, tags []string, declared bool) {
	if !declared {
		c.stats.undeclared.Add(1)
		// From a request it is a writer that forgot its tags (a bug the
		// tests look for); outside one (a command, a test fixture) it is
		// expected.
		level := slog.LevelWarn
		if fromRequest(ctx) {
			level = slog.LevelError
		}
		c.logger.Log(ctx, level, UndeclaredWrite, slog.Any("tables", tables))
		c.Invalidate(ctx, everything)
		return
	}
	if len(tags) == 0 {
		return // declared as changing nothing a public reader sees
	}
	c.Invalidate(ctx, append(slices.Clip(tags), Catalogue)...)
}

// Invalidate drops every entry tagged with one of tags, here at once and
// on the other instances through the bus. A publication that fails is
// retried until it succeeds; meanwhile entries there still expire by TTL.
func (c *Cache) Invalidate(ctx context.Context, tags ...string) {
	tags = compact(tags)
	if len(tags) == 0 {
		return
	}
	c.stats.invalidations.Add(1)
	c.local.invalidate(tags)
	if c.bus == nil {
		return
	}
	err := c.publish(ctx, tags)
	if err != nil {
		c.pendingMu.Lock()
		c.pending = append(c.pending, tags...)
		c.unpublished.Store(true)
		c.pendingMu.Unlock()
		select {
		case c.retry <- struct{}{}:
		default:
		}
	}
	// A read while the publication was on its way may have copied an entry
	// from Redis that predates it; what memory holds must not outlive the
	// write, and this instance ignores its own message, so drop it again.
	c.local.invalidate(tags)
}

func (c *Cache) publish(ctx context.Context, tags []string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	err := c.bus.publish(ctx, c.id+" "+strings.Join(tags, " "), tags)
	if err != nil {
		c.stats.publishErrors.Add(1)
		// One line a second at most: a dead Redis fails every write.
		now := c.opts.Now().UnixNano()
		if last := c.publishLogged.Load(); now-last >= int64(time.Second) && c.publishLogged.CompareAndSwap(last, now) {
			c.logger.WarnContext(ctx, "publishing a cache invalidation failed; retrying", slog.String("error", err.Error()))
		}
	}
	return err
}

// republish retries failed publications until they go through.
func (c *Cache) republish(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.retry:
		}
		for ctx.Err() == nil {
			c.pendingMu.Lock()
			tags := compact(c.pending)
			c.pending = nil
			c.pendingMu.Unlock()
			if len(tags) == 0 || c.publish(ctx, tags) == nil {
				c.pendingMu.Lock()
				if len(c.pending) == 0 {
					c.unpublished.Store(false)
				}
				c.pendingMu.Unlock()
				break
			}
			c.pendingMu.Lock()
			c.pending = append(c.pending, tags...)
			c.pendingMu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
}

// sharedOK reports whether Redis is worth asking now.
func (c *Cache) sharedOK() bool {
	return c.shared != nil && !c.unpublished.Load() && c.opts.Now().UnixNano() >= c.sharedDownUntil.Load()
}

// sharedFailed notes a Redis failure: it is counted, logged once, and
// Redis is left alone for a second.
func (c *Cache) sharedFailed(ctx context.Context, err error) {
	c.stats.redisErrors.Add(1)
	until := c.opts.Now().Add(time.Second).UnixNano()
	if prev := c.sharedDownUntil.Swap(until); prev < c.opts.Now().UnixNano() {
		c.logger.WarnContext(ctx, "shared cache unavailable; answering from memory and the database", slog.String("error", err.Error()))
	}
}

// Stats returns the cache's counters, for the diagnostics listener.
func (c *Cache) Stats() map[string]int64 {
	s := &c.stats
	return map[string]int64{
		"cache_hits": s.hits.Load(), "cache_shared_hits": s.sharedHits.Load(), "cache_misses": s.misses.Load(),
		"cache_stores": s.stores.Load(), "cache_stale_fills": s.staleFills.Load(), "cache_bypassed": s.bypassed.Load(),
		"cache_invalidations": s.invalidations.Load(), "cache_invalidations_received": s.received.Load(),
		"cache_undeclared_writes": s.undeclared.Load(), "cache_redis_errors": s.redisErrors.Load(),
		"cache_publish_errors": s.publishErrors.Load(), "cache_entries": int64(c.local.size()),
	}
}

// compact returns tags sorted, without repeats or empty strings.
func compact(tags []string) []string {
	out := slices.Clone(tags)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	return out
}

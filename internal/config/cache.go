package config

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Cache settings.
const (
	VarCacheTTL       = "CACHE_TTL"
	VarCacheMaxBytes  = "CACHE_MAX_BYTES"
	VarRedisURL       = "REDIS_URL"
	VarRedisTimeout   = "REDIS_TIMEOUT"
	VarCacheNamespace = "CACHE_NAMESPACE"
)

// Cache defaults and limits. Entries are invalidated by writes; the TTL is
// only the backstop for an invalidation that never arrived.
const (
	DefaultCacheTTL       = 5 * time.Minute
	DefaultCacheMaxBytes  = 64 << 20
	DefaultRedisTimeout   = 50 * time.Millisecond
	DefaultCacheNamespace = "lectern"

	maxCacheTTL      = 24 * time.Hour
	minCacheMaxBytes = 1 << 20
	maxCacheMaxBytes = 16 << 30
	minRedisTimeout  = time.Millisecond
	maxRedisTimeout  = 5 * time.Second
)

// CacheConfig is the public-read cache (internal/cache).
type CacheConfig struct {
	// TTL bounds an entry's life (CACHE_TTL); 0 turns the cache off.
	TTL time.Duration
	// MaxBytes bounds the memory one process gives entries
	// (CACHE_MAX_BYTES, a size such as 64MiB).
	MaxBytes int64
	// RedisURL is the shared cache and invalidation channel, redis:// or
	// rediss:// (REDIS_URL); empty means none. It may hold a password:
	// log it only through RedactURL.
	RedisURL string
	// RedisTimeout bounds each Redis call (REDIS_TIMEOUT): a slow Redis
	// costs a request at most this, and it is then answered from memory
	// or the database.
	RedisTimeout time.Duration
	// Namespace prefixes every Redis key and channel (CACHE_NAMESPACE):
	// deployments that share a Redis but not a database need different
	// ones.
	Namespace string
}

// On reports whether the cache is on.
func (c CacheConfig) On() bool { return c.TTL > 0 }

func (l *loader) cache() CacheConfig {
	c := CacheConfig{
		TTL:          l.duration(VarCacheTTL, DefaultCacheTTL, 0, maxCacheTTL),
		MaxBytes:     DefaultCacheMaxBytes,
		RedisURL:     l.redisURL(),
		RedisTimeout: l.duration(VarRedisTimeout, DefaultRedisTimeout, minRedisTimeout, maxRedisTimeout),
		Namespace:    DefaultCacheNamespace,
	}
	if v := l.lookup(VarCacheNamespace); v != "" {
		if !namespacePattern.MatchString(v) {
			l.reject(VarCacheNamespace, "%q must be 1-40 of a-z, 0-9, - and _", v)
		}
		c.Namespace = v
	}
	if v := l.lookup(VarCacheMaxBytes); v != "" {
		n, ok := parseBytes(v)
		switch {
		case !ok:
			l.reject(VarCacheMaxBytes, "%q is not a size such as 64MiB (units B, KiB, MiB, GiB)", v)
		case n < minCacheMaxBytes || n > maxCacheMaxBytes:
			l.reject(VarCacheMaxBytes, "%q is outside 1MiB..16GiB", v)
		default:
			c.MaxBytes = n
		}
	}
	return c
}

var namespacePattern = regexp.MustCompile(`^[a-z0-9_-]{1,40}$`)

func (l *loader) redisURL() string {
	v := l.lookup(VarRedisURL)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil {
		l.reject(VarRedisURL, "is not a URL")
		return v
	}
	if s := strings.ToLower(u.Scheme); s != "redis" && s != "rediss" {
		l.reject(VarRedisURL, "%q must be redis://host:port[/db] or rediss://…", RedactURL(v))
		return v
	}
	if u.Hostname() == "" {
		l.reject(VarRedisURL, "%q has no host", RedactURL(v))
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			l.reject(VarRedisURL, "%q names database %q; want a number", RedactURL(v), db)
		}
	}
	return v
}

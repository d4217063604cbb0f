package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/redis/go-redis/v9"
	"github.com/vektah/gqlparser/v2/formatter"

	"lectern/graph"
	"lectern/internal/cache"
	"lectern/internal/config"
	"lectern/internal/database"
)

// buildCache starts the public-read cache cfg asks for (none when
// CACHE_TTL is 0) and has db report committed writes to it.
func (a *App) buildCache(cfg config.Config, db *database.DB, logger *slog.Logger) error {
	if !cfg.Cache.On() {
		return nil
	}
	name, _ := cfg.SessionCookie()
	o := cache.Options{
		TTL:              cfg.Cache.TTL,
		MaxBytes:         cfg.Cache.MaxBytes,
		Version:          apiVersion(),
		CookieName:       name,
		Header:           cfg.Env != config.EnvProd,
		RedisCallTimeout: cfg.Cache.RedisTimeout,
		Namespace:        cfg.Cache.Namespace,
		Logger:           logger,
	}
	switch {
	case cfg.Cache.RedisURL != "":
		ro, err := redis.ParseURL(cfg.Cache.RedisURL)
		if err != nil {
			return fmt.Errorf("cache: %s: %w", config.VarRedisURL, err)
		}
		// Calls fail fast and are not retried: the database is the
		// fallback, and a request must not wait on a sick Redis.
		ro.DialTimeout = cfg.Cache.RedisTimeout
		ro.ReadTimeout = cfg.Cache.RedisTimeout
		ro.WriteTimeout = cfg.Cache.RedisTimeout
		ro.PoolTimeout = cfg.Cache.RedisTimeout
		ro.MaxRetries = -1
		o.Redis = redis.NewClient(ro)
	case db.Dialect == database.Postgres:
		o.NotifyDB, o.ListenURL = db.SQL, cfg.DatabaseURL
	}
	c, err := cache.New(o)
	if err != nil {
		return err
	}
	a.Cache = c
	a.unwatch = db.Watch(cache.Tables, func(ctx context.Context, ch database.Change) {
		c.Written(ctx, ch.Tables, ch.Tags, ch.Declared)
	})
	return nil
}

// apiVersion names the responses this build gives: the endpoint's
// version, the schema and the build. Instances of another build sharing a
// Redis never serve each other's entries.
func apiVersion() string {
	var schema bytes.Buffer
	formatter.NewFormatter(&schema).FormatSchema(graph.NewExecutableSchema(graph.Config{}).Schema())
	h := sha256.New()
	h.Write(schema.Bytes())
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				h.Write([]byte(s.Key + "=" + s.Value))
			}
		}
	}
	return "v1/" + hex.EncodeToString(h.Sum(nil))[:16]
}

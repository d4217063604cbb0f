package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/sealed"
)

// DefaultRedisURL is the test Redis when TEST_REDIS_URL is unset.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// Redis returns the URL of the test Redis server (TEST_REDIS_URL, else
// DefaultRedisURL) once it answers a PING. When it does not, the test is
// skipped, or failed when CI is set. Other test processes share the
// server: give every test a Namespace of its own, and never flush it.
func Redis(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_REDIS_URL")
	if u == "" {
		u = DefaultRedisURL
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("TEST_REDIS_URL %q: %v", config.RedactURL(u), err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Redis at %s is unreachable (%v); CI must run the cache tests against a real Redis", config.RedactURL(u), err)
		}
		t.Skipf("Redis at %s is unreachable (%v): Redis tests skipped", config.RedactURL(u), err)
	}
	return u
}

// Namespace returns a CACHE_NAMESPACE no other test (of this process or
// another) uses: lower case, of a-z, 0-9, - and _, at most 40 characters,
// made of a prefix of the test's name and random characters. When the test
// ends, the keys it left under it in the test Redis are deleted (if Redis
// answers).
func Namespace(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		if b.Len() >= 18 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '/', r == '_', r == '-':
			b.WriteByte('-')
		}
	}
	random := make([]byte, 8)
	_, _ = rand.Read(random)
	ns := "t-" + b.String() + "-" + hex.EncodeToString(random) // ≤ 2+18+1+16 = 37
	t.Cleanup(func() { deleteNamespace(ns) })
	return ns
}

// deleteNamespace deletes the keys under ns from the test Redis, quietly
// giving up when it cannot reach it.
func deleteNamespace(ns string) {
	u := os.Getenv("TEST_REDIS_URL")
	if u == "" {
		u = DefaultRedisURL
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		return
	}
	opts.DialTimeout = 500 * time.Millisecond
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, ns+":*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if iter.Err() != nil {
		return
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if rdb.Unlink(ctx, keys[:n]...).Err() != nil {
			return
		}
		keys = keys[n:]
	}
}

// NewCachedClient is NewClient with the configuration changed by edit
// before the app is built (the cache settings, DATABASE_URL for
// LISTEN/NOTIFY), returning the App as well, for its Cache. Unlike
// NewClient it leaves the dataloaders' batching window at the app's
// default unless opts set it. The App is closed (its cache's listeners
// stopped) when the test ends, before db is closed if db was opened
// earlier in the test.
func NewCachedClient(t testing.TB, db *database.DB, edit func(*config.Config), opts ...app.Option) (*Client, *app.App) {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.Storage.Dir = t.TempDir()
	cfg.TOTPEncryptionKeys = []sealed.Key{TOTPKey()}
	if edit != nil {
		edit(&cfg)
	}
	logs := &Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.Build(cfg, db, logger, opts...)
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	t.Cleanup(a.Close)
	return &Client{t: t, Handler: a.Handler, Logs: logs}, a
}

// FreshURL is Fresh, giving the database's URL instead of opening it, for
// tests that open one database more than once (two instances of the app,
// each with its own connection pool, or a DATABASE_URL for LISTEN/NOTIFY).
// The database is the calling test's alone and goes away when it ends;
// open it with OpenURL so that it is closed first.
func FreshURL(t testing.TB, dialect string, fixture ...*Fixture) string {
	t.Helper()
	f := Empty
	switch len(fixture) {
	case 0:
	case 1:
		f = fixture[0]
	default:
		t.Fatalf("FreshURL takes one fixture, got %d", len(fixture))
	}
	if dialect == database.Postgres {
		return f.postgresDatabase(t)
	}
	path := filepath.Join(t.TempDir(), "test.db")
	if err := copySQLite(f.template(t, dialect).source, path); err != nil {
		t.Fatalf("copy the %s template: %v", f.name, err)
	}
	return "sqlite:" + path
}

// OpenURL opens the database at url (as FreshURL gives it) and closes it
// when the test ends.
func OpenURL(t testing.TB, url string) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open %s: %v", config.RedactDatabaseURL(url), err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

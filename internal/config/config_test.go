package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"lectern/internal/sealed"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func mustLoad(t *testing.T, vars map[string]string) Config {
	t.Helper()
	c, err := Load(envOf(vars))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func loadProblems(t *testing.T, vars map[string]string) []string {
	t.Helper()
	_, err := Load(envOf(vars))
	if err == nil {
		t.Fatalf("Load(%v) succeeded, want problems", vars)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Load error %T is not *ValidationError: %v", err, err)
	}
	return ve.Problems
}

const pgURL = "postgres://lectern:s3cret@db.internal:5432/lectern?sslmode=require"

// Settings stage and prod require besides DATABASE_URL.
const (
	siteURL = "https://courses.example.com"
	smtpURL = "smtps://mailer:m41lpw@mail.example.com"
	// totpKeys is one key, k1, of 32 bytes 0x0b.
	totpKeys = "k1:CwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCws="
	// storageKey is 32 bytes 'S' (0x53) in base64; "U1NT" is how it
	// starts, which no problem or log line may contain.
	storageKey = "U1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1M="
	apiURL     = "https://api.courses.example.com"
)

// storageKeyBytes is storageKey decoded.
var storageKeyBytes = bytes.Repeat([]byte("S"), 32)

// deployed returns vars for env with the settings stage and prod require,
// plus extra (which may override them).
func deployed(env string, extra map[string]string) map[string]string {
	vars := map[string]string{"APP_ENV": env, "DATABASE_URL": pgURL, "PUBLIC_BASE_URL": siteURL, "SMTP_URL": smtpURL,
		"TOTP_ENCRYPTION_KEYS": totpKeys, "STORAGE_SIGNING_KEY": storageKey, "API_BASE_URL": apiURL}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

// TestGraphQLExposure: introspection, suggestions and HSTS follow the
// environment; prod can turn introspection back on.
// defaultGC is the GC budget when GOGC and GOMEMLIMIT are unset.
var defaultGC = GCBudget{Percent: DefaultGCPercent, MemoryLimit: math.MaxInt64}

// defaultAdmission is the GraphQL admission bound when its variables are
// unset.
var defaultAdmission = AdmissionConfig{Concurrency: DefaultGraphQLConcurrency(), QueueTimeout: DefaultGraphQLQueueTimeout}

var defaultCache = CacheConfig{TTL: DefaultCacheTTL, MaxBytes: DefaultCacheMaxBytes, RedisTimeout: DefaultRedisTimeout, Namespace: DefaultCacheNamespace}

// defaultStorage is the object store when STORAGE_URL and DATA_DIR are unset.
var defaultStorage = StorageConfig{Driver: StorageFile, Dir: filepath.Join("data", "blobs"), DailyUploadBytes: DefaultUploadDailyBytes}

// deployedStorage is the object store of deployed(env, nil).
var deployedStorage = StorageConfig{Driver: StorageFile, Dir: filepath.Join("data", "blobs"), SigningKey: storageKeyBytes,
	DailyUploadBytes: DefaultUploadDailyBytes}

func TestGraphQLExposure(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		vars                         map[string]string
		introspection, suggest, hsts bool
	}{
		{"dev", nil, true, true, false},
		{"stage", deployed("stage", nil), true, true, true},
		{"prod", deployed("prod", nil), false, false, true},
		{"prod with introspection", deployed("prod", map[string]string{"GRAPHQL_INTROSPECTION": "true"}), true, false, true},
		{"dev without introspection", map[string]string{"GRAPHQL_INTROSPECTION": "false"}, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustLoad(t, tc.vars)
			if c.GraphQLIntrospection != tc.introspection || c.GraphQLSuggestions() != tc.suggest || c.StrictTransportSecurity() != tc.hsts {
				t.Errorf("introspection %v, suggestions %v, HSTS %v; want %v, %v, %v",
					c.GraphQLIntrospection, c.GraphQLSuggestions(), c.StrictTransportSecurity(), tc.introspection, tc.suggest, tc.hsts)
			}
		})
	}
	if problems := loadProblems(t, map[string]string{"GRAPHQL_INTROSPECTION": "maybe"}); len(problems) != 1 || !strings.HasPrefix(problems[0], "GRAPHQL_INTROSPECTION: ") {
		t.Errorf("problems = %q, want one about GRAPHQL_INTROSPECTION", problems)
	}
}

func TestLoadDefaults(t *testing.T) {
	k1, err := sealed.NewKey("k1", bytes.Repeat([]byte{0x0b}, sealed.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		vars map[string]string
		want Config
	}{
		{
			name: "dev",
			vars: nil,
			want: Config{
				Env: EnvDev, HTTPAddr: "127.0.0.1:8080", DataDir: "./data",
				LogLevel: slog.LevelInfo, LogFormat: "text",
				ShutdownTimeout: 15 * time.Second, SeedDemoData: true,
				RequestTimeout: 30 * time.Second, MaxBodyBytes: 1048576, Admission: defaultAdmission,
				PublicBaseURL: "http://127.0.0.1:8080", MailFrom: "Lectern <no-reply@localhost>",
				SessionIdleTimeout: 30 * time.Minute, SessionMaxAge: 12 * time.Hour,
				GraphQLIntrospection: true, GC: defaultGC, Cache: defaultCache, Storage: defaultStorage,
				APIBaseURL: "http://127.0.0.1:8080", ReconcileInterval: time.Hour,
				JobRescueAfter: time.Hour,
			},
		},
		{
			name: "stage",
			vars: deployed("stage", nil),
			want: Config{
				Env: EnvStage, HTTPAddr: "127.0.0.1:8080", DatabaseURL: pgURL, DataDir: "./data",
				LogLevel: slog.LevelInfo, LogFormat: "json",
				ShutdownTimeout: 15 * time.Second,
				RequestTimeout:  30 * time.Second, MaxBodyBytes: 1048576, Admission: defaultAdmission,
				PublicBaseURL: siteURL, MailFrom: "Lectern <no-reply@courses.example.com>", SMTPURL: smtpURL,
				SessionIdleTimeout: 30 * time.Minute, SessionMaxAge: 12 * time.Hour,
				GraphQLIntrospection: true, TOTPEncryptionKeys: []sealed.Key{k1}, GC: defaultGC, Cache: defaultCache, Storage: deployedStorage,
				APIBaseURL: apiURL, ReconcileInterval: time.Hour,
				JobRescueAfter: time.Hour,
			},
		},
		{
			name: "prod with whitespace around values",
			vars: deployed(" prod\n", map[string]string{"DATABASE_URL": " " + pgURL + " ", "PUBLIC_BASE_URL": " " + siteURL + "/ "}),
			want: Config{
				Env: EnvProd, HTTPAddr: "127.0.0.1:8080", DatabaseURL: pgURL, DataDir: "./data",
				LogLevel: slog.LevelInfo, LogFormat: "json",
				ShutdownTimeout: 15 * time.Second,
				RequestTimeout:  30 * time.Second, MaxBodyBytes: 1048576, Admission: defaultAdmission,
				PublicBaseURL: siteURL, MailFrom: "Lectern <no-reply@courses.example.com>", SMTPURL: smtpURL,
				SessionIdleTimeout: 30 * time.Minute, SessionMaxAge: 12 * time.Hour,
				TOTPEncryptionKeys: []sealed.Key{k1}, GC: defaultGC, Cache: defaultCache, Storage: deployedStorage,
				APIBaseURL: apiURL, ReconcileInterval: time.Hour,
				JobRescueAfter: time.Hour,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustLoad(t, tt.vars); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Load() =\n %#v\nwant\n %#v", got, tt.want)
			}
		})
	}
}

func TestLoadValidValues(t *testing.T) {
	tests := []struct {
		name  string
		vars  map[string]string
		check func(Config) bool
	}{
		{"env upper case", map[string]string{"APP_ENV": "DEV"}, func(c Config) bool { return c.Env == EnvDev }},
		{"addr all interfaces", map[string]string{"HTTP_ADDR": ":9000"}, func(c Config) bool { return c.HTTPAddr == ":9000" }},
		{"addr ipv6", map[string]string{"HTTP_ADDR": "[::1]:65535"}, func(c Config) bool { return c.HTTPAddr == "[::1]:65535" }},
		{"debug off by default", nil, func(c Config) bool { return c.DebugAddr == "" }},
		{"graphql admission defaults", nil, func(c Config) bool {
			return c.Admission == defaultAdmission && c.Admission.Concurrency == 2*runtime.GOMAXPROCS(0)
		}},
		{"graphql admission set", map[string]string{"GRAPHQL_CONCURRENCY": "16", "GRAPHQL_QUEUE_TIMEOUT": "250ms"}, func(c Config) bool {
			return c.Admission == AdmissionConfig{Concurrency: 16, QueueTimeout: 250 * time.Millisecond}
		}},
		{"graphql admission unbounded", map[string]string{"GRAPHQL_CONCURRENCY": "0", "REQUEST_TIMEOUT": "5s", "GRAPHQL_QUEUE_TIMEOUT": "10s"},
			func(c Config) bool { return c.Admission.Concurrency == 0 }},
		{"graphql queue timeout up to the request's", map[string]string{"REQUEST_TIMEOUT": "5s", "GRAPHQL_QUEUE_TIMEOUT": "5s"}, func(c Config) bool {
			return c.Admission.QueueTimeout == 5*time.Second
		}},
		{"gc defaults", nil, func(c Config) bool { return c.GC.Percent == DefaultGCPercent && c.GC.MemoryLimit == math.MaxInt64 }},
		{"gogc off", map[string]string{"GOGC": "off"}, func(c Config) bool { return c.GC.Percent < 0 }},
		{"gogc set", map[string]string{"GOGC": "50"}, func(c Config) bool { return c.GC.Percent == 50 }},
		{"gomemlimit MiB", map[string]string{"GOMEMLIMIT": "512MiB"}, func(c Config) bool { return c.GC.MemoryLimit == 512<<20 }},
		{"gomemlimit bytes", map[string]string{"GOMEMLIMIT": "1000"}, func(c Config) bool { return c.GC.MemoryLimit == 1000 }},
		{"gomemlimit off", map[string]string{"GOMEMLIMIT": "off"}, func(c Config) bool { return c.GC.MemoryLimit == math.MaxInt64 }},
		{"debug on loopback", map[string]string{"DEBUG_ADDR": "localhost:6060"}, func(c Config) bool { return c.DebugAddr == "localhost:6060" }},
		{"debug on ipv6 loopback", map[string]string{"DEBUG_ADDR": "[::1]:6060"}, func(c Config) bool { return c.DebugAddr == "[::1]:6060" }},
		{"cache off", map[string]string{"CACHE_TTL": "0"}, func(c Config) bool { return !c.Cache.On() }},
		{"cache settings", map[string]string{"CACHE_TTL": "30s", "CACHE_MAX_BYTES": "256MiB", "REDIS_URL": "rediss://:pw@cache.internal:6380/2",
			"REDIS_TIMEOUT": "5ms", "CACHE_NAMESPACE": "lectern-eu"}, func(c Config) bool {
			return c.Cache == CacheConfig{TTL: 30 * time.Second, MaxBytes: 256 << 20, RedisURL: "rediss://:pw@cache.internal:6380/2",
				RedisTimeout: 5 * time.Millisecond, Namespace: "lectern-eu"}
		}},
		{"level debug", map[string]string{"LOG_LEVEL": "debug"}, func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
		{"level warn", map[string]string{"LOG_LEVEL": "WARN"}, func(c Config) bool { return c.LogLevel == slog.LevelWarn }},
		{"level error", map[string]string{"LOG_LEVEL": "error"}, func(c Config) bool { return c.LogLevel == slog.LevelError }},
		{"json in dev", map[string]string{"LOG_FORMAT": "json"}, func(c Config) bool { return c.LogFormat == "json" }},
		{"text in prod", deployed("prod", map[string]string{"LOG_FORMAT": "text"}), func(c Config) bool { return c.LogFormat == "text" }},
		{"seed off in dev", map[string]string{"SEED_DEMO_DATA": "false"}, func(c Config) bool { return !c.SeedDemoData }},
		{"seed explicitly off in prod", deployed("prod", map[string]string{"SEED_DEMO_DATA": "0"}), func(c Config) bool { return !c.SeedDemoData }},
		{"assets dir", map[string]string{"PLAYGROUND_ASSETS_DIR": "/srv/pg"}, func(c Config) bool { return c.PlaygroundAssetsDir == "/srv/pg" }},
		{"shutdown min", map[string]string{"SHUTDOWN_TIMEOUT": "1s"}, func(c Config) bool { return c.ShutdownTimeout == time.Second }},
		{"shutdown max", map[string]string{"SHUTDOWN_TIMEOUT": "5m"}, func(c Config) bool { return c.ShutdownTimeout == 5*time.Minute }},
		{"request timeout", map[string]string{"REQUEST_TIMEOUT": "2m"}, func(c Config) bool { return c.RequestTimeout == 2*time.Minute }},
		{"body min", map[string]string{"MAX_BODY_BYTES": "1024"}, func(c Config) bool { return c.MaxBodyBytes == 1024 }},
		{"body max", map[string]string{"MAX_BODY_BYTES": "67108864"}, func(c Config) bool { return c.MaxBodyBytes == 64<<20 }},
		{"empty means default", map[string]string{"MAX_BODY_BYTES": "  "}, func(c Config) bool { return c.MaxBodyBytes == 1<<20 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c := mustLoad(t, tt.vars); !tt.check(c) {
				t.Errorf("unexpected config %s", c)
			}
		})
	}
}

func TestLoadInvalidValues(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"env unknown", map[string]string{"APP_ENV": "production"}, `APP_ENV: "production" is not one of dev, stage, prod`},
		{"addr no port", map[string]string{"HTTP_ADDR": "localhost"}, `HTTP_ADDR: "localhost" is not host:port`},
		{"addr port zero", map[string]string{"HTTP_ADDR": "127.0.0.1:0"}, `HTTP_ADDR: "127.0.0.1:0" has invalid port "0" (want 1-65535)`},
		{"addr port too big", map[string]string{"HTTP_ADDR": ":65536"}, `HTTP_ADDR: ":65536" has invalid port "65536" (want 1-65535)`},
		{"addr named port", map[string]string{"HTTP_ADDR": "localhost:http"}, `HTTP_ADDR: "localhost:http" has invalid port "http" (want 1-65535)`},
		{"db mysql", map[string]string{"DATABASE_URL": "mysql://root@db/lectern"}, `DATABASE_URL: "mysql://root@db/lectern" has an unsupported scheme`},
		{"db bare path", map[string]string{"DATABASE_URL": "data/lectern.db"}, `DATABASE_URL: "[withheld]" has no scheme`},
		{"db opaque postgres", map[string]string{"DATABASE_URL": "postgres:db/lectern"}, `DATABASE_URL: "postgres:[withheld]" must start with postgres://`},
		{"db bad postgres url", map[string]string{"DATABASE_URL": "postgres://u:p@host:port/db"}, `DATABASE_URL: "[withheld]" is not a valid URL`},
		{"sqlite empty path", map[string]string{"DATABASE_URL": "sqlite:"}, `DATABASE_URL: "sqlite:" has no file path`},
		{"sqlite query", map[string]string{"DATABASE_URL": "file:x.db?mode=ro"}, `DATABASE_URL: "file:x.db?mode=ro" has query parameters`},
		{"sqlite remote host", map[string]string{"DATABASE_URL": "sqlite://db.example/x.db"}, `DATABASE_URL: "sqlite://db.example/x.db" names host "db.example"`},
		{"data dir nul", map[string]string{"DATA_DIR": "a\x00b"}, `DATA_DIR: "a\x00b" contains a NUL byte`},
		{"cache ttl negative", map[string]string{"CACHE_TTL": "-1s"}, `CACHE_TTL: "-1s" is outside`},
		{"cache ttl word", map[string]string{"CACHE_TTL": "forever"}, `CACHE_TTL: "forever" is not a duration`},
		{"cache bytes tiny", map[string]string{"CACHE_MAX_BYTES": "1KiB"}, `CACHE_MAX_BYTES: "1KiB" is outside 1MiB..16GiB`},
		{"cache bytes word", map[string]string{"CACHE_MAX_BYTES": "lots"}, `CACHE_MAX_BYTES: "lots" is not a size`},
		{"redis scheme", map[string]string{"REDIS_URL": "http://cache:6379"}, `REDIS_URL: "http://cache:6379" must be redis://`},
		{"redis no host", map[string]string{"REDIS_URL": "redis://"}, `REDIS_URL: "redis:" has no host`},
		{"redis db", map[string]string{"REDIS_URL": "redis://cache:6379/x"}, `REDIS_URL: "redis://cache:6379/x" names database "x"`},
		{"redis timeout", map[string]string{"REDIS_TIMEOUT": "1m"}, `REDIS_TIMEOUT: "1m" is outside`},
		{"cache namespace", map[string]string{"CACHE_NAMESPACE": "Bad Space"}, `CACHE_NAMESPACE: "Bad Space" must be`},
		{"debug addr public", map[string]string{"DEBUG_ADDR": "0.0.0.0:6060"}, `DEBUG_ADDR: "0.0.0.0:6060" must be a loopback address`},
		{"debug addr host name", map[string]string{"DEBUG_ADDR": "debug.example:6060"}, `DEBUG_ADDR: "debug.example:6060" must be a loopback address`},
		{"debug addr no port", map[string]string{"DEBUG_ADDR": "127.0.0.1"}, `DEBUG_ADDR: "127.0.0.1" is not host:port`},
		{"debug addr bad port", map[string]string{"DEBUG_ADDR": "[::1]:0"}, `DEBUG_ADDR: "[::1]:0" has invalid port "0"`},
		{"graphql concurrency word", map[string]string{"GRAPHQL_CONCURRENCY": "many"}, `GRAPHQL_CONCURRENCY: "many" is not a whole number`},
		{"graphql concurrency negative", map[string]string{"GRAPHQL_CONCURRENCY": "-1"}, `GRAPHQL_CONCURRENCY: "-1" is outside 0..10000`},
		{"graphql concurrency huge", map[string]string{"GRAPHQL_CONCURRENCY": "100000"}, `GRAPHQL_CONCURRENCY: "100000" is outside 0..10000`},
		{"graphql queue timeout zero", map[string]string{"GRAPHQL_QUEUE_TIMEOUT": "0s"}, `GRAPHQL_QUEUE_TIMEOUT: "0s" is outside`},
		{"graphql queue timeout word", map[string]string{"GRAPHQL_QUEUE_TIMEOUT": "soon"}, `GRAPHQL_QUEUE_TIMEOUT: "soon" is not a duration`},
		{"graphql queue timeout past the request's", map[string]string{"REQUEST_TIMEOUT": "5s", "GRAPHQL_QUEUE_TIMEOUT": "10s"},
			`GRAPHQL_QUEUE_TIMEOUT: "10s" is longer than REQUEST_TIMEOUT (5s)`},
		{"gogc word", map[string]string{"GOGC": "lots"}, `GOGC: "lots" is not a percentage`},
		{"gogc negative", map[string]string{"GOGC": "-5"}, `GOGC: "-5" is not a percentage`},
		{"gomemlimit unit", map[string]string{"GOMEMLIMIT": "2GB"}, `GOMEMLIMIT: "2GB" is not a size`},
		{"gomemlimit overflow", map[string]string{"GOMEMLIMIT": "99999999999TiB"}, `GOMEMLIMIT: "99999999999TiB" is not a size`},
		{"level trace", map[string]string{"LOG_LEVEL": "trace"}, `LOG_LEVEL: "trace" is not one of debug, info, warn, error`},
		{"level offset", map[string]string{"LOG_LEVEL": "info+2"}, `LOG_LEVEL: "info+2" is not one of`},
		{"format logfmt", map[string]string{"LOG_FORMAT": "logfmt"}, `LOG_FORMAT: "logfmt" is not one of text, json`},
		{"allow bad bool", map[string]string{"ALLOW_SQLITE_IN_PRODUCTION": "yes"}, `ALLOW_SQLITE_IN_PRODUCTION: "yes" is not a boolean`},
		{"assets nul", map[string]string{"PLAYGROUND_ASSETS_DIR": "\x00"}, `PLAYGROUND_ASSETS_DIR: "\x00" contains a NUL byte`},
		{"shutdown no unit", map[string]string{"SHUTDOWN_TIMEOUT": "15"}, `SHUTDOWN_TIMEOUT: "15" is not a duration`},
		{"shutdown too short", map[string]string{"SHUTDOWN_TIMEOUT": "500ms"}, `SHUTDOWN_TIMEOUT: "500ms" is outside 1s..5m0s`},
		{"shutdown too long", map[string]string{"SHUTDOWN_TIMEOUT": "6m"}, `SHUTDOWN_TIMEOUT: "6m" is outside 1s..5m0s`},
		{"seed bad bool", map[string]string{"SEED_DEMO_DATA": "sometimes"}, `SEED_DEMO_DATA: "sometimes" is not a boolean`},
		{"seed in stage", deployed("stage", map[string]string{"SEED_DEMO_DATA": "true"}), `SEED_DEMO_DATA: "true" is not allowed in stage`},
		{"seed in prod", deployed("prod", map[string]string{"SEED_DEMO_DATA": "1"}), `SEED_DEMO_DATA: "1" is not allowed in prod`},
		{"request timeout garbage", map[string]string{"REQUEST_TIMEOUT": "soon"}, `REQUEST_TIMEOUT: "soon" is not a duration`},
		{"request timeout negative", map[string]string{"REQUEST_TIMEOUT": "-1s"}, `REQUEST_TIMEOUT: "-1s" is outside 1s..10m0s`},
		{"body not a number", map[string]string{"MAX_BODY_BYTES": "1MiB"}, `MAX_BODY_BYTES: "1MiB" is not a whole number of bytes`},
		{"body too small", map[string]string{"MAX_BODY_BYTES": "1023"}, `MAX_BODY_BYTES: "1023" is outside 1024..67108864`},
		{"body too big", map[string]string{"MAX_BODY_BYTES": "67108865"}, `MAX_BODY_BYTES: "67108865" is outside 1024..67108864`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := loadProblems(t, tt.vars)
			if len(problems) != 1 {
				t.Fatalf("got %d problems, want 1: %q", len(problems), problems)
			}
			if !strings.HasPrefix(problems[0], tt.want) {
				t.Errorf("problem = %q\nwant prefix %q", problems[0], tt.want)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(envOf(map[string]string{
		"APP_ENV":          "production",
		"HTTP_ADDR":        "localhost",
		"DATABASE_URL":     "mysql://root:hunter2@db/lectern",
		"LOG_LEVEL":        "loud",
		"SHUTDOWN_TIMEOUT": "forever",
		"MAX_BODY_BYTES":   "0",
	}))
	want := `config: 6 problems:
  - APP_ENV: "production" is not one of dev, stage, prod
  - HTTP_ADDR: "localhost" is not host:port
  - DATABASE_URL: "mysql://root:xxxxx@db/lectern" has an unsupported scheme (want postgres://, postgresql://, sqlite:PATH or file:PATH)
  - LOG_LEVEL: "loud" is not one of debug, info, warn, error
  - SHUTDOWN_TIMEOUT: "forever" is not a duration (e.g. 15s, 2m)
  - MAX_BODY_BYTES: "0" is outside 1024..67108864`
	if err == nil || err.Error() != want {
		t.Fatalf("Load error =\n%v\nwant\n%s", err, want)
	}
}

func TestLoadSingleProblemWording(t *testing.T) {
	_, err := Load(envOf(map[string]string{"LOG_FORMAT": "xml"}))
	want := "config: 1 problem:\n  - LOG_FORMAT: \"xml\" is not one of text, json"
	if err == nil || err.Error() != want {
		t.Fatalf("Load error = %v, want %q", err, want)
	}
}

func TestLoadSQLiteOutsideDev(t *testing.T) {
	tests := []struct {
		env, dbURL, allow string
		want              string // "" means Load succeeds
	}{
		{"dev", "", "", ""},
		{"stage", "", "", "DATABASE_URL: stage refuses SQLite unless ALLOW_SQLITE_IN_PRODUCTION=true"},
		{"prod", "", "", "DATABASE_URL: prod refuses SQLite unless ALLOW_SQLITE_IN_PRODUCTION=true"},
		{"prod", "sqlite:/var/lib/lectern.db", "false", "DATABASE_URL: prod refuses SQLite unless ALLOW_SQLITE_IN_PRODUCTION=true"},
		{"stage", "file:x.db", "true", ""},
		{"prod", "", "true", ""},
		{"prod", pgURL, "", ""},
		{"stage", "postgresql://db/lectern", "", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %q allow=%q", tt.env, tt.dbURL, tt.allow), func(t *testing.T) {
			vars := deployed(tt.env, map[string]string{"DATABASE_URL": tt.dbURL, "ALLOW_SQLITE_IN_PRODUCTION": tt.allow})
			if tt.want == "" {
				mustLoad(t, vars)
				return
			}
			problems := loadProblems(t, vars)
			if len(problems) != 1 || problems[0] != tt.want {
				t.Errorf("problems = %q, want [%q]", problems, tt.want)
			}
		})
	}
}

func TestDriverAndSQLitePath(t *testing.T) {
	tests := []struct {
		dbURL, dataDir string
		driver, path   string
	}{
		{"", "./data", "sqlite", filepath.Join("data", "lectern.db")},
		{"", "/var/lib/lectern", "sqlite", filepath.Join("/var/lib/lectern", "lectern.db")},
		{"sqlite:data/dev.db", "./data", "sqlite", "data/dev.db"},
		{"SQLite:/abs/dev.db", "./data", "sqlite", "/abs/dev.db"},
		{"sqlite:///abs/dev.db", "./data", "sqlite", "/abs/dev.db"},
		{"sqlite://localhost/abs/dev.db", "./data", "sqlite", "/abs/dev.db"},
		{"file:rel.db", "./data", "sqlite", "rel.db"},
		{pgURL, "./data", "postgres", ""},
		{"postgresql://db/lectern", "./data", "postgres", ""},
		{"mysql://db/lectern", "./data", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.dbURL, func(t *testing.T) {
			c := Config{DatabaseURL: tt.dbURL, DataDir: tt.dataDir}
			if got := c.Driver(); got != tt.driver {
				t.Errorf("Driver() = %q, want %q", got, tt.driver)
			}
			if got := c.SQLitePath(); got != tt.path {
				t.Errorf("SQLitePath() = %q, want %q", got, tt.path)
			}
		})
	}
}

func TestEnvPredicates(t *testing.T) {
	tests := []struct {
		env             Env
		dev, playground bool
	}{
		{EnvDev, true, true},
		{EnvStage, false, true},
		{EnvProd, false, false},
	}
	for _, tt := range tests {
		c := Config{Env: tt.env}
		if c.Dev() != tt.dev || c.Playground() != tt.playground {
			t.Errorf("%s: Dev()=%v Playground()=%v, want %v %v", tt.env, c.Dev(), c.Playground(), tt.dev, tt.playground)
		}
	}
}

func TestRedactDatabaseURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{pgURL, "postgres://lectern:xxxxx@db.internal:5432/lectern?sslmode=require"},
		{"postgres://lectern@db/lectern", "postgres://lectern@db/lectern"},
		{"postgres://db/lectern?password=s3cret&sslmode=disable", "postgres://db/lectern?password=xxxxx&sslmode=disable"},
		{"postgres://db/lectern?SSLPassword=s3cret", "postgres://db/lectern?SSLPassword=xxxxx"},
		{"postgres://u:p%zz@db/lectern", "[withheld]"},
		{"postgres:u:s3cret@db", "postgres:[withheld]"},
		{"host=db password=s3cret", "[withheld]"},
		{"u:s3cret@db", "u:[withheld]"},
		{"sqlite:data/x.db", "sqlite:data/x.db"},
		{"file:x.db", "file:x.db"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := RedactDatabaseURL(tt.in)
			if got != tt.want {
				t.Errorf("RedactDatabaseURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.Contains(got, "s3cret") {
				t.Errorf("password leaked: %q", got)
			}
		})
	}
}

func TestProblemsNeverShowPassword(t *testing.T) {
	tests := []map[string]string{
		{"DATABASE_URL": "mysql://root:s3cret@db/lectern"},
		{"DATABASE_URL": "postgres://root:s3cret@db:notaport/lectern"},
		{"DATABASE_URL": "postgres://root:s3cret%zz@db/lectern"},
		{"DATABASE_URL": "postgres:root:s3cret@db"},
		{"DATABASE_URL": "host=db user=root password=s3cret"},
		{"DATABASE_URL": "root:s3cret@db"},
		{"DATABASE_URL": "postgres://db/lectern?password=s3cret", "APP_ENV": "prod", "SEED_DEMO_DATA": "true"},
	}
	for _, vars := range tests {
		t.Run(vars["DATABASE_URL"], func(t *testing.T) {
			_, err := Load(envOf(vars))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("password leaked: %v", err)
			}
		})
	}
}

func TestLogValueRedactsPassword(t *testing.T) {
	c := mustLoad(t, deployed("prod", nil))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	if strings.Contains(buf.String(), "s3cret") {
		t.Fatalf("password leaked in log: %s", buf.String())
	}
	var line struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("decode log line: %v", err)
	}
	want := map[string]any{
		"env":            "prod",
		"driver":         "postgres",
		"database_url":   "postgres://lectern:xxxxx@db.internal:5432/lectern?sslmode=require",
		"log_format":     "json",
		"max_body_bytes": float64(1 << 20),
		"seed_demo_data": false,
	}
	for k, v := range want {
		if line.Config[k] != v {
			t.Errorf("config.%s = %v, want %v", k, line.Config[k], v)
		}
	}
	if _, ok := line.Config["sqlite_path"]; ok {
		t.Error("sqlite_path logged for a postgres config")
	}
}

func TestStringRedactsPassword(t *testing.T) {
	c := Config{Env: EnvProd, DatabaseURL: pgURL}
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%+v", c)} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("password leaked: %s", s)
		}
		if !strings.Contains(s, "database_url=postgres://lectern:xxxxx@") {
			t.Errorf("redacted URL missing: %s", s)
		}
	}
}

func TestLoadNilGetenvReadsProcessEnvironment(t *testing.T) {
	for _, name := range []string{
		VarAppEnv, VarDatabaseURL, VarDataDir, VarLogLevel, VarLogFormat, VarAllowSQLite,
		VarPlaygroundAssetsDir, VarShutdownTimeout, VarSeedDemoData, VarRequestTimeout, VarMaxBodyBytes,
		VarGraphQLConcurrency, VarGraphQLQueueTimeout,
		VarPublicBaseURL, VarMailFrom, VarSMTPURL, VarCORSOrigins, VarSessionIdleTimeout, VarSessionMaxAge,
		VarTrustedProxies, VarStorageURL, VarStorageSigningKey, VarAPIBaseURL, VarAssetsPublicBaseURL, VarUploadDailyBytes,
	} {
		t.Setenv(name, "")
	}
	t.Setenv(VarHTTPAddr, "127.0.0.1:9999")
	c, err := Load(nil)
	if err != nil {
		t.Fatalf("Load(nil): %v", err)
	}
	if c.HTTPAddr != "127.0.0.1:9999" {
		t.Errorf("HTTPAddr = %q, want value from process environment", c.HTTPAddr)
	}
}

func TestLoadAccountSettings(t *testing.T) {
	tests := []struct {
		name  string
		vars  map[string]string
		check func(Config) bool
	}{
		{"base url follows the listen address", map[string]string{"HTTP_ADDR": "localhost:3000"},
			func(c Config) bool { return c.PublicBaseURL == "http://localhost:3000" }},
		{"base url replaces an empty listen host", map[string]string{"HTTP_ADDR": ":9000"},
			func(c Config) bool { return c.PublicBaseURL == "http://127.0.0.1:9000" }},
		{"base url replaces 0.0.0.0", map[string]string{"HTTP_ADDR": "0.0.0.0:8080"},
			func(c Config) bool { return c.PublicBaseURL == "http://127.0.0.1:8080" }},
		{"base url replaces ::", map[string]string{"HTTP_ADDR": "[::]:8080"},
			func(c Config) bool { return c.PublicBaseURL == "http://127.0.0.1:8080" }},
		{"base url keeps an ipv6 listen host", map[string]string{"HTTP_ADDR": "[::1]:8081"},
			func(c Config) bool { return c.PublicBaseURL == "http://[::1]:8081" }},
		{"base url normalised", deployed("prod", map[string]string{"PUBLIC_BASE_URL": "HTTPS://Courses.Example.com:443/App/"}),
			func(c Config) bool { return c.PublicBaseURL == "https://courses.example.com/App" }},
		{"base url http in dev", map[string]string{"PUBLIC_BASE_URL": "http://app.test:8080"},
			func(c Config) bool { return c.PublicBaseURL == "http://app.test:8080" }},
		{"mail from uses the site's host", map[string]string{"PUBLIC_BASE_URL": "http://app.test:8080"},
			func(c Config) bool { return c.MailFrom == "Lectern <no-reply@app.test>" }},
		{"mail from uses localhost for an ip host", map[string]string{"PUBLIC_BASE_URL": "http://[::1]:8080"},
			func(c Config) bool { return c.MailFrom == "Lectern <no-reply@localhost>" }},
		{"mail from as given", map[string]string{"MAIL_FROM": "Écoles <ecole@example.org>"},
			func(c Config) bool { return c.MailFrom == "Écoles <ecole@example.org>" }},
		{"smtp without credentials", map[string]string{"SMTP_URL": "smtp://localhost:1025"},
			func(c Config) bool { return c.SMTPURL == "smtp://localhost:1025" }},
		{"smtp skip verify on loopback", map[string]string{"SMTP_URL": "smtp://127.0.0.1:2525?insecure_skip_verify=true"},
			func(c Config) bool { return c.SMTPURL != "" }},
		{"smtp with credentials in prod", deployed("prod", nil),
			func(c Config) bool { return c.SMTPURL == smtpURL }},
		{"mail dir inside data dir", map[string]string{"DATA_DIR": "/var/lib/lectern"},
			func(c Config) bool { return c.MailDir() == filepath.Join("/var/lib/lectern", "mail") }},
		{"cors origins normalised and deduplicated", map[string]string{"CORS_ORIGINS": "https://App.Example.com/, http://localhost:3000,https://app.example.com:443,"},
			func(c Config) bool {
				return reflect.DeepEqual(c.CORSOrigins, []string{"https://app.example.com", "http://localhost:3000"})
			}},
		{"session bounds low", map[string]string{"SESSION_IDLE_TIMEOUT": "1m", "SESSION_MAX_AGE": "5m"},
			func(c Config) bool { return c.SessionIdleTimeout == time.Minute && c.SessionMaxAge == 5*time.Minute }},
		{"session bounds high", map[string]string{"SESSION_IDLE_TIMEOUT": "24h", "SESSION_MAX_AGE": "2160h"},
			func(c Config) bool { return c.SessionIdleTimeout == 24*time.Hour && c.SessionMaxAge == 2160*time.Hour }},
		{"idle equal to max age", map[string]string{"SESSION_IDLE_TIMEOUT": "2h", "SESSION_MAX_AGE": "2h"},
			func(c Config) bool { return c.SessionIdleTimeout == c.SessionMaxAge }},
		{"trusted proxies", map[string]string{"TRUSTED_PROXIES": "10.1.2.3/8, 192.0.2.7,2001:db8::1, ::ffff:198.51.100.1, 10.0.0.0/8"},
			func(c Config) bool {
				return reflect.DeepEqual(c.TrustedProxies, []netip.Prefix{
					netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
					netip.MustParsePrefix("2001:db8::1/128"), netip.MustParsePrefix("198.51.100.1/32"),
				})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c := mustLoad(t, tt.vars); !tt.check(c) {
				t.Fatalf("unexpected config %s", c)
			}
		})
	}
}

func TestLoadRejectsAccountSettings(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"base url required in stage", deployed("stage", map[string]string{"PUBLIC_BASE_URL": ""}), `PUBLIC_BASE_URL: is required in stage`},
		{"base url required in prod", deployed("prod", map[string]string{"PUBLIC_BASE_URL": ""}), `PUBLIC_BASE_URL: is required in prod`},
		{"base url http in prod", deployed("prod", map[string]string{"PUBLIC_BASE_URL": "http://courses.example.com"}), `PUBLIC_BASE_URL: "http://courses.example.com" must use https in prod`},
		{"base url without scheme", map[string]string{"PUBLIC_BASE_URL": "courses.example.com"}, `PUBLIC_BASE_URL: "courses.example.com" is not an absolute http:// or https:// URL`},
		{"base url other scheme", map[string]string{"PUBLIC_BASE_URL": "ftp://courses.example.com"}, `PUBLIC_BASE_URL: "ftp://courses.example.com" is not an absolute`},
		{"base url user info", map[string]string{"PUBLIC_BASE_URL": "https://admin:pw@courses.example.com"}, `PUBLIC_BASE_URL: "[withheld]" has user info`},
		{"base url query", map[string]string{"PUBLIC_BASE_URL": "https://courses.example.com/?ref=mail"}, `PUBLIC_BASE_URL: "https://courses.example.com/?ref=mail" has a query`},
		{"base url empty query", map[string]string{"PUBLIC_BASE_URL": "https://courses.example.com/?"}, `PUBLIC_BASE_URL: "https://courses.example.com/?" has a query`},
		{"base url fragment", map[string]string{"PUBLIC_BASE_URL": "https://courses.example.com/#"}, `PUBLIC_BASE_URL: "https://courses.example.com/#" has a fragment`},
		{"base url port zero", map[string]string{"PUBLIC_BASE_URL": "https://courses.example.com:0"}, `PUBLIC_BASE_URL: "https://courses.example.com:0" has an invalid port`},
		{"base url unicode host", map[string]string{"PUBLIC_BASE_URL": "https://bücher.example"}, `PUBLIC_BASE_URL: "https://bücher.example" has a non-ASCII host`},
		{"mail from garbage", map[string]string{"MAIL_FROM": "Lectern"}, `MAIL_FROM: "Lectern" is not one email address`},
		{"mail from two addresses", map[string]string{"MAIL_FROM": "a@example.com, b@example.com"}, `MAIL_FROM: "a@example.com, b@example.com" is not one email address`},
		{"smtp required in stage", deployed("stage", map[string]string{"SMTP_URL": ""}), `SMTP_URL: is required in stage`},
		{"smtp required in prod", deployed("prod", map[string]string{"SMTP_URL": ""}), `SMTP_URL: is required in prod`},
		{"smtp other scheme", map[string]string{"SMTP_URL": "http://mail.example.com"}, `SMTP_URL: "http://mail.example.com" has an unsupported scheme (want smtp:// or smtps://)`},
		{"smtp no host", map[string]string{"SMTP_URL": "smtp://:25"}, `SMTP_URL: "smtp://:25" has no host`},
		{"smtp bad port", map[string]string{"SMTP_URL": "smtp://mail.example.com:99999"}, `SMTP_URL: "smtp://mail.example.com:99999" has an invalid port`},
		{"smtp path", map[string]string{"SMTP_URL": "smtp://mail.example.com/inbox"}, `SMTP_URL: "smtp://mail.example.com/inbox" is not scheme://[user:password@]host[:port]`},
		{"smtp user without password", map[string]string{"SMTP_URL": "smtp://mailer@mail.example.com"}, `SMTP_URL: "[withheld]" has a user name without a password`},
		{"smtp password without user", map[string]string{"SMTP_URL": "smtp://:pw@mail.example.com"}, `SMTP_URL: "[withheld]" has a password without a user name`},
		{"smtp unknown parameter", map[string]string{"SMTP_URL": "smtp://mail.example.com?tls=off"}, `SMTP_URL: "smtp://mail.example.com?tls=off" has an unknown query parameter`},
		{"smtp skip verify remote", map[string]string{"SMTP_URL": "smtp://mail.example.com?insecure_skip_verify=true"}, `SMTP_URL: "smtp://mail.example.com?insecure_skip_verify=true" may set insecure_skip_verify only for a loopback host`},
		{"cors wildcard", map[string]string{"CORS_ORIGINS": "*"}, `CORS_ORIGINS: "*" is a wildcard`},
		{"cors null", map[string]string{"CORS_ORIGINS": "null"}, `CORS_ORIGINS: "null" is the opaque origin`},
		{"cors path", map[string]string{"CORS_ORIGINS": "https://app.example.com/app"}, `CORS_ORIGINS: "https://app.example.com/app" has a path`},
		{"cors query", map[string]string{"CORS_ORIGINS": "https://app.example.com?x"}, `CORS_ORIGINS: "https://app.example.com?x" has a query`},
		{"cors bare host", map[string]string{"CORS_ORIGINS": "https://ok.example.com, app.example.com"}, `CORS_ORIGINS: "app.example.com" is not an absolute`},
		{"idle too short", map[string]string{"SESSION_IDLE_TIMEOUT": "30s"}, `SESSION_IDLE_TIMEOUT: "30s" is outside 1m0s..24h0m0s`},
		{"idle not a duration", map[string]string{"SESSION_IDLE_TIMEOUT": "30"}, `SESSION_IDLE_TIMEOUT: "30" is not a duration`},
		{"max age too long", map[string]string{"SESSION_MAX_AGE": "2161h"}, `SESSION_MAX_AGE: "2161h" is outside 5m0s..2160h0m0s`},
		{"max age too short", map[string]string{"SESSION_MAX_AGE": "4m", "SESSION_IDLE_TIMEOUT": "1m"}, `SESSION_MAX_AGE: "4m" is outside 5m0s..2160h0m0s`},
		{"idle longer than max age", map[string]string{"SESSION_IDLE_TIMEOUT": "2h", "SESSION_MAX_AGE": "1h"}, `SESSION_IDLE_TIMEOUT: 2h0m0s exceeds SESSION_MAX_AGE 1h0m0s`},
		{"default idle longer than max age", map[string]string{"SESSION_MAX_AGE": "10m"}, `SESSION_IDLE_TIMEOUT: 30m0s exceeds SESSION_MAX_AGE 10m0s`},
		{"proxy host name", map[string]string{"TRUSTED_PROXIES": "proxy.internal"}, `TRUSTED_PROXIES: "proxy.internal" is not an IP address or CIDR prefix`},
		{"proxy bad prefix length", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/33"}, `TRUSTED_PROXIES: "10.0.0.0/33" is not an IP address or CIDR prefix`},
		{"proxy with zone", map[string]string{"TRUSTED_PROXIES": "fe80::1%eth0"}, `TRUSTED_PROXIES: "fe80::1%eth0" is not an IP address or CIDR prefix`},
		{"proxy everything v4", map[string]string{"TRUSTED_PROXIES": "0.0.0.0/0"}, `TRUSTED_PROXIES: "0.0.0.0/0" trusts every address`},
		{"proxy everything v6", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, ::/0"}, `TRUSTED_PROXIES: "::/0" trusts every address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := loadProblems(t, tt.vars)
			if len(problems) != 1 {
				t.Fatalf("got %d problems, want 1: %q", len(problems), problems)
			}
			if !strings.HasPrefix(problems[0], tt.want) {
				t.Fatalf("problem = %q\nwant prefix %q", problems[0], tt.want)
			}
		})
	}
}

func TestLoadReportsEveryAccountProblem(t *testing.T) {
	_, err := Load(envOf(map[string]string{
		"APP_ENV":              "prod",
		"DATABASE_URL":         pgURL,
		"PUBLIC_BASE_URL":      "http://courses.example.com",
		"MAIL_FROM":            "nobody",
		"CORS_ORIGINS":         "*,https://ok.example.com,https://x.example.com/path",
		"SESSION_IDLE_TIMEOUT": "0s",
		"SESSION_MAX_AGE":      "forever",
		"TRUSTED_PROXIES":      "10.0.0.0/8,proxy",
	}))
	want := `config: 11 problems:
  - PUBLIC_BASE_URL: "http://courses.example.com" must use https in prod
  - MAIL_FROM: "nobody" is not one email address (e.g. Lectern <no-reply@example.com>)
  - SMTP_URL: is required in prod (e.g. smtp://user:password@mail.example.com:587)
  - CORS_ORIGINS: "*" is a wildcard; list each origin, since credentials are never shared with any site
  - CORS_ORIGINS: "https://x.example.com/path" has a path (want scheme://host[:port])
  - SESSION_IDLE_TIMEOUT: "0s" is outside 1m0s..24h0m0s
  - SESSION_MAX_AGE: "forever" is not a duration (e.g. 15s, 2m)
  - TRUSTED_PROXIES: "proxy" is not an IP address or CIDR prefix (e.g. 10.0.0.0/8, 192.0.2.7)
  - TOTP_ENCRYPTION_KEYS: is required in prod (comma-separated ID:KEY entries, KEY being 32 random bytes in base64, e.g. k1:$(openssl rand -base64 32))
  - STORAGE_SIGNING_KEY: is required in prod with the file store (STORAGE_URL empty or file://): at least 32 random bytes in base64, e.g. $(openssl rand -base64 32)
  - API_BASE_URL: is required in prod with the file store (STORAGE_URL empty or file://), e.g. https://api.example.com`
	if err == nil || err.Error() != want {
		t.Fatalf("Load error =\n%v\nwant\n%s", err, want)
	}
}

func TestPublicOrigin(t *testing.T) {
	tests := []struct{ baseURL, want string }{
		{"https://courses.example.com/app", "https://courses.example.com"},
		{"HTTPS://Courses.Example.COM:443", "https://courses.example.com"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://example.com:80/", "http://example.com"},
		{"https://example.com:8443/x", "https://example.com:8443"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"", ""},
		{"not a url", ""},
	}
	for _, tt := range tests {
		t.Run(tt.baseURL, func(t *testing.T) {
			if got := (Config{PublicBaseURL: tt.baseURL}).PublicOrigin(); got != tt.want {
				t.Fatalf("PublicOrigin() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSessionCookie(t *testing.T) {
	tests := []struct {
		env        Env
		name       string
		wantSecure bool
	}{
		{EnvDev, "lectern_session", false},
		{EnvStage, "__Host-lectern_session", true},
		{EnvProd, "__Host-lectern_session", true},
	}
	for _, tt := range tests {
		t.Run(string(tt.env), func(t *testing.T) {
			name, secure := Config{Env: tt.env}.SessionCookie()
			if name != tt.name || secure != tt.wantSecure {
				t.Fatalf("SessionCookie() = %q, %v; want %q, %v", name, secure, tt.name, tt.wantSecure)
			}
		})
	}
}

func TestSMTPPasswordRedacted(t *testing.T) {
	c := mustLoad(t, deployed("prod", nil))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	for name, out := range map[string]string{
		"LogValue": buf.String(), "String": c.String(), "%v": fmt.Sprint(c), "%+v": fmt.Sprintf("%+v", c),
	} {
		if strings.Contains(out, "m41lpw") {
			t.Fatalf("%s leaked the SMTP password: %s", name, out)
		}
		if !strings.Contains(out, "smtps://mailer:xxxxx@mail.example.com") {
			t.Fatalf("%s lacks the redacted SMTP URL: %s", name, out)
		}
	}
}

func TestSMTPProblemsNeverShowPassword(t *testing.T) {
	for _, raw := range []string{
		"http://mailer:m41lpw@mail.example.com",
		"smtp://mailer:m41lpw@mail.example.com:notaport",
		"smtp://mailer:m41lpw%zz@mail.example.com",
		"smtp://mailer:m41lpw@mail.example.com/path",
		"smtp://mailer:12?m41lpw@mail.example.com",
		"smtp:mailer:m41lpw@mail.example.com",
		"smtp://mailer:m41/lpw@mail.example.com",
	} {
		t.Run(raw, func(t *testing.T) {
			_, err := Load(envOf(map[string]string{"SMTP_URL": raw}))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if strings.Contains(err.Error(), "m41") {
				t.Fatalf("password leaked: %v", err)
			}
		})
	}
}

func TestLogValueListsAccountSettings(t *testing.T) {
	c := mustLoad(t, map[string]string{
		"CORS_ORIGINS": "https://a.example.com,https://b.example.com", "TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.7",
	})
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	var line struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("decode log line: %v", err)
	}
	want := map[string]any{
		"public_base_url":      "http://127.0.0.1:8080",
		"mail_from":            "Lectern <no-reply@localhost>",
		"smtp_url":             "",
		"mail_dir":             filepath.Join("data", "mail"),
		"cors_origins":         "https://a.example.com,https://b.example.com",
		"session_idle_timeout": float64(30 * time.Minute),
		"session_max_age":      float64(12 * time.Hour),
		"trusted_proxies":      "10.0.0.0/8,192.0.2.7/32",
	}
	for k, v := range want {
		if line.Config[k] != v {
			t.Errorf("config.%s = %v, want %v", k, line.Config[k], v)
		}
	}
}

func TestLoadStorage(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want StorageConfig
	}{
		{"default inside data dir", nil, defaultStorage},
		{"default follows DATA_DIR", map[string]string{"DATA_DIR": "/var/lib/lectern"},
			StorageConfig{Driver: StorageFile, Dir: filepath.Join("/var/lib/lectern", "blobs"), DailyUploadBytes: DefaultUploadDailyBytes}},
		// A file store is allowed in prod; see loader.storage for why.
		{"default in prod", deployed("prod", nil), deployedStorage},
		{"file url", map[string]string{"STORAGE_URL": "file:///srv/lectern/../blobs/"},
			StorageConfig{Driver: StorageFile, Dir: "/srv/blobs", DailyUploadBytes: DefaultUploadDailyBytes}},
		{"s3 on aws", deployed("prod", map[string]string{"STORAGE_URL": "s3://lectern-files?region=eu-west-1"}),
			StorageConfig{Driver: StorageS3, Bucket: "lectern-files", Region: "eu-west-1", DailyUploadBytes: DefaultUploadDailyBytes}},
		{"s3 compatible", map[string]string{"STORAGE_URL": "S3://uploads.v2/?region=garage&endpoint=http://minio.internal:9000/&use_path_style=true"},
			StorageConfig{Driver: StorageS3, Bucket: "uploads.v2", Region: "garage", Endpoint: "http://minio.internal:9000", UsePathStyle: true,
				DailyUploadBytes: DefaultUploadDailyBytes}},
		{"s3 https endpoint in prod", deployed("prod", map[string]string{"STORAGE_URL": "s3://uploads?region=auto&endpoint=https://ACCOUNT.r2.cloudflarestorage.com"}),
			StorageConfig{Driver: StorageS3, Bucket: "uploads", Region: "auto", Endpoint: "https://account.r2.cloudflarestorage.com",
				DailyUploadBytes: DefaultUploadDailyBytes}},
		{"s3 loopback http endpoint in prod", deployed("prod", map[string]string{"STORAGE_URL": "s3://uploads?region=us-east-1&endpoint=http://127.0.0.1:9000&use_path_style=false"}),
			StorageConfig{Driver: StorageS3, Bucket: "uploads", Region: "us-east-1", Endpoint: "http://127.0.0.1:9000", DailyUploadBytes: DefaultUploadDailyBytes}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustLoad(t, tt.vars).Storage; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Storage = %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestLoadStorageListsEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"no scheme", map[string]string{"STORAGE_URL": "blobs"}, []string{
			`STORAGE_URL: "blobs" has no scheme (want file:///ABSOLUTE/PATH or s3://BUCKET?region=REGION)`,
		}},
		{"unknown scheme", map[string]string{"STORAGE_URL": "gs://bucket"}, []string{
			`STORAGE_URL: "gs://bucket" has an unsupported scheme (want file:///ABSOLUTE/PATH or s3://BUCKET?region=REGION)`,
		}},
		{"not a url", map[string]string{"STORAGE_URL": "s3://bucket:port?region=x"}, []string{
			`STORAGE_URL: "s3://bucket:port?region=x" is not a valid URL (want file:///ABSOLUTE/PATH or s3://BUCKET?region=REGION)`,
		}},
		{"s3 empty", map[string]string{"STORAGE_URL": "s3://"}, []string{
			`STORAGE_URL: "s3://" has no bucket (want s3://BUCKET?region=REGION)`,
			`STORAGE_URL: "s3://" has no region (add ?region=…, e.g. us-east-1)`,
		}},
		{"s3 everything wrong", map[string]string{"STORAGE_URL": "s3://Bad_Bucket/prefix?region=us%20east&use_path_style=maybe&endpoint=ftp://x&acl=public&ssetype=AES256#top"}, []string{
			`STORAGE_URL: "s3://Bad_Bucket/prefix?acl=xxxxx&endpoint=ftp%3A%2F%2Fx&region=us+east&ssetype=xxxxx&use_path_style=maybe#top" has a fragment`,
			`STORAGE_URL: "s3://Bad_Bucket/prefix?acl=xxxxx&endpoint=ftp%3A%2F%2Fx&region=us+east&ssetype=xxxxx&use_path_style=maybe#top" names bucket "Bad_Bucket"; want 3-63 of a-z, 0-9, '.' and '-', starting and ending with a letter or digit`,
			`STORAGE_URL: "s3://Bad_Bucket/prefix?acl=xxxxx&endpoint=ftp%3A%2F%2Fx&region=us+east&ssetype=xxxxx&use_path_style=maybe#top" has a path; keys are chosen by the server (want s3://BUCKET?region=REGION)`,
			`STORAGE_URL: "s3://Bad_Bucket/prefix?acl=xxxxx&endpoint=ftp%3A%2F%2Fx&region=us+east&ssetype=xxxxx&use_path_style=maybe#top" has unknown query parameter "acl" (want region, endpoint, use_path_style)`,
			`STORAGE_URL: "s3://Bad_Bucket/prefix?acl=xxxxx&endpoint=ftp%3A%2F%2Fx&region=us+east&ssetype=xxxxx&use_path_style=maybe#top" has unknown query parameter "ssetype" (want region, endpoint, use_path_style)`,
			`STORAGE_URL: "s3://Bad_Bucket/prefix?acl=xxxxx&endpoint=ftp%3A%2F%2Fx&region=us+east&ssetype=xxxxx&use_path_style=maybe#top" names region "us east"; want 1-64 of a-z, A-Z, 0-9, '-' and '_'`,
			`STORAGE_URL: "s3://Bad_Bucket/prefix?acl=xxxxx&endpoint=ftp%3A%2F%2Fx&region=us+east&ssetype=xxxxx&use_path_style=maybe#top" has use_path_style="maybe"; want true or false`,
			`STORAGE_URL: "s3://Bad_Bucket/prefix?acl=xxxxx&endpoint=ftp%3A%2F%2Fx&region=us+east&ssetype=xxxxx&use_path_style=maybe#top" has an endpoint that is not an absolute http:// or https:// URL`,
		}},
		{"s3 empty fragment", map[string]string{"STORAGE_URL": "s3://bucket?region=us-east-1#"}, []string{
			`STORAGE_URL: "s3://bucket?region=us-east-1#" has a fragment`,
		}},
		{"s3 repeated parameter", map[string]string{"STORAGE_URL": "s3://bucket?region=us-east-1&region=eu-west-1"}, []string{
			`STORAGE_URL: "s3://bucket?region=us-east-1&region=eu-west-1" sets "region" more than once`,
		}},
		{"s3 plain http endpoint in stage", deployed("stage", map[string]string{"STORAGE_URL": "s3://bucket?region=us-east-1&endpoint=http://minio.internal:9000"}), []string{
			`STORAGE_URL: "s3://bucket?region=us-east-1&endpoint=http://minio.internal:9000" has an endpoint that must use https in stage (browsers refuse plain http uploads from an https page)`,
		}},
		{"s3 credentials in the url", map[string]string{"STORAGE_URL": "s3://AKIAEXAMPLE:hunter2@bucket"}, []string{
			`STORAGE_URL: "[withheld]" has user info; credentials come from the AWS environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE), never from the URL`,
			`STORAGE_URL: "[withheld]" has no region (add ?region=…, e.g. us-east-1)`,
		}},
		{"s3 endpoint with credentials", map[string]string{"STORAGE_URL": "s3://bucket?region=us-east-1&endpoint=https%3A%2F%2Fkey%3Ahunter2%40minio.example.com"}, []string{
			`STORAGE_URL: "s3://bucket?endpoint=xxxxx&region=us-east-1" has an endpoint that has user info`,
		}},
		{"s3 secret as a parameter", map[string]string{"STORAGE_URL": "s3://bucket?region=us-east-1&aws_secret_access_key=hunter2"}, []string{
			`STORAGE_URL: "s3://bucket?aws_secret_access_key=xxxxx&region=us-east-1" has unknown query parameter "aws_secret_access_key" (want region, endpoint, use_path_style)`,
		}},
		{"file with host and query", map[string]string{"STORAGE_URL": "file://nas/srv/blobs?mode=0700&no_tmp_dir=1"}, []string{
			`STORAGE_URL: "file://nas/srv/blobs?mode=xxxxx&no_tmp_dir=xxxxx" names host "nas"; the file store needs a local path (file:///PATH)`,
			`STORAGE_URL: "file://nas/srv/blobs?mode=xxxxx&no_tmp_dir=xxxxx" has unknown query parameter "mode" (the file store takes none)`,
			`STORAGE_URL: "file://nas/srv/blobs?mode=xxxxx&no_tmp_dir=xxxxx" has unknown query parameter "no_tmp_dir" (the file store takes none)`,
		}},
		{"file without path", map[string]string{"STORAGE_URL": "file://"}, []string{
			`STORAGE_URL: "file://" has no path (want file:///ABSOLUTE/PATH)`,
		}},
		{"file host without path", map[string]string{"STORAGE_URL": "file://blobs"}, []string{
			`STORAGE_URL: "file://blobs" names host "blobs"; the file store needs a local path (file:///PATH)`,
			`STORAGE_URL: "file://blobs" has no path (want file:///ABSOLUTE/PATH)`,
		}},
		{"file relative", map[string]string{"STORAGE_URL": "file:data/blobs"}, []string{
			`STORAGE_URL: "file:data/blobs" must be file:///ABSOLUTE/PATH`,
		}},
		{"file nul", map[string]string{"STORAGE_URL": "file:///srv/a%00b"}, []string{
			`STORAGE_URL: "file:///srv/a%00b" contains a NUL byte`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := loadProblems(t, tt.vars)
			if !reflect.DeepEqual(problems, tt.want) {
				t.Errorf("problems =\n  %s\nwant\n  %s", strings.Join(problems, "\n  "), strings.Join(tt.want, "\n  "))
			}
			if s := strings.Join(problems, "\n"); strings.Contains(s, "hunter2") {
				t.Errorf("a credential leaked into the problems: %s", s)
			}
		})
	}
}

func TestLogValueListsStorage(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want map[string]any
	}{
		{"file", nil, map[string]any{"storage_driver": "file", "storage_dir": filepath.Join("data", "blobs")}},
		{"s3", map[string]string{"STORAGE_URL": "s3://uploads?region=us-east-1&endpoint=http://127.0.0.1:9000&use_path_style=true"},
			map[string]any{"storage_driver": "s3", "storage_bucket": "uploads", "storage_region": "us-east-1",
				"storage_endpoint": "http://127.0.0.1:9000", "storage_path_style": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", mustLoad(t, tt.vars))
			var line struct {
				Config map[string]any `json:"config"`
			}
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("decode log line: %v", err)
			}
			for k, v := range tt.want {
				if line.Config[k] != v {
					t.Errorf("config.%s = %v, want %v", k, line.Config[k], v)
				}
			}
		})
	}
}

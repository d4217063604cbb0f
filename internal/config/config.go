// Package config loads and validates Lectern's runtime settings from
// environment variables.
//
// Load reads every variable before judging any of them, so an operator fixing
// a broken deployment sees all mistakes in one start-up attempt instead of one
// per restart. Load has no side effects: it neither creates DATA_DIR nor checks
// that PLAYGROUND_ASSETS_DIR exists; the components using those paths do.
package config

import (
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"time"

	"lectern/internal/sealed"
)

// Env names a deployment environment.
type Env string

// The deployment environments Lectern knows. Dev is forgiving (demo data,
// SQLite, text logs); stage and prod refuse settings that only make sense on a
// developer machine.
const (
	EnvDev   Env = "dev"
	EnvStage Env = "stage"
	EnvProd  Env = "prod"
)

// Database drivers reported by Config.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// DefaultSQLiteFile is the database file created inside DataDir when
// DATABASE_URL is empty.
const DefaultSQLiteFile = "lectern.db"

// Config holds validated settings. Values returned by Load are always valid;
// a Config built by hand (in tests) is used as given.
type Config struct {
	// Env is the deployment environment (APP_ENV).
	Env Env
	// HTTPAddr is the listen address as host:port (HTTP_ADDR).
	HTTPAddr string
	// DatabaseURL is the raw DATABASE_URL. It may hold a password: log it
	// only through LogValue, String or RedactDatabaseURL.
	DatabaseURL string
	// DataDir holds the default SQLite file (DATA_DIR).
	DataDir string
	// LogLevel is the minimum level logged (LOG_LEVEL).
	LogLevel slog.Level
	// LogFormat is "text" or "json" (LOG_FORMAT).
	LogFormat string
	// AllowSQLite lets stage and prod run on SQLite
	// (ALLOW_SQLITE_IN_PRODUCTION).
	AllowSQLite bool
	// PlaygroundAssetsDir optionally serves playground assets from disk
	// (PLAYGROUND_ASSETS_DIR); empty means none.
	PlaygroundAssetsDir string
	// ShutdownTimeout bounds graceful shutdown (SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// SeedDemoData loads demo courses at start-up (SEED_DEMO_DATA).
	SeedDemoData bool
	// RequestTimeout bounds a single request (REQUEST_TIMEOUT).
	RequestTimeout time.Duration
	// MaxBodyBytes caps request body size (MAX_BODY_BYTES).
	MaxBodyBytes int64
	// Admission bounds the GraphQL requests running at once
	// (GRAPHQL_CONCURRENCY, GRAPHQL_QUEUE_TIMEOUT).
	Admission AdmissionConfig
	// PublicBaseURL is the absolute http(s) URL the web app is served at,
	// without a trailing slash (PUBLIC_BASE_URL). Links in emails point into
	// it, and its origin (PublicOrigin) is the server's own for CSRF checks.
	PublicBaseURL string
	// MailFrom is the From address of account emails as configured
	// (MAIL_FROM); it parses with net/mail.ParseAddress.
	MailFrom string
	// SMTPURL is the mail server as smtp:// or smtps:// (SMTP_URL); empty
	// (dev only) writes messages as .eml files under MailDir. It may hold a
	// password: log it only through LogValue, String or RedactURL.
	SMTPURL string
	// CORSOrigins are the other origins whose pages may call the API with
	// credentials, as lower-case scheme://host[:port] (CORS_ORIGINS).
	CORSOrigins []string
	// SessionIdleTimeout ends a session after this long without a request
	// (SESSION_IDLE_TIMEOUT). The 30-minute default is the most OWASP ASVS
	// level 2 and NIST SP 800-63B AAL2 allow.
	SessionIdleTimeout time.Duration
	// SessionMaxAge ends a session this long after sign-in, however active
	// (SESSION_MAX_AGE). The 12-hour default is the most OWASP ASVS level 2
	// and NIST SP 800-63B AAL2 allow.
	SessionMaxAge time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (TRUSTED_PROXIES); single addresses are /32 or /128. Empty
	// means the client address is the TCP peer.
	TrustedProxies []netip.Prefix
	// GraphQLIntrospection answers introspection queries
	// (GRAPHQL_INTROSPECTION); on by default except in prod, where the
	// published schema.graphql is the contract.
	GraphQLIntrospection bool
	// TOTPEncryptionKeys seal the TOTP secrets stored in the database
	// (TOTP_ENCRYPTION_KEYS): the first seals, all open, so a key is
	// rotated by putting a new one first, running migrate (which re-seals
	// every secret under it) and then dropping the old one. Required
	// outside dev; in dev, empty means the server generates one into
	// TOTPKeyFile. Printing or logging a Config shows the key IDs only.
	TOTPEncryptionKeys []sealed.Key
	// DebugAddr is the loopback host:port of the diagnostics listener
	// (DEBUG_ADDR): pprof profiles and runtime statistics. Empty (the
	// default) serves none.
	DebugAddr string
	// GC is the garbage collector's budget (GOGC, GOMEMLIMIT), applied by
	// the server at start.
	GC GCBudget
	// Cache is the public-read cache: CACHE_TTL, CACHE_MAX_BYTES,
	// REDIS_URL, REDIS_TIMEOUT.
	Cache CacheConfig
	// APIBaseURL is the absolute http(s) URL, without a trailing slash, at
	// which clients reach this server's HTTP API (API_BASE_URL): the file
	// store's signed upload and download links and the server's own public
	// image URLs point into it. Dev defaults to the listener, as
	// PublicBaseURL does; stage and prod require it with the file store,
	// and it is empty there with S3 unless set.
	APIBaseURL string
	// Storage is the object store for uploaded files (STORAGE_URL): by
	// default a directory inside DataDir; with the upload settings
	// (STORAGE_SIGNING_KEY, ASSETS_PUBLIC_BASE_URL, UPLOAD_DAILY_BYTES).
	Storage StorageConfig
	// ReconcileInterval is how often the job queue recounts every
	// course's counters and repairs drift (RECONCILE_INTERVAL); 0 turns
	// it off.
	ReconcileInterval time.Duration
	// JobRescueAfter is how long a job may stay running before the queue
	// takes its worker for dead and runs it again (JOB_RESCUE_AFTER). A
	// job with a longer timeout of its own waits for that timeout too.
	JobRescueAfter time.Duration
}

// Load reads and validates every setting through getenv; a nil getenv reads
// the process environment. Surrounding whitespace is ignored and an empty
// value means "use the default". On failure it returns the zero Config and a
// *ValidationError listing every problem found.
func Load(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	l := &loader{getenv: getenv}
	cfg := l.load()
	if len(l.problems) > 0 {
		return Config{}, &ValidationError{Problems: l.problems}
	}
	return cfg, nil
}

// Driver returns DriverSQLite or DriverPostgres, or "" when DatabaseURL is
// not a supported URL (possible only for a Config not produced by Load).
func (c Config) Driver() string {
	t, err := parseDatabaseURL(c.DatabaseURL, c.DataDir)
	if err != nil {
		return ""
	}
	return t.driver
}

// SQLitePath returns the SQLite database file: DataDir/lectern.db when
// DatabaseURL is empty, otherwise the path inside the sqlite: or file: URL.
// It returns "" when the driver is not SQLite.
func (c Config) SQLitePath() string {
	t, err := parseDatabaseURL(c.DatabaseURL, c.DataDir)
	if err != nil {
		return ""
	}
	return t.path
}

// Playground reports whether the GraphQL playground is served (dev and
// stage, never prod).
func (c Config) Playground() bool {
	return c.Env == EnvDev || c.Env == EnvStage
}

// GraphQLSuggestions reports whether GraphQL errors may suggest names
// ("Did you mean …?"): a help while writing queries, a map of the schema for
// a prober, so never in prod.
func (c Config) GraphQLSuggestions() bool {
	return c.Env != EnvProd
}

// StrictTransportSecurity reports whether responses carry
// Strict-Transport-Security: stage and prod are served over HTTPS only.
func (c Config) StrictTransportSecurity() bool {
	return c.Env == EnvStage || c.Env == EnvProd
}

// Dev reports whether c describes a developer environment.
func (c Config) Dev() bool {
	return c.Env == EnvDev
}

// LogValue returns the configuration as a log group with the database and
// SMTP passwords redacted, the TOTP encryption keys shown by ID only and
// the storage signing key only as "set", "generated in dev" or "unused", so
// a start-up line can record exactly what was loaded.
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("env", string(c.Env)),
		slog.String("http_addr", c.HTTPAddr),
		slog.String("driver", c.Driver()),
		slog.String("database_url", RedactDatabaseURL(c.DatabaseURL)),
	}
	if p := c.SQLitePath(); p != "" {
		attrs = append(attrs, slog.String("sqlite_path", p))
	}
	attrs = append(attrs,
		slog.String("data_dir", c.DataDir),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
		slog.Bool("allow_sqlite", c.AllowSQLite),
		slog.String("playground_assets_dir", c.PlaygroundAssetsDir),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.Bool("seed_demo_data", c.SeedDemoData),
		slog.Duration("request_timeout", c.RequestTimeout),
		slog.Int64("max_body_bytes", c.MaxBodyBytes),
		slog.Int("graphql_concurrency", c.Admission.Concurrency),
		slog.Duration("graphql_queue_timeout", c.Admission.QueueTimeout),
		slog.String("public_base_url", c.PublicBaseURL),
		slog.String("api_base_url", c.APIBaseURL),
		slog.String("mail_from", c.MailFrom),
		slog.String("smtp_url", RedactURL(c.SMTPURL)),
	)
	if c.SMTPURL == "" {
		attrs = append(attrs, slog.String("mail_dir", c.MailDir()))
	}
	attrs = append(attrs,
		slog.String("cors_origins", strings.Join(c.CORSOrigins, ",")),
		slog.Duration("session_idle_timeout", c.SessionIdleTimeout),
		slog.Duration("session_max_age", c.SessionMaxAge),
		slog.String("trusted_proxies", joinPrefixes(c.TrustedProxies)),
		slog.Bool("graphql_introspection", c.GraphQLIntrospection),
		slog.String("debug_addr", c.DebugAddr),
		slog.Int("gogc", c.GC.Percent),
		slog.Int64("gomemlimit", c.GC.MemoryLimit),
		slog.Duration("cache_ttl", c.Cache.TTL),
		slog.Int64("cache_max_bytes", c.Cache.MaxBytes),
		slog.String("redis_url", RedactURL(c.Cache.RedisURL)),
		slog.Duration("redis_timeout", c.Cache.RedisTimeout),
		slog.String("cache_namespace", c.Cache.Namespace),
		slog.String("totp_encryption_keys", keyIDs(c.TOTPEncryptionKeys)),
		slog.Duration("reconcile_interval", c.ReconcileInterval),
		slog.Duration("job_rescue_after", c.JobRescueAfter),
	)
	attrs = append(attrs, c.Storage.logAttrs(c.Env)...)
	return slog.GroupValue(attrs...)
}

// String returns the same redacted view as LogValue as key=value pairs, so
// that printing a Config with %v cannot leak a password.
func (c Config) String() string {
	return joinAttrs(c.LogValue().Group())
}

func joinAttrs(attrs []slog.Attr) string {
	var b strings.Builder
	for i, a := range attrs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(a.Value.String())
	}
	return b.String()
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

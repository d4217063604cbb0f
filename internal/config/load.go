package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Environment variable names.
const (
	VarAppEnv               = "APP_ENV"
	VarHTTPAddr             = "HTTP_ADDR"
	VarDatabaseURL          = "DATABASE_URL"
	VarDataDir              = "DATA_DIR"
	VarLogLevel             = "LOG_LEVEL"
	VarLogFormat            = "LOG_FORMAT"
	VarAllowSQLite          = "ALLOW_SQLITE_IN_PRODUCTION"
	VarPlaygroundAssetsDir  = "PLAYGROUND_ASSETS_DIR"
	VarShutdownTimeout      = "SHUTDOWN_TIMEOUT"
	VarSeedDemoData         = "SEED_DEMO_DATA"
	VarRequestTimeout       = "REQUEST_TIMEOUT"
	VarMaxBodyBytes         = "MAX_BODY_BYTES"
	VarPublicBaseURL        = "PUBLIC_BASE_URL"
	VarMailFrom             = "MAIL_FROM"
	VarSMTPURL              = "SMTP_URL"
	VarCORSOrigins          = "CORS_ORIGINS"
	VarSessionIdleTimeout   = "SESSION_IDLE_TIMEOUT"
	VarSessionMaxAge        = "SESSION_MAX_AGE"
	VarTrustedProxies       = "TRUSTED_PROXIES"
	VarGraphQLIntrospection = "GRAPHQL_INTROSPECTION"
	VarTOTPEncryptionKeys   = "TOTP_ENCRYPTION_KEYS"
	VarDebugAddr            = "DEBUG_ADDR"
)

// Defaults and limits.
const (
	DefaultHTTPAddr        = "127.0.0.1:8080"
	DefaultDataDir         = "./data"
	DefaultShutdownTimeout = 15 * time.Second
	DefaultRequestTimeout  = 30 * time.Second
	DefaultMaxBodyBytes    = 1 << 20
	// The session defaults are the longest OWASP ASVS level 2 and NIST SP
	// 800-63B AAL2 allow before re-authentication: 30 minutes idle, 12
	// hours in all.
	DefaultSessionIdleTimeout = 30 * time.Minute
	DefaultSessionMaxAge      = 12 * time.Hour

	minShutdownTimeout = time.Second
	maxShutdownTimeout = 5 * time.Minute
	minRequestTimeout  = time.Second
	maxRequestTimeout  = 10 * time.Minute
	minMaxBodyBytes    = 1 << 10
	maxMaxBodyBytes    = 64 << 20
	minSessionIdle     = time.Minute
	maxSessionIdle     = 24 * time.Hour
	minSessionMaxAge   = 5 * time.Minute
	maxSessionMaxAge   = 90 * 24 * time.Hour
)

// loader accumulates problems instead of stopping at the first, which is the
// whole point of Load's error contract.
type loader struct {
	getenv   func(string) string
	problems []string
}

func (l *loader) load() Config {
	env := l.env()
	c := Config{Env: env}
	c.HTTPAddr = l.httpAddr()
	c.DataDir = l.dataDir()
	c.DatabaseURL = l.databaseURL(c.DataDir)
	c.LogLevel = l.logLevel()
	c.LogFormat = l.logFormat(env)
	c.AllowSQLite = l.boolean(VarAllowSQLite, false)
	c.PlaygroundAssetsDir = l.path(VarPlaygroundAssetsDir, "")
	c.ShutdownTimeout = l.duration(VarShutdownTimeout, DefaultShutdownTimeout, minShutdownTimeout, maxShutdownTimeout)
	c.SeedDemoData = l.seedDemoData(env)
	c.RequestTimeout = l.duration(VarRequestTimeout, DefaultRequestTimeout, minRequestTimeout, maxRequestTimeout)
	c.MaxBodyBytes = l.maxBodyBytes()
	c.Admission = l.admission(c.RequestTimeout)
	c.PublicBaseURL = l.publicBaseURL(env, c.HTTPAddr)
	c.MailFrom = l.mailFrom(c.PublicBaseURL)
	c.SMTPURL = l.smtpURL(env)
	c.CORSOrigins = l.corsOrigins()
	c.SessionIdleTimeout = l.duration(VarSessionIdleTimeout, DefaultSessionIdleTimeout, minSessionIdle, maxSessionIdle)
	c.SessionMaxAge = l.duration(VarSessionMaxAge, DefaultSessionMaxAge, minSessionMaxAge, maxSessionMaxAge)
	c.TrustedProxies = l.trustedProxies()
	c.GraphQLIntrospection = l.boolean(VarGraphQLIntrospection, env != EnvProd)
	c.TOTPEncryptionKeys = l.totpEncryptionKeys(env)
	c.DebugAddr = l.debugAddr()
	c.GC = l.gcBudget()
	c.Cache = l.cache()
	c.Storage = l.storage(env, c.DataDir)
	c.Storage.SigningKey = l.storageSigningKey(env, c.Storage.Driver)
	c.APIBaseURL = l.apiBaseURL(env, c.HTTPAddr, c.Storage.Driver)
	c.Storage.PublicBaseURL = l.assetsPublicBaseURL(env)
	c.Storage.DailyUploadBytes = l.uploadDailyBytes()
	c.ReconcileInterval = l.reconcileInterval()
	c.JobRescueAfter = l.jobRescueAfter()
	l.checkSessionTimeouts(c)
	l.checkSQLiteAllowed(c)
	return c
}

func (l *loader) lookup(name string) string {
	return strings.TrimSpace(l.getenv(name))
}

func (l *loader) reject(name, format string, args ...any) {
	l.problems = append(l.problems, name+": "+fmt.Sprintf(format, args...))
}

// rejected reports whether name already has a problem, for checks that
// relate two settings and would only repeat it.
func (l *loader) rejected(name string) bool {
	for _, p := range l.problems {
		if strings.HasPrefix(p, name+": ") {
			return true
		}
	}
	return false
}

// env falls back to dev on a bad value so that env-dependent defaults do not
// add follow-on problems to the APP_ENV one.
func (l *loader) env() Env {
	v := l.lookup(VarAppEnv)
	switch e := Env(strings.ToLower(v)); e {
	case "":
		return EnvDev
	case EnvDev, EnvStage, EnvProd:
		return e
	}
	l.reject(VarAppEnv, "%q is not one of dev, stage, prod", v)
	return EnvDev
}

func (l *loader) httpAddr() string {
	v := l.lookup(VarHTTPAddr)
	if v == "" {
		return DefaultHTTPAddr
	}
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		l.reject(VarHTTPAddr, "%q is not host:port", v)
		return v
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		l.reject(VarHTTPAddr, "%q has invalid port %q (want 1-65535)", v, port)
	}
	return v
}

// debugAddr accepts only loopback addresses: profiles and runtime
// statistics are for an operator on the machine (or through a tunnel),
// never for the network the API is served on.
func (l *loader) debugAddr() string {
	v := l.lookup(VarDebugAddr)
	if v == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		l.reject(VarDebugAddr, "%q is not host:port", v)
		return v
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		l.reject(VarDebugAddr, "%q has invalid port %q (want 1-65535)", v, port)
	}
	if ip, err := netip.ParseAddr(host); host != "localhost" && (err != nil || !ip.IsLoopback()) {
		l.reject(VarDebugAddr, "%q must be a loopback address (127.0.0.1, ::1 or localhost)", v)
	}
	return v
}

func (l *loader) dataDir() string {
	return l.path(VarDataDir, DefaultDataDir)
}

// path rejects NUL because no file system accepts it and it would otherwise
// surface later as a confusing open error.
func (l *loader) path(name, def string) string {
	v := l.lookup(name)
	if v == "" {
		return def
	}
	if strings.ContainsRune(v, 0) {
		l.reject(name, "%q contains a NUL byte", v)
	}
	return v
}

func (l *loader) databaseURL(dataDir string) string {
	v := l.lookup(VarDatabaseURL)
	if _, err := parseDatabaseURL(v, dataDir); err != nil {
		l.reject(VarDatabaseURL, "%q %v", RedactDatabaseURL(v), err)
	}
	return v
}

func (l *loader) logLevel() slog.Level {
	v := l.lookup(VarLogLevel)
	switch strings.ToLower(v) {
	case "", "info":
		return slog.LevelInfo
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	l.reject(VarLogLevel, "%q is not one of debug, info, warn, error", v)
	return slog.LevelInfo
}

// logFormat defaults to json outside dev because log collectors parse it,
// while people read dev logs in a terminal.
func (l *loader) logFormat(env Env) string {
	v := l.lookup(VarLogFormat)
	switch f := strings.ToLower(v); f {
	case "":
		if env == EnvDev {
			return "text"
		}
		return "json"
	case "text", "json":
		return f
	}
	l.reject(VarLogFormat, "%q is not one of text, json", v)
	return "text"
}

func (l *loader) boolean(name string, def bool) bool {
	v := l.lookup(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.reject(name, "%q is not a boolean (want true or false)", v)
		return def
	}
	return b
}

// seedDemoData refuses demo data outside dev because seeding writes fake
// users and courses into a real database.
func (l *loader) seedDemoData(env Env) bool {
	seed := l.boolean(VarSeedDemoData, env == EnvDev)
	if seed && env != EnvDev {
		l.reject(VarSeedDemoData, "%q is not allowed in %s", l.lookup(VarSeedDemoData), env)
	}
	return seed
}

func (l *loader) duration(name string, def, lo, hi time.Duration) time.Duration {
	v := l.lookup(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		l.reject(name, "%q is not a duration (e.g. 15s, 2m)", v)
		return def
	}
	if d < lo || d > hi {
		l.reject(name, "%q is outside %v..%v", v, lo, hi)
	}
	return d
}

func (l *loader) maxBodyBytes() int64 {
	return l.byteCount(VarMaxBodyBytes, DefaultMaxBodyBytes, minMaxBodyBytes, maxMaxBodyBytes)
}

// byteCount reads a plain number of bytes, without units: these settings
// are compared with byte counts in code and logged as numbers.
func (l *loader) byteCount(name string, def, lo, hi int64) int64 {
	v := l.lookup(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		l.reject(name, "%q is not a whole number of bytes", v)
		return def
	}
	if n < lo || n > hi {
		l.reject(name, "%q is outside %d..%d", v, lo, hi)
	}
	return n
}

// checkSQLiteAllowed keeps stage and prod off SQLite by default because a
// single local file is neither backed up nor shared between replicas.
func (l *loader) checkSQLiteAllowed(c Config) {
	if c.Env == EnvDev || c.AllowSQLite || c.Driver() != DriverSQLite {
		return
	}
	l.reject(VarDatabaseURL, "%s refuses SQLite unless %s=true", c.Env, VarAllowSQLite)
}

// Command lectern serves Lectern's GraphQL API. Its commands build
// Lectern's services through internal/app, the one place where components
// are wired together:
//
//	lectern            serve (dev: migrate and load demo data first)
//	lectern migrate    apply pending migrations, seal TOTP secrets under the first key
//	lectern seed       load the demo dataset into an empty database
//	lectern seed --courses N [--seed S]   add a synthetic dataset
//	lectern user create --email E --role R [--name N]   create an account (password on stdin)
//	lectern version    print the version
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"lectern/ent/user"
	"lectern/internal/app"
	"lectern/internal/apperr"
	"lectern/internal/auth"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/obs"
	"lectern/internal/sealed"
	"lectern/internal/seed"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "lectern:", err)
		os.Exit(1)
	}
}

// run executes one command. It returns when the command is done or, for
// serve, after ctx is cancelled and the server has shut down.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "lectern", buildVersion())
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve", "migrate", "seed", "user":
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	debug.SetGCPercent(cfg.GC.Percent)
	debug.SetMemoryLimit(cfg.GC.MemoryLimit)
	logger := obs.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	if cfg, err = withDevTOTPKey(cfg, logger); err != nil {
		return err
	}
	if cfg, err = withDevStorageKey(cfg, logger); err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	switch cmd {
	case "migrate":
		return migrate(ctx, cfg, db, logger)
	case "seed":
		return seedCommand(ctx, db, rest, stdout, stderr)
	case "user":
		return userCommand(ctx, cfg, db, logger, rest, stdin, stdout, stderr)
	}
	return serve(ctx, cfg, db, logger, stdout)
}

const usage = `usage: lectern [command]
  serve (default)                 serve the API on HTTP_ADDR
  migrate                         apply pending database migrations and seal stored TOTP
                                  secrets under the first of TOTP_ENCRYPTION_KEYS
  seed                            load the demo dataset into an empty database
  seed --courses N [--seed S]     add a deterministic synthetic dataset of N courses
  user create --email E --role R [--name N]
                                  create a verified account (LEARNER, INSTRUCTOR or ADMIN);
                                  the password is read from the first line of standard input
  version                         print the version
Configuration comes from environment variables; see README.md.
`

func openDatabase(ctx context.Context, cfg config.Config) (*database.DB, error) {
	url := cfg.DatabaseURL
	if cfg.Driver() == config.DriverSQLite {
		path := cfg.SQLitePath()
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		url = "sqlite:" + path
	}
	return database.Open(ctx, url)
}

// withDevTOTPKey gives dev a TOTP encryption key when none is configured:
// generated into DATA_DIR on first start and read from there after, so
// that secrets sealed by one run open in the next. Stage and prod cannot
// get here without keys (Load requires them).
func withDevTOTPKey(cfg config.Config, logger *slog.Logger) (config.Config, error) {
	if len(cfg.TOTPEncryptionKeys) > 0 || !cfg.Dev() {
		return cfg, nil
	}
	path := cfg.TOTPKeyFile()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return cfg, fmt.Errorf("data directory: %w", err)
	}
	// A random ID: a database copied from another machine then fails with
	// "unknown key" rather than as if its secrets had been altered.
	keys, created, err := sealed.LoadOrCreateKeyFile(path, "dev-"+strings.ToLower(rand.Text()[:8]))
	if err != nil {
		return cfg, fmt.Errorf("dev TOTP encryption key (%s is empty): %w", config.VarTOTPEncryptionKeys, err)
	}
	if created {
		logger.Info("generated a TOTP encryption key for dev", slog.String("path", path), slog.Any("key", keys[0]))
	}
	cfg.TOTPEncryptionKeys = keys
	return cfg, nil
}

// withDevStorageKey gives dev's file store a URL signing key when none is
// configured: generated into DATA_DIR on first start and read from there
// after, so that links handed out before a restart still work. Stage and
// prod cannot get here without one (Load requires it of the file store).
func withDevStorageKey(cfg config.Config, logger *slog.Logger) (config.Config, error) {
	if len(cfg.Storage.SigningKey) > 0 || !cfg.Dev() || cfg.Storage.Driver != config.StorageFile {
		return cfg, nil
	}
	path := cfg.StorageKeyFile()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return cfg, fmt.Errorf("data directory: %w", err)
	}
	key, created, err := loadOrCreateKey(path)
	if err != nil {
		return cfg, fmt.Errorf("dev storage signing key (%s is empty): %w", config.VarStorageSigningKey, err)
	}
	if created {
		logger.Info("generated a storage signing key for dev", slog.String("path", path))
	}
	cfg.Storage.SigningKey = key
	return cfg, nil
}

// loadOrCreateKey returns the 32-byte key held base64-encoded in the file
// at path, creating the file (readable by its owner only) with a new
// random key when it does not exist.
func loadOrCreateKey(path string) (key []byte, created bool, err error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) { // another process made it first
			return loadOrCreateKey(path)
		}
		if err != nil {
			return nil, false, err
		}
		_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return key, err == nil, err
	}
	if err != nil {
		return nil, false, err
	}
	key, err = base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) < 32 {
		return nil, false, fmt.Errorf("%s does not hold a base64 key of at least 32 bytes", path)
	}
	return key, false, nil
}

// migrate applies Lectern's migrations, then the job queue's (River keeps
// its own tables and versions beside Lectern's), then seals the TOTP
// secrets not yet under the first TOTP encryption key: stored in plain
// text by an older version, or under a key being rotated out. That last
// step needs the keys from the configuration, so it is code rather than a
// versioned SQL migration; it finds nothing to do when run again.
func migrate(ctx context.Context, cfg config.Config, db *database.DB, logger *slog.Logger) error {
	applied, err := db.Migrate(ctx)
	if err == nil {
		var queue []string
		queue, err = jobs.Migrate(ctx, db)
		applied = append(applied, queue...)
	}
	for _, v := range applied {
		logger.InfoContext(ctx, "migration applied", slog.String("version", v))
	}
	if err != nil {
		return err
	}
	keys, err := app.TOTPKeyring(cfg)
	if err != nil {
		return err
	}
	resealed, err := auth.SealTOTPSecrets(ctx, db, keys)
	if err != nil {
		return err
	}
	if resealed > 0 {
		logger.InfoContext(ctx, "TOTP secrets sealed", slog.Int("accounts", resealed), slog.String("key", keys.Primary()))
	}
	if len(applied) == 0 && resealed == 0 {
		logger.InfoContext(ctx, "migrations: already up to date")
	}
	return nil
}

func seedCommand(ctx context.Context, db *database.DB, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	courses := fs.Int("courses", 0, "generate a synthetic dataset of this many courses (1..100000)")
	seedValue := fs.Uint64("seed", 1, "random seed of the synthetic dataset")
	if err := fs.Parse(args); err != nil {
		return err
	}
	synthetic := false
	fs.Visit(func(f *flag.Flag) { synthetic = synthetic || f.Name == "courses" })
	if pending, err := db.Pending(ctx); err != nil || len(pending) > 0 {
		return fmt.Errorf("seed: the database needs migrating first (go run . migrate): %d pending", len(pending))
	}
	now := time.Now().UTC()
	if synthetic {
		start := time.Now()
		if err := seed.Synthetic(ctx, db.Ent, *courses, *seedValue, now); err != nil {
			return err
		}
		if err := db.Analyze(ctx); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded %d synthetic courses (seed %d) in %s\n", *courses, *seedValue, time.Since(start).Round(time.Millisecond))
		return nil
	}
	loaded, err := seed.Demo(ctx, db.Ent, now)
	if err != nil {
		return err
	}
	if !loaded {
		fmt.Fprintln(stdout, "the database already has data; demo dataset not loaded")
		return nil
	}
	if err := db.Analyze(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "demo dataset loaded")
	return nil
}

func serve(ctx context.Context, cfg config.Config, db *database.DB, logger *slog.Logger, stdout io.Writer) error {
	logger.InfoContext(ctx, "starting", slog.String("version", buildVersion()), slog.Any("config", cfg))
	if cfg.Dev() {
		if err := migrate(ctx, cfg, db, logger); err != nil {
			return err
		}
	}
	lectern, err := app.Build(cfg, db, logger, app.WithWorkers())
	if err != nil {
		return err
	}
	defer lectern.Close()
	if cfg.SeedDemoData {
		if err := seedDemo(ctx, cfg.Dev(), db, lectern.Auth, logger, stdout); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if err := lectern.Queue.Start(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("start job workers: %w", err)
	}
	defer stopQueue(lectern.Queue, cfg, logger)
	if lectern.Debug != nil {
		stopDebug, err := serveDebug(cfg.DebugAddr, lectern.Debug, logger)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopDebug()
	}
	srv := &http.Server{
		Handler:           lectern.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return listenUntilDone(ctx, srv, ln, cfg, logger)
}

// serveDebug serves the diagnostics surface on addr (DEBUG_ADDR, loopback
// only) until the returned stop is called. Profiles take up to a minute,
// so it has no write timeout.
func serveDebug(addr string, h http.Handler, logger *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", config.VarDebugAddr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }()
	logger.Info("diagnostics", slog.String("pprof", "http://"+ln.Addr().String()+"/debug/pprof/"))
	return func() { _ = srv.Close() }, nil
}

// stopQueue lets running jobs finish within the shutdown timeout.
func stopQueue(q *jobs.Queue, cfg config.Config, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := q.Stop(ctx); err != nil {
		logger.Warn("stopping job workers", slog.String("error", err.Error()))
	}
}

// seedDemo loads the demo dataset into an empty database and, in dev only,
// gives the demo accounts their published passwords (hashed by identity)
// and prints them.
func seedDemo(ctx context.Context, dev bool, db *database.DB, identity *auth.Service, logger *slog.Logger, stdout io.Writer) error {
	loaded, err := seed.Demo(ctx, db.Ent, time.Now().UTC())
	if err != nil {
		return err
	}
	if loaded {
		logger.InfoContext(ctx, "demo dataset loaded")
	}
	if !dev {
		return nil
	}
	accounts, err := seed.SetDemoPasswords(ctx, db.Ent, identity.HashPassword)
	if err != nil {
		return err
	}
	if len(accounts) > 0 {
		fmt.Fprintln(stdout, "Demo accounts (dev only; email / password):")
		for _, a := range accounts {
			fmt.Fprintf(stdout, "  %-11s %s / %s\n", a.Role, a.Email, a.Password)
		}
	}
	return nil
}

// listenUntilDone serves until ctx is cancelled, then stops accepting and
// waits for in-flight requests (up to SHUTDOWN_TIMEOUT).
func listenUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, cfg config.Config, logger *slog.Logger) error {
	addr := "http://" + ln.Addr().String()
	logger.InfoContext(ctx, "serving", slog.String("graphql", addr+"/v1/graphql"), slog.Bool("playground", cfg.Playground()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// userCommand runs "user create": it makes a verified account with the
// given role, reading the password from the first line of stdin so it
// never appears in the process list or shell history.
func userCommand(ctx context.Context, cfg config.Config, db *database.DB, logger *slog.Logger, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: lectern user create --email E --role R [--name N] (password on stdin)")
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address of the account")
	role := fs.String("role", "LEARNER", "LEARNER, INSTRUCTOR or ADMIN")
	name := fs.String("name", "", "display name (default: the part of the email before @)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if pending, err := db.Pending(ctx); err != nil || len(pending) > 0 {
		return fmt.Errorf("user create: the database needs migrating first (go run . migrate): %d pending", len(pending))
	}
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("user create: read password: %w", err)
	}
	pw = strings.TrimRight(pw, "\r\n")
	if *name == "" {
		*name, _, _ = strings.Cut(*email, "@")
	}
	lectern, err := app.Build(cfg, db, logger)
	if err != nil {
		return err
	}
	defer lectern.Close()
	u, err := lectern.Auth.CreateUser(ctx, auth.NewUser{Email: *email, Password: pw, DisplayName: *name, Role: user.Role(strings.ToUpper(*role))})
	if fields, ok := apperr.FieldsOf(err); ok {
		for _, f := range fields {
			fmt.Fprintf(stderr, "%s: %s (%s)\n", strings.Join(f.Field, "."), f.Message, f.Code)
		}
		return errors.New("user create: invalid input")
	}
	if err != nil {
		return fmt.Errorf("user create: %w", err)
	}
	fmt.Fprintf(stdout, "created %s account %s (%s)\n", u.Role, u.Email, u.GlobalID())
	return nil
}

// buildVersion is the version set at build time, with the module version
// and VCS revision when the build recorded them.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	v := version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	return v + " (" + info.GoVersion + ")"
}

package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func TestLoadDefaults(t *testing.T) {
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
				RequestTimeout: 30 * time.Second, MaxBodyBytes: 1048576,
			},
		},
		{
			name: "stage",
			vars: map[string]string{"APP_ENV": "stage", "DATABASE_URL": pgURL},
			want: Config{
				Env: EnvStage, HTTPAddr: "127.0.0.1:8080", DatabaseURL: pgURL, DataDir: "./data",
				LogLevel: slog.LevelInfo, LogFormat: "json",
				ShutdownTimeout: 15 * time.Second,
				RequestTimeout:  30 * time.Second, MaxBodyBytes: 1048576,
			},
		},
		{
			name: "prod with whitespace around values",
			vars: map[string]string{"APP_ENV": " prod\n", "DATABASE_URL": " " + pgURL + " "},
			want: Config{
				Env: EnvProd, HTTPAddr: "127.0.0.1:8080", DatabaseURL: pgURL, DataDir: "./data",
				LogLevel: slog.LevelInfo, LogFormat: "json",
				ShutdownTimeout: 15 * time.Second,
				RequestTimeout:  30 * time.Second, MaxBodyBytes: 1048576,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustLoad(t, tt.vars); got != tt.want {
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
		{"level debug", map[string]string{"LOG_LEVEL": "debug"}, func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
		{"level warn", map[string]string{"LOG_LEVEL": "WARN"}, func(c Config) bool { return c.LogLevel == slog.LevelWarn }},
		{"level error", map[string]string{"LOG_LEVEL": "error"}, func(c Config) bool { return c.LogLevel == slog.LevelError }},
		{"json in dev", map[string]string{"LOG_FORMAT": "json"}, func(c Config) bool { return c.LogFormat == "json" }},
		{"text in prod", map[string]string{"APP_ENV": "prod", "DATABASE_URL": pgURL, "LOG_FORMAT": "text"}, func(c Config) bool { return c.LogFormat == "text" }},
		{"seed off in dev", map[string]string{"SEED_DEMO_DATA": "false"}, func(c Config) bool { return !c.SeedDemoData }},
		{"seed explicitly off in prod", map[string]string{"APP_ENV": "prod", "DATABASE_URL": pgURL, "SEED_DEMO_DATA": "0"}, func(c Config) bool { return !c.SeedDemoData }},
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
		{"level trace", map[string]string{"LOG_LEVEL": "trace"}, `LOG_LEVEL: "trace" is not one of debug, info, warn, error`},
		{"level offset", map[string]string{"LOG_LEVEL": "info+2"}, `LOG_LEVEL: "info+2" is not one of`},
		{"format logfmt", map[string]string{"LOG_FORMAT": "logfmt"}, `LOG_FORMAT: "logfmt" is not one of text, json`},
		{"allow bad bool", map[string]string{"ALLOW_SQLITE_IN_PRODUCTION": "yes"}, `ALLOW_SQLITE_IN_PRODUCTION: "yes" is not a boolean`},
		{"assets nul", map[string]string{"PLAYGROUND_ASSETS_DIR": "\x00"}, `PLAYGROUND_ASSETS_DIR: "\x00" contains a NUL byte`},
		{"shutdown no unit", map[string]string{"SHUTDOWN_TIMEOUT": "15"}, `SHUTDOWN_TIMEOUT: "15" is not a duration`},
		{"shutdown too short", map[string]string{"SHUTDOWN_TIMEOUT": "500ms"}, `SHUTDOWN_TIMEOUT: "500ms" is outside 1s..5m0s`},
		{"shutdown too long", map[string]string{"SHUTDOWN_TIMEOUT": "6m"}, `SHUTDOWN_TIMEOUT: "6m" is outside 1s..5m0s`},
		{"seed bad bool", map[string]string{"SEED_DEMO_DATA": "sometimes"}, `SEED_DEMO_DATA: "sometimes" is not a boolean`},
		{"seed in stage", map[string]string{"APP_ENV": "stage", "DATABASE_URL": pgURL, "SEED_DEMO_DATA": "true"}, `SEED_DEMO_DATA: "true" is not allowed in stage`},
		{"seed in prod", map[string]string{"APP_ENV": "prod", "DATABASE_URL": pgURL, "SEED_DEMO_DATA": "1"}, `SEED_DEMO_DATA: "1" is not allowed in prod`},
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
			vars := map[string]string{"APP_ENV": tt.env, "DATABASE_URL": tt.dbURL, "ALLOW_SQLITE_IN_PRODUCTION": tt.allow}
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
	c := mustLoad(t, map[string]string{"APP_ENV": "prod", "DATABASE_URL": pgURL})
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

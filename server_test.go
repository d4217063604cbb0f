package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lectern/ent/user"
	"lectern/internal/auth/password"
	"lectern/internal/database"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// result is what one run printed and returned.
type result struct {
	stdout, stderr string
	err            error
}

func runWith(ctx context.Context, args []string, env map[string]string) result {
	var stdout, stderr testenv.Buffer
	err := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	return result{stdout.String(), stderr.String(), err}
}

// mustRun runs a command that has to succeed.
func mustRun(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	r := runWith(context.Background(), args, env)
	if r.err != nil {
		t.Fatalf("lectern %s: %v\nstderr:\n%s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r
}

// dialects gives each test the environment of a fresh, empty database of
// each kind: SQLite through DATA_DIR (as a developer runs it) and
// PostgreSQL through DATABASE_URL.
func dialects(t *testing.T, fn func(t *testing.T, env map[string]string, dsn string)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, map[string]string{"DATA_DIR": dir}, "sqlite:"+filepath.Join(dir, "lectern.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := emptyPostgres(t)
		fn(t, map[string]string{"DATABASE_URL": dsn, "DATA_DIR": t.TempDir()}, dsn)
	})
}

// emptyPostgres creates a database with nothing in it, dropped when the
// test ends, and returns its URL.
func emptyPostgres(t *testing.T) string {
	t.Helper()
	return testenv.EmptyPostgres(t)
}

// countCourses opens the database the command used and counts its courses.
func countCourses(t *testing.T, dsn string) int {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	var n int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM courses`).Scan(&n); err != nil {
		t.Fatalf("count courses: %v", err)
	}
	return n
}

// analysed reports whether the planner has statistics for the courses
// table, as a bulk load must leave it.
func analysed(t *testing.T, dsn string) bool {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	q := `SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'courses'`
	if db.Dialect == database.Postgres {
		q = `SELECT COUNT(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'courses'`
	}
	var n int
	if err := db.SQL.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("planner statistics: %v", err)
	}
	return n > 0
}

func TestRunVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-v"} {
		r := runWith(context.Background(), []string{arg}, nil)
		if r.err != nil {
			t.Fatalf("%s: %v", arg, r.err)
		}
		if !strings.HasPrefix(r.stdout, "lectern ") || strings.TrimSpace(r.stdout) == "lectern" {
			t.Errorf("%s printed %q, want \"lectern <version>\"", arg, r.stdout)
		}
	}
}

func TestRunRejectsUnknownCommand(t *testing.T) {
	r := runWith(context.Background(), []string{"frobnicate"}, nil)
	if r.err == nil || !strings.Contains(r.err.Error(), `unknown command "frobnicate"`) {
		t.Fatalf("err = %v, want an unknown-command error", r.err)
	}
}

func TestRunRejectsInvalidEnvironment(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"APP_ENV": "production", "HTTP_ADDR": "nonsense", "DATA_DIR": dataDir}
	for _, cmd := range [][]string{nil, {"migrate"}, {"seed"}} {
		r := runWith(context.Background(), cmd, env)
		if r.err == nil {
			t.Fatalf("lectern %v started with an invalid environment", cmd)
		}
		msg := r.err.Error()
		if !strings.Contains(msg, "APP_ENV") || !strings.Contains(msg, "HTTP_ADDR") {
			t.Errorf("lectern %v: error %q does not list both APP_ENV and HTTP_ADDR", cmd, msg)
		}
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a rejected configuration still touched DATA_DIR (stat: %v)", err)
	}
}

func TestRunMigrate(t *testing.T) {
	dialects(t, func(t *testing.T, env map[string]string, dsn string) {
		first := mustRun(t, env, "migrate")
		if !strings.Contains(first.stderr, "migration applied") {
			t.Errorf("first migrate logged no applied migration:\n%s", first.stderr)
		}
		second := mustRun(t, env, "migrate")
		if !strings.Contains(second.stderr, "already up to date") || strings.Contains(second.stderr, "migration applied") {
			t.Errorf("second migrate did not report up to date:\n%s", second.stderr)
		}
		db, err := database.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer db.Close()
		if pending, err := db.Pending(context.Background()); err != nil || len(pending) != 0 {
			t.Fatalf("pending after migrate = %v, %v; want none", pending, err)
		}
	})
}

func TestRunSeed(t *testing.T) {
	dialects(t, func(t *testing.T, env map[string]string, dsn string) {
		if r := runWith(context.Background(), []string{"seed"}, env); r.err == nil || !strings.Contains(r.err.Error(), "migrat") {
			t.Fatalf("seed before migrate: err = %v, want a request to migrate first", r.err)
		}
		mustRun(t, env, "migrate")

		if out := mustRun(t, env, "seed").stdout; !strings.Contains(out, "demo dataset loaded") {
			t.Fatalf("first seed printed %q", out)
		}
		demo := countCourses(t, dsn)
		if demo == 0 {
			t.Fatal("the demo dataset has no courses")
		}
		if out := mustRun(t, env, "seed").stdout; !strings.Contains(out, "the database already has data") {
			t.Fatalf("second seed printed %q", out)
		}
		if n := countCourses(t, dsn); n != demo {
			t.Fatalf("second seed changed the course count from %d to %d", demo, n)
		}

		if out := mustRun(t, env, "seed", "--courses", "5").stdout; !strings.Contains(out, "seeded 5 synthetic courses (seed 1)") {
			t.Fatalf("seed --courses 5 printed %q", out)
		}
		if n := countCourses(t, dsn); n != demo+5 {
			t.Fatalf("after seed --courses 5 there are %d courses, want %d", n, demo+5)
		}
		if !analysed(t, dsn) {
			t.Fatal("seed left the courses table without planner statistics")
		}
	})
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return addr
}

func TestRunServe(t *testing.T) {
	dialects(t, func(t *testing.T, env map[string]string, _ string) {
		addr := freeAddr(t)
		env["HTTP_ADDR"] = addr
		base := "http://" + addr
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stderr := &testenv.Buffer{}
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, nil, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, stderr)
		}()

		client := &http.Client{Timeout: 5 * time.Second}
		waitReady(t, base, done, stderr)

		body := strings.NewReader(`{"query":"{ courses { totalCount edges { node { slug } } } }"}`)
		resp, err := client.Post(base+"/v1/graphql", "application/json", body)
		if err != nil {
			t.Fatalf("POST /v1/graphql: %v", err)
		}
		var out struct {
			Data struct {
				Courses struct {
					TotalCount int
					Edges      []struct{ Node struct{ Slug string } }
				}
			}
			Errors []json.RawMessage
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
			t.Fatalf("GraphQL answer: status %d, decode %v, errors %s", resp.StatusCode, err, out.Errors)
		}
		if out.Data.Courses.TotalCount == 0 || len(out.Data.Courses.Edges) == 0 || out.Data.Courses.Edges[0].Node.Slug == "" {
			t.Fatalf("dev serve should seed the demo courses; got %+v", out.Data.Courses)
		}

		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run after cancel = %v, want nil (graceful shutdown)\nstderr:\n%s", err, stderr)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("run did not return after its context was cancelled\nstderr:\n%s", stderr)
		}
		if !strings.Contains(stderr.String(), "stopped") {
			t.Errorf("no shutdown logged:\n%s", stderr)
		}
		if resp, err := client.Get(base + "/healthz"); err == nil {
			_ = resp.Body.Close()
			t.Fatalf("the server still answers after shutdown (%d)", resp.StatusCode)
		}
	})
}

// waitReady waits for GET /readyz, failing with run's error and output if
// it returns first.
func waitReady(t *testing.T, base string, done <-chan error, stderr *testenv.Buffer) {
	t.Helper()
	testenv.WaitReady(t, base, func() string {
		select {
		case err := <-done:
			return fmt.Sprintf("run returned %v\nstderr:\n%s", err, stderr)
		default:
			return ""
		}
	})
}

func TestRunAcceptsDatabaseURLSchemeInAnyCase(t *testing.T) {
	// URL schemes are case-insensitive (RFC 3986) and config.Load accepts
	// "PostgreSQL://…"; a configuration Load accepts must also open.
	dsn := emptyPostgres(t)
	upper := "PostgreSQL" + strings.TrimPrefix(dsn, "postgres")
	r := runWith(context.Background(), []string{"migrate"}, map[string]string{"DATABASE_URL": upper, "DATA_DIR": t.TempDir()})
	if r.err != nil {
		t.Fatalf("migrate with DATABASE_URL=%s: %v", upper, r.err)
	}
	if n := countCourses(t, dsn); n != 0 {
		t.Fatalf("fresh database has %d courses", n)
	}
}

func TestRunSeedRejectsNegativeCourseCount(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DATA_DIR": dir}
	mustRun(t, env, "migrate")
	r := runWith(context.Background(), []string{"seed", "--courses", "-1"}, env)
	if r.err == nil {
		t.Errorf("seed --courses -1 succeeded (printed %q); want an error", r.stdout)
	}
	if n := countCourses(t, "sqlite:"+filepath.Join(dir, "lectern.db")); n != 0 {
		t.Errorf("seed --courses -1 wrote %d courses", n)
	}
}

func TestRunUserCreate(t *testing.T) {
	dialects(t, func(t *testing.T, env map[string]string, dsn string) {
		mustRun(t, env, "migrate")
		create := func(stdin string, args ...string) result {
			var stdout, stderr testenv.Buffer
			err := run(context.Background(), append([]string{"user", "create"}, args...),
				func(k string) string { return env[k] }, strings.NewReader(stdin), &stdout, &stderr)
			return result{stdout.String(), stderr.String(), err}
		}
		const pw = "a long admin passphrase"
		r := create(pw+"\n", "--email", " Root@Example.com ", "--role", "admin")
		if r.err != nil || !strings.Contains(r.stdout, "created ADMIN account root@example.com") {
			t.Fatalf("user create: %v\nstdout: %s\nstderr: %s", r.err, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, pw) {
			t.Error("the password was echoed")
		}
		db, err := database.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		u := db.Ent.User.Query().Where(user.Email("root@example.com")).OnlyX(viewer.SystemContext(context.Background()))
		if u.Role != user.RoleADMIN || u.EmailVerifiedAt == nil || u.PasswordHash == nil {
			t.Fatalf("stored account: role %s, verified %v, password set %v", u.Role, u.EmailVerifiedAt != nil, u.PasswordHash != nil)
		}
		h, err := password.NewHasher(password.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		if ok, _, err := h.Verify(context.Background(), pw, *u.PasswordHash); !ok || err != nil {
			t.Errorf("the stored hash does not verify the password read from stdin: %v", err)
		}

		for name, tc := range map[string]struct {
			stdin string
			args  []string
			want  string
		}{
			"TakenEmail":   {pw + "\n", []string{"--email", "root@example.com", "--role", "admin"}, "already exists"},
			"WeakPassword": {"short\n", []string{"--email", "weak@example.com", "--role", "learner"}, "PASSWORD_TOO_SHORT"},
			"UnknownRole":  {pw + "\n", []string{"--email", "x@example.com", "--role", "owner"}, "role must be"},
			"BadEmail":     {pw + "\n", []string{"--email", "not-an-address", "--role", "learner"}, "INVALID_EMAIL"},
		} {
			t.Run(name, func(t *testing.T) {
				r := create(tc.stdin, tc.args...)
				if r.err == nil || !strings.Contains(r.err.Error()+r.stderr, tc.want) {
					t.Fatalf("got err %v, stderr %q; want a failure mentioning %q", r.err, r.stderr, tc.want)
				}
			})
		}
		if n := db.Ent.User.Query().CountX(viewer.SystemContext(context.Background())); n != 1 {
			t.Errorf("%d accounts after the refused attempts, want 1", n)
		}
	})
}

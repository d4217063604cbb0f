package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The signed-in scenarios read as this learner, created on first use. The
// progress scenario's learners have the same password.
const (
	learnerEmail    = "bench-learner@example.com"
	learnerPassword = "some-long-password-123"
)

// app is the built server binary and the environment every command of it
// runs with.
type app struct {
	bin     string
	dir     string // DATA_DIR, and the working directory of every command
	dbURL   string
	totpKey string // TOTP_ENCRYPTION_KEYS, which stage requires
	// storageKey is STORAGE_SIGNING_KEY, which stage requires of the
	// file store.
	storageKey string
	// cacheEnv sets the public-read cache (-cache).
	cacheEnv []string
}

// build compiles the main package of the module the working directory is
// in, as "go build" there would (so default.pgo applies).
func build(ctx context.Context, dir, dbURL string) (*app, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return nil, errors.New("not inside a Go module: run from Lectern's repository")
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	a := &app{bin: filepath.Join(dir, "lectern"), dir: dir, dbURL: dbURL, totpKey: "bench:" + base64.StdEncoding.EncodeToString(key),
		storageKey: base64.StdEncoding.EncodeToString(key)}
	log.Printf("building %s", a.bin)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", a.bin, ".")
	cmd.Dir = filepath.Dir(gomod)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build: %w", err)
	}
	return a, nil
}

func (a *app) driver() string {
	if isPostgres(a.dbURL) {
		return "PostgreSQL"
	}
	return "SQLite"
}

// env is the process environment with Lectern's settings for the benchmark.
// exec keeps the last value of a repeated name, so these win. Lectern runs
// as in stage: dev would add the statement list to every response. There
// is no mail server: the sign-in notice a learner's first sign-in queues
// fails, and its retries show in the server's log.
func (a *app) env(extra ...string) []string {
	env := append(os.Environ(),
		"APP_ENV=stage",
		"ALLOW_SQLITE_IN_PRODUCTION=true",
		"PUBLIC_BASE_URL=https://lectern.invalid",
		"SMTP_URL=smtp://127.0.0.1:25",
		"TOTP_ENCRYPTION_KEYS="+a.totpKey,
		"STORAGE_SIGNING_KEY="+a.storageKey,
		"API_BASE_URL=https://lectern.invalid",
		"DATABASE_URL="+a.dbURL,
		"DATA_DIR="+a.dir,
		"LOG_LEVEL=warn",
		"SEED_DEMO_DATA=false",
	)
	env = append(env, a.cacheEnv...)
	return append(env, extra...)
}

// command runs one lectern command to completion with stdin as its input
// and returns its combined output.
func (a *app) command(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, a.bin, args...)
	cmd.Dir, cmd.Env = a.dir, a.env()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("lectern %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// prepare migrates the database and starts the server. If the server shows
// no published course, it stops it, seeds that many synthetic courses and
// starts it again, so that it plans with the statistics the seed leaves.
func (a *app) prepare(ctx context.Context, courses int) (*server, error) {
	log.Printf("migrating %s", a.driver())
	if _, err := a.command(ctx, "", "migrate"); err != nil {
		return nil, err
	}
	s, err := a.serve(ctx)
	if err != nil {
		return nil, err
	}
	head, err := firstCourse(ctx, s)
	if err != nil {
		s.stop()
		return nil, err
	}
	if head.total > 0 {
		return s, nil
	}
	s.stop()
	log.Printf("seeding %d synthetic courses", courses)
	out, err := a.command(ctx, "", "seed", "--courses", strconv.Itoa(courses))
	if err != nil {
		return nil, err
	}
	log.Print(strings.TrimSpace(out))
	return a.serve(ctx)
}

// serve starts "lectern serve" on free loopback ports and waits until it is
// ready.
func (a *app) serve(ctx context.Context) (*server, error) {
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	debugAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(a.bin, "serve")
	cmd.Dir, cmd.Env = a.dir, a.env("HTTP_ADDR="+httpAddr, "DEBUG_ADDR="+debugAddr)
	s := &server{name: "lectern", endpoint: "http://" + httpAddr + "/v1/graphql", debug: "http://" + debugAddr, logPath: filepath.Join(a.dir, "lectern.log")}
	log.Printf("starting lectern on %s", httpAddr)
	ready := func() bool { return answers(ctx, http.MethodGet, "http://"+httpAddr+"/readyz", nil) }
	if err := s.start(ctx, cmd, ready); err != nil {
		return nil, fmt.Errorf("lectern serve: %w", err)
	}
	return s, nil
}

// fixture finds the course the single-course scenarios read and prepares
// the signed-in learner: created if missing, signed in for a bearer token,
// enrolled in that course.
func (a *app) fixture(ctx context.Context, s *server) (fixture, error) {
	head, err := firstCourse(ctx, s)
	if err != nil {
		return fixture{}, err
	}
	if head.total == 0 {
		return fixture{}, errors.New("the database has no published course")
	}
	f := fixture{courses: head.total, courseID: head.id, courseSlug: head.slug}
	if err := a.createLearner(ctx, learnerEmail, "Bench"); err != nil {
		return f, err
	}
	if f.token, err = logIn(ctx, s, learnerEmail); err != nil {
		return f, err
	}
	log.Printf("enrolling %s in %s", learnerEmail, f.courseSlug)
	return f, enroll(ctx, s, f.courseID, f.token)
}

// createLearner creates a learner's account with learnerPassword, unless
// the email address has one already.
func (a *app) createLearner(ctx context.Context, email, name string) error {
	out, err := a.command(ctx, learnerPassword+"\n", "user", "create", "--email", email, "--role", "learner", "--name", name)
	if err != nil && !strings.Contains(out, "already exists") {
		return err
	}
	return nil
}

package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"lectern/internal/app"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/jobs"
	"lectern/internal/sealed"
	"lectern/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// devConfig is the dev configuration with its data directory under the
// test's temporary directory, so a file mail sender would write there.
func devConfig(t *testing.T) config.Config {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load(func(k string) string {
		if k == config.VarDataDir {
			return dir
		}
		return ""
	})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.Storage.Dir = t.TempDir()
	return cfg
}

// TestBuildWiresEveryService proves one Build yields every service and a
// handler that serves, with a queue that only inserts and no mail sender.
func TestBuildWiresEveryService(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		a, err := app.Build(devConfig(t), db, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if a.Policy == nil || a.Access == nil || a.Audit == nil || a.Auth == nil || a.Learning == nil ||
			a.Authoring == nil || a.Catalog == nil || a.Mailer == nil || a.Queue == nil || a.Handler == nil {
			t.Fatalf("Build left a service unset: %+v", a)
		}
		if a.Sender != nil {
			t.Errorf("Sender = %v without workers, want none", a.Sender)
		}
		rec := httptest.NewRecorder()
		a.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if rec.Code != http.StatusOK {
			t.Errorf("GET /healthz = %d, want 200", rec.Code)
		}
	})
}

// TestBuildWithWorkersInDev proves dev without SMTP_URL delivers mail as
// files under DATA_DIR/mail, names the sender in the log, and runs a queue
// that starts and stops.
func TestBuildWithWorkersInDev(t *testing.T) {
	db := testenv.Open(t, database.SQLite)
	cfg := devConfig(t)
	logs := &testenv.Buffer{}
	a, err := app.Build(cfg, db, slog.New(slog.NewTextHandler(logs, nil)), app.WithWorkers())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(a.Sender), "file:"+cfg.MailDir(); got != want {
		t.Errorf("Sender = %s, want %s", got, want)
	}
	if !strings.Contains(logs.String(), "msg=mail sender=") {
		t.Errorf("log does not name the mail sender:\n%s", logs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Queue.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := a.Queue.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// TestBuildWithQueue proves a given queue is the one the app enqueues
// through, workers or not.
func TestBuildWithQueue(t *testing.T) {
	db := testenv.Open(t, database.SQLite)
	q, err := jobs.New(db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(devConfig(t), db, slog.New(slog.DiscardHandler), app.WithWorkers(), app.WithQueue(q))
	if err != nil {
		t.Fatal(err)
	}
	if a.Queue != q || a.Sender != nil {
		t.Errorf("Queue = %p, Sender = %v; want the given queue %p and no sender", a.Queue, a.Sender, q)
	}
}

// TestBuildRefusesInvalidSessionTimeouts proves a configuration the
// identity service cannot run fails the build.
func TestBuildRefusesInvalidSessionTimeouts(t *testing.T) {
	db := testenv.Open(t, database.SQLite)
	cfg := devConfig(t)
	cfg.SessionIdleTimeout = cfg.SessionMaxAge + time.Minute
	if a, err := app.Build(cfg, db, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatalf("Build = %+v, want an error", a)
	}
}

// TestTOTPKeyring proves no keys make no keyring, and the first key seals.
func TestTOTPKeyring(t *testing.T) {
	kr, err := app.TOTPKeyring(config.Config{})
	if kr != nil || err != nil {
		t.Errorf("TOTPKeyring(no keys) = %v, %v; want nil, nil", kr, err)
	}
	key := testenv.TOTPKey()
	kr, err = app.TOTPKeyring(config.Config{TOTPEncryptionKeys: []sealed.Key{key}})
	if err != nil || kr.Primary() != key.ID() {
		t.Errorf("TOTPKeyring = %v, %v; want a keyring under %s", kr, err, key.ID())
	}
}

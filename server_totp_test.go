package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/uuid"

	"lectern/internal/auth/totp"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// storePlainTOTP gives a new account a TOTP secret in plain text, as an
// older version stored it, and returns the account's ID and the secret.
func storePlainTOTP(t *testing.T, dsn string) (uuid.UUID, string) {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	sec, err := totp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.Ent.User.Create().SetEmail(uuid.NewString() + "@example.com").SetDisplayName("Old").
		SetTotpSecret(sec).Save(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatalf("store account: %v", err)
	}
	return u.ID, sec
}

// storedTOTPSecret reads an account's totp_secret column as stored.
func storedTOTPSecret(t *testing.T, dsn string, id uuid.UUID) string {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	u, err := db.Ent.User.Get(viewer.SystemContext(context.Background()), id)
	if err != nil || u.TotpSecret == nil {
		t.Fatalf("read account: %v, %v", u, err)
	}
	return *u.TotpSecret
}

// TestRunMigrateSealsTOTPSecrets: in dev, the first run generates a TOTP
// encryption key into DATA_DIR, private to its owner and never logged;
// later runs reuse it. A secret stored in plain text is sealed by the next
// migrate and left alone by the one after.
func TestRunMigrateSealsTOTPSecrets(t *testing.T) {
	dialects(t, func(t *testing.T, env map[string]string, dsn string) {
		first := mustRun(t, env, "migrate")
		keyFile := filepath.Join(env["DATA_DIR"], "totp-encryption.key")
		key, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatalf("no key file after the first run: %v", err)
		}
		if info, _ := os.Stat(keyFile); runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
			t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
		}
		line := strings.TrimSpace(string(key[bytes.LastIndexByte(bytes.TrimSpace(key), '\n')+1:]))
		id, secret, _ := strings.Cut(line, ":")
		if !strings.HasPrefix(id, "dev-") || secret == "" {
			t.Fatalf("key file holds %q, want a dev-… key", line)
		}
		if !strings.Contains(first.stderr, "generated a TOTP encryption key") || strings.Contains(first.stderr, secret) {
			t.Errorf("first run did not log the new key, or logged its secret:\n%s", first.stderr)
		}

		account, plain := storePlainTOTP(t, dsn)
		second := mustRun(t, env, "migrate")
		if !strings.Contains(second.stderr, "TOTP secrets sealed") || strings.Contains(second.stderr, "generated") {
			t.Errorf("second run did not seal the secret with the stored key:\n%s", second.stderr)
		}
		stored := storedTOTPSecret(t, dsn, account)
		if !strings.HasPrefix(stored, "v1:"+id+":") || strings.Contains(stored, plain) {
			t.Fatalf("stored secret %q, want it sealed under %s", stored, id)
		}
		for _, out := range []string{first.stdout, first.stderr, second.stdout, second.stderr} {
			if strings.Contains(out, plain) || strings.Contains(out, secret) {
				t.Errorf("output shows a secret or key:\n%s", out)
			}
		}

		third := mustRun(t, env, "migrate")
		if !strings.Contains(third.stderr, "already up to date") {
			t.Errorf("third run did not report up to date:\n%s", third.stderr)
		}
		if again := storedTOTPSecret(t, dsn, account); again != stored {
			t.Error("the third run changed the sealed secret")
		}
		if after, _ := os.ReadFile(keyFile); !bytes.Equal(after, key) {
			t.Error("the key file changed")
		}
	})
}

// TestRunMigrateRotatesTOTPKey: putting a new key first and migrating
// re-seals every secret under it, after which the old key can go.
func TestRunMigrateRotatesTOTPKey(t *testing.T) {
	k1 := "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k2 := "k2:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	dialects(t, func(t *testing.T, env map[string]string, dsn string) {
		env["TOTP_ENCRYPTION_KEYS"] = k1
		mustRun(t, env, "migrate")
		if _, err := os.Stat(filepath.Join(env["DATA_DIR"], "totp-encryption.key")); err == nil {
			t.Error("a key file was generated although keys are configured")
		}
		account, _ := storePlainTOTP(t, dsn)
		mustRun(t, env, "migrate")
		if s := storedTOTPSecret(t, dsn, account); !strings.HasPrefix(s, "v1:k1:") {
			t.Fatalf("stored %q, want it sealed under k1", s)
		}
		env["TOTP_ENCRYPTION_KEYS"] = k2 + "," + k1
		mustRun(t, env, "migrate")
		if s := storedTOTPSecret(t, dsn, account); !strings.HasPrefix(s, "v1:k2:") {
			t.Fatalf("stored %q after rotation, want it sealed under k2", s)
		}
		env["TOTP_ENCRYPTION_KEYS"] = k2
		if r := mustRun(t, env, "migrate"); !strings.Contains(r.stderr, "already up to date") {
			t.Errorf("migrate without the old key:\n%s", r.stderr)
		}
		env["TOTP_ENCRYPTION_KEYS"] = k1
		r := runWith(context.Background(), []string{"migrate"}, env)
		if r.err == nil || !strings.Contains(r.err.Error(), `unknown key "k2"`) || !strings.Contains(r.err.Error(), account.String()) {
			t.Errorf("migrate with a key set lacking the one in use = %v, want an unknown-key error naming the account", r.err)
		}
	})
}

// TestRunRequiresTOTPKeysOutsideDev: stage and prod refuse to start without
// TOTP encryption keys, and generate none.
func TestRunRequiresTOTPKeysOutsideDev(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	for _, env := range []string{"stage", "prod"} {
		vars := map[string]string{"APP_ENV": env, "DATA_DIR": dataDir, "ALLOW_SQLITE_IN_PRODUCTION": "true",
			"PUBLIC_BASE_URL": "https://courses.example.com", "SMTP_URL": "smtp://127.0.0.1:2525"}
		for _, cmd := range [][]string{nil, {"migrate"}} {
			r := runWith(context.Background(), cmd, vars)
			if r.err == nil || !strings.Contains(r.err.Error(), "TOTP_ENCRYPTION_KEYS: is required in "+env) {
				t.Errorf("%s lectern %v: err = %v, want TOTP_ENCRYPTION_KEYS listed as required", env, cmd, r.err)
			}
		}
	}
	if _, err := os.Stat(dataDir); err == nil {
		t.Error("a refused start touched DATA_DIR")
	}
}

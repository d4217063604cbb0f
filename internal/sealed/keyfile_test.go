package sealed_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"lectern/internal/sealed"
)

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keys")

	keys, created, err := sealed.LoadOrCreateKeyFile(path, "dev-1")
	if err != nil || !created || len(keys) != 1 || keys[0].ID() != "dev-1" {
		t.Fatalf("first call = %v, %v, %v; want one new key dev-1", keys, created, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	first := keyring(t, keys...)
	value := first.Seal([]byte("secret"), []byte("ad"))

	again, created, err := sealed.LoadOrCreateKeyFile(path, "dev-2")
	if err != nil || created || len(again) != 1 || again[0].ID() != "dev-1" {
		t.Fatalf("second call = %v, %v, %v; want the stored key dev-1", again, created, err)
	}
	if got, err := keyring(t, again...).Open(value, []byte("ad")); err != nil || string(got) != "secret" {
		t.Fatalf("the reloaded key does not open what the first sealed: %q, %v", got, err)
	}
}

func TestLoadOrCreateKeyFileRefuses(t *testing.T) {
	t.Parallel()
	const key = "k1:q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="
	for _, tc := range []struct {
		name, content string
		mode          os.FileMode
		want          string
	}{
		{"OpenToOthers", key + "\n", 0o644, "chmod 600"},
		{"Empty", "# nothing\n\n", 0o600, "holds no key"},
		{"Malformed", "# comment\n" + key + "\nsecret-without-id\n", 0o600, "line 3"},
		{"DuplicateID", key + "\n" + key + "\n", 0o600, "used twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.name == "OpenToOthers" && runtime.GOOS == "windows" {
				t.Skip("no permission bits on Windows")
			}
			path := filepath.Join(t.TempDir(), "keys")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			keys, _, err := sealed.LoadOrCreateKeyFile(path, "new")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadOrCreateKeyFile = %v, %v; want an error mentioning %q", keys, err, tc.want)
			}
			if strings.Contains(err.Error(), "q83v") || strings.Contains(err.Error(), "secret-without") {
				t.Errorf("error quotes the file's content: %v", err)
			}
			if data, _ := os.ReadFile(path); string(data) != tc.content {
				t.Error("a refused key file was rewritten")
			}
		})
	}
	t.Run("MissingDirectory", func(t *testing.T) {
		t.Parallel()
		if _, _, err := sealed.LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "no", "keys"), "new"); err == nil {
			t.Fatal("created a key file in a missing directory")
		}
	})
}

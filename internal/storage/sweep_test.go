package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lectern/internal/storage"
)

func TestSweepIncomplete(t *testing.T) {
	t.Parallel()
	b := openFileStore(t)
	ctx := context.Background()
	key := storage.NewKey("course/7")
	if err := b.store.Put(ctx, key, strings.NewReader("kept"), "text/plain"); err != nil {
		t.Fatal(err)
	}
	now := b.clock.Now()
	stale := filepath.Join(b.dir, "course", "7", "abc.18c2f4e1a2b3c4d5.tmp")
	fresh := filepath.Join(b.dir, "course", "7", "def.18c2f4e1a2b3c4d6.tmp")
	notOurs := filepath.Join(b.dir, "course", "7", "notes.tmp")
	for path, age := range map[string]time.Duration{stale: 2 * time.Hour, fresh: time.Minute, notOurs: 2 * time.Hour} {
		if err := os.WriteFile(path, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	// Writes in progress are not objects.
	if keys := listKeys(t, b.store, ""); len(keys) != 1 || keys[0] != key {
		t.Errorf("List = %q, want only %q", keys, key)
	}
	n, err := b.store.SweepIncomplete(ctx, time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("SweepIncomplete = %d, %v; want 1", n, err)
	}
	for path, want := range map[string]bool{stale: false, fresh: true, notOurs: true} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(path), err == nil, want)
		}
	}
	if ok, err := b.store.Exists(ctx, key); !ok || err != nil {
		t.Errorf("the object went too: %v, %v", ok, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.store.SweepIncomplete(cancelled, 0); err == nil {
		t.Error("SweepIncomplete ignored a cancelled context")
	}
}

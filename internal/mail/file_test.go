package mail_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"lectern/internal/mail"
)

var fileClock = time.Date(2025, 1, 2, 3, 4, 5, 600, time.FixedZone("X", -7200))

const fileStamp = "20250102T050405.000000600Z"

func fixedClock() time.Time { return fileClock }

func rawMessage(t *testing.T, id string) []byte {
	t.Helper()
	raw, err := baseMessage().Bytes(sentAt, id)
	if err != nil {
		t.Fatalf("Bytes: %v", err)
	}
	return raw
}

// dirEntries lists the names in dir, including hidden ones, so a leftover
// temporary file shows up.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestFileSenderWritesIntoNewDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "mail")
	s, err := mail.NewFileSender(dir, fixedClock)
	if err != nil {
		t.Fatalf("NewFileSender: %v", err)
	}
	raw := rawMessage(t, "abc.123@lectern.example")
	if err := s.Send(context.Background(), raw, "no-reply@lectern.example", []string{"ann@example.com"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		t.Fatalf("directory not created: %v", err)
	}
	if perm := info.Mode().Perm(); perm&^0o750 != 0 {
		t.Errorf("directory mode = %v, want at most 0750", perm)
	}
	want := fileStamp + "-abc.123_lectern.example.eml"
	if got := dirEntries(t, dir); !slices.Equal(got, []string{want}) {
		t.Fatalf("directory holds %q, want only %q", got, want)
	}
	got, err := os.ReadFile(filepath.Join(dir, want))
	if err != nil || !bytes.Equal(got, raw) {
		t.Errorf("file content differs from the message (%v)", err)
	}
	if info, _ := os.Stat(filepath.Join(dir, want)); info.Mode().Perm()&0o077 != 0 {
		t.Errorf("file mode = %v, want owner only", info.Mode().Perm())
	}
}

func TestFileSenderNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	s, err := mail.NewFileSender(dir, fixedClock)
	if err != nil {
		t.Fatalf("NewFileSender: %v", err)
	}
	base := fileStamp + "-same_lectern.example"
	existing := filepath.Join(dir, base+".eml")
	if err := os.WriteFile(existing, []byte("already here"), 0o600); err != nil {
		t.Fatal(err)
	}
	raw := rawMessage(t, "same@lectern.example")
	for range 2 {
		if err := s.Send(context.Background(), raw, "", []string{"ann@example.com"}); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	want := []string{base + "-2.eml", base + "-3.eml", base + ".eml"}
	if got := dirEntries(t, dir); !slices.Equal(got, want) {
		t.Errorf("directory holds %q, want %q", got, want)
	}
	if got, _ := os.ReadFile(existing); string(got) != "already here" {
		t.Errorf("existing file was replaced: %q", got)
	}
}

func TestFileSenderConcurrentSendsAllLand(t *testing.T) {
	dir := t.TempDir()
	s, err := mail.NewFileSender(dir, fixedClock)
	if err != nil {
		t.Fatalf("NewFileSender: %v", err)
	}
	raw := rawMessage(t, "race@lectern.example")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			errs <- s.Send(context.Background(), raw, "", []string{"ann@example.com"})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Send: %v", err)
		}
	}
	names := dirEntries(t, dir)
	if len(names) != 20 {
		t.Fatalf("directory holds %d files, want 20: %q", len(names), names)
	}
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, raw) || !strings.HasSuffix(name, ".eml") {
			t.Errorf("%s is not a complete message (%v)", name, err)
		}
	}
}

func TestFileSenderNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  []byte
		want string
	}{
		{"PathTraversal", []byte("Message-ID: <../../etc/passwd@x>\r\n\r\nbody\r\n"), "_.._etc_passwd_x"},
		{"HiddenFile", []byte("Message-ID: <.hidden@x>\r\n\r\nbody\r\n"), "hidden_x"},
		{"NoMessageID", []byte("Subject: hi\r\n\r\nbody\r\n"), "message"},
		{"NotAMessage", []byte("\x00\x01 garbage"), "message"},
		{"LongID", []byte("Message-ID: <" + strings.Repeat("a", 300) + "@x>\r\n\r\nbody\r\n"), strings.Repeat("a", 80)},
		{"NonASCII", []byte("Message-ID: <ü@x>\r\n\r\nbody\r\n"), "__x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := mail.NewFileSender(dir, fixedClock)
			if err != nil {
				t.Fatalf("NewFileSender: %v", err)
			}
			if err := s.Send(context.Background(), tc.msg, "", []string{"ann@example.com"}); err != nil {
				t.Fatalf("Send: %v", err)
			}
			want := fileStamp + "-" + tc.want + ".eml"
			if got := dirEntries(t, dir); !slices.Equal(got, []string{want}) {
				t.Errorf("directory holds %q, want %q", got, want)
			}
		})
	}
}

func TestFileSenderFailures(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name      string
		ctx       context.Context
		from      string
		to        []string
		wantErr   error
		permanent bool
	}{
		{"CancelledContext", cancelled, "", []string{"ann@example.com"}, context.Canceled, false},
		{"NoRecipients", context.Background(), "", nil, mail.ErrInvalid, true},
		{"CRLFInRecipient", context.Background(), "", []string{"ann@example.com\r\nRCPT TO:<x@y>"}, mail.ErrInvalid, true},
		{"DisplayNameInEnvelope", context.Background(), "Lectern <no-reply@lectern.example>", []string{"ann@example.com"}, mail.ErrInvalid, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := mail.NewFileSender(dir, nil)
			if err != nil {
				t.Fatalf("NewFileSender: %v", err)
			}
			err = s.Send(tc.ctx, rawMessage(t, "x@y.example"), tc.from, tc.to)
			if !errors.Is(err, tc.wantErr) || mail.IsPermanent(err) != tc.permanent {
				t.Errorf("Send = %v, want %v with permanent=%v", err, tc.wantErr, tc.permanent)
			}
			if got := dirEntries(t, dir); len(got) != 0 {
				t.Errorf("directory holds %q after a failed send", got)
			}
		})
	}
}

func TestFileSenderDirectoryIsAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mail")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := mail.NewFileSender(path, nil)
	if err != nil {
		t.Fatalf("NewFileSender: %v", err)
	}
	err = s.Send(context.Background(), rawMessage(t, "x@y.example"), "", []string{"ann@example.com"})
	if err == nil || mail.IsPermanent(err) {
		t.Errorf("Send into a file = %v, want a transient error", err)
	}
}

func TestNewFileSenderNeedsDirectory(t *testing.T) {
	if _, err := mail.NewFileSender("", nil); err == nil {
		t.Error("NewFileSender(\"\") succeeded")
	}
}

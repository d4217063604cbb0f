package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// fileTimeLayout sorts lexically in time order and is safe in file names on
// every platform (no colons).
const fileTimeLayout = "20060102T150405.000000000Z"

// maxNameAttempts bounds the search for a free file name; more collisions
// than this mean something other than chance is at work.
const maxNameAttempts = 100

// maxIDNameLen keeps file names well under common 255-byte limits.
const maxIDNameLen = 80

// FileSender writes each message as an .eml file into a directory, for
// development: open the files in any mail client. It is safe for concurrent
// use.
type FileSender struct {
	dir string
	now func() time.Time
}

// NewFileSender returns a FileSender writing into dir, which is created (mode
// 0o750) on first Send if missing. now supplies the file-name timestamp; nil
// means time.Now. It returns an error when dir is empty.
func NewFileSender(dir string, now func() time.Time) (*FileSender, error) {
	if dir == "" {
		return nil, errors.New("mail: file sender: empty directory")
	}
	if now == nil {
		now = time.Now
	}
	return &FileSender{dir: dir, now: now}, nil
}

// String names the destination for start-up logs.
func (s *FileSender) String() string {
	return "file:" + s.dir
}

// Send writes msg to "<UTC timestamp>-<Message-ID>.eml" in the directory,
// with characters unsafe in file names replaced and "-2", "-3"... appended
// if the name is taken; it never replaces an existing file. The file appears
// complete or not at all, readable only by the owner because messages carry
// sign-in tokens. The envelope is checked but not recorded.
//
// It returns an error wrapping ErrInvalid for a bad envelope, ctx's error if
// ctx is done before writing, and a wrapped file-system error otherwise.
func (s *FileSender) Send(ctx context.Context, msg []byte, from string, to []string) error {
	if err := checkEnvelope(from, to); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: file sender: %w", err)
	}
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return fmt.Errorf("mail: file sender: %w", err)
	}
	tmp, err := s.writeTemp(msg)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	return s.publish(tmp, s.baseName(msg))
}

// writeTemp writes msg under a dot-name without the .eml suffix, so tools
// watching for *.eml never see a half-written message.
func (s *FileSender) writeTemp(msg []byte) (string, error) {
	f, err := os.CreateTemp(s.dir, ".partial-*")
	if err != nil {
		return "", fmt.Errorf("mail: file sender: %w", err)
	}
	name := f.Name()
	_, err = f.Write(msg)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("mail: file sender: %w", err)
	}
	return name, nil
}

// publish gives the temporary file its final name with a hard link, which
// unlike rename fails instead of replacing a file already there.
func (s *FileSender) publish(tmp, base string) error {
	for i := 1; i <= maxNameAttempts; i++ {
		name := base
		if i > 1 {
			name += "-" + strconv.Itoa(i)
		}
		err := os.Link(tmp, filepath.Join(s.dir, name+".eml"))
		if err == nil {
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("mail: file sender: %w", err)
		}
	}
	return fmt.Errorf("mail: file sender: %d files named %s already: %w", maxNameAttempts, base, fs.ErrExist)
}

func (s *FileSender) baseName(msg []byte) string {
	return s.now().UTC().Format(fileTimeLayout) + "-" + safeName(messageIDOf(msg))
}

// messageIDOf returns msg's Message-ID or "" when it has none or msg does
// not parse; the file is still written, just under a generic name.
func messageIDOf(msg []byte) string {
	m, err := netmail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return ""
	}
	return trimAngles(strings.TrimSpace(m.Header.Get("Message-Id")))
}

// safeName keeps letters, digits, dot, dash and underscore, so a Message-ID
// cannot climb out of the directory or produce a hidden or awkward name.
func safeName(id string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, id)
	name = strings.TrimLeft(name, ".")
	if len(name) > maxIDNameLen {
		name = name[:maxIDNameLen]
	}
	if name == "" {
		return "message"
	}
	return name
}

package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// tempFile matches the names the file store writes objects under until
// they are complete: the object's name, a hexadecimal timestamp and
// ".tmp". No key can end in ".tmp", so no object matches.
var tempFile = regexp.MustCompile(`\.[0-9a-f]+\.tmp$`)

// SweepIncomplete removes the file store's unfinished writes last touched
// more than olderThan ago, which only a crash leaves behind, and returns
// how many it removed. olderThan must exceed the longest upload, or a slow
// one in progress fails. On S3 it does nothing: the bucket's lifecycle
// rule expires incomplete multipart uploads. It stops at the first error
// other than a file vanishing under it, or when ctx ends.
func (s *Store) SweepIncomplete(ctx context.Context, olderThan time.Duration) (int, error) {
	if s.dir == "" {
		return 0, nil
	}
	cutoff := s.now().Add(-olderThan)
	removed := 0
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !tempFile.MatchString(d.Name()) {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.ModTime().After(cutoff) {
			return ignoreNotExist(err)
		}
		if err := os.Remove(path); err != nil {
			return ignoreNotExist(err)
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("storage: sweep: %w", err)
	}
	return removed, nil
}

func ignoreNotExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

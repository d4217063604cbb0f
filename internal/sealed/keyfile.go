package sealed

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
)

// keyFileHeader opens a generated key file, for whoever finds it.
const keyFileHeader = "# Generated key: values sealed with it open only with it. Keep it, and keep it private.\n"

// LoadOrCreateKeyFile returns the keys in the file at path, one ID:KEY
// entry per line (blank lines and lines starting with # are skipped), first
// key first. When the file does not exist it is created, readable and
// writable by its owner only, holding one new key with the given ID;
// created reports that. It fails when the file cannot be read or written,
// holds no key or a malformed one, or (except on Windows, which has no such
// mode bits) can be read or written by users other than its owner.
func LoadOrCreateKeyFile(path, id string) (keys []Key, created bool, err error) {
	key, err := GenerateKey(id)
	if err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, fs.ErrExist):
		keys, err := readKeyFile(path)
		return keys, false, err
	case err != nil:
		return nil, false, fmt.Errorf("sealed: create key file: %w", err)
	}
	_, err = f.WriteString(keyFileHeader + key.encode() + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, false, fmt.Errorf("sealed: write key file: %w", err)
	}
	return []Key{key}, true, nil
}

func readKeyFile(path string) ([]Key, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("sealed: key file: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("sealed: key file %s is open to other users (mode %v); make it private with chmod 600", path, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sealed: key file: %w", err)
	}
	var keys []Key
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := ParseKey(line)
		if err != nil {
			return nil, fmt.Errorf("key file %s line %d: %w", path, i+1, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("sealed: key file %s holds no key", path)
	}
	if _, err := NewKeyring(keys...); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return keys, nil
}

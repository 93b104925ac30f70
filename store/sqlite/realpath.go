package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// realPath returns the database file's absolute path with every symlink
// resolved, creating an empty file (0600) when none exists yet, so that a
// relative path, a symlink and the file's own name all lead to one lock and
// to one set of -wal and -shm files. Hard links have no single real path:
// where the platform allows it, lockFile locks the file itself for them.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	// The file is opened only when it is missing: closing a descriptor of a
	// database this process already has open would drop SQLite's own
	// fcntl locks on it. O_CREATE follows a symlink to a file that does not
	// exist yet and creates its target: the lock is then taken on that.
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return "", fmt.Errorf("create database file: %w", err)
		}
		if err := f.Close(); err != nil {
			return "", err
		}
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("resolve database path: %w", err)
	}
	return real, nil
}

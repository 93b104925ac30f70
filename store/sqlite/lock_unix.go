//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// fileLock is an exclusive flock(2) on a sidecar file "<db>.lock" and, on
// Linux, on the database file itself. flock locks belong to the open file
// description, so a second Open of the same database in this process is
// refused just as one in another process is, and the kernel drops the lock
// when the process dies: a crash leaves no stale lock.
//
// The sidecar is named after the database's real path (see realPath), which
// covers symlinks and relative paths. A hard link is another name for the
// same inode, so only a lock on the inode catches it: Linux keeps flock and
// the fcntl locks SQLite takes apart, so hookd flocks the database file
// there. Elsewhere the two kinds of lock may interact and only the sidecar
// is locked: opening one database through two hard links is not detected
// (fail-open, documented).
type fileLock struct{ files []*os.File }

func lockFile(dbPath string) (*fileLock, error) {
	l := &fileLock{}
	paths := []string{dbPath + ".lock"}
	if runtime.GOOS == "linux" {
		paths = append(paths, dbPath)
	}
	for _, p := range paths {
		f, err := flockPath(p)
		if err != nil {
			_ = l.unlock()
			return nil, err
		}
		l.files = append(l.files, f)
	}
	return l, nil
}

func flockPath(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (lock %s is held)", ErrLocked, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// unlock releases the locks. The sidecar file stays: removing it could let
// two processes lock two different files of the same name. The database
// file's descriptor is closed only after SQLite closed its own, so closing
// it drops no lock of SQLite's.
func (l *fileLock) unlock() error {
	var errs []error
	for _, f := range l.files {
		errs = append(errs, f.Close())
	}
	l.files = nil
	return errors.Join(errs...)
}

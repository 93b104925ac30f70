//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package sqlite

// fileLock does nothing on platforms without flock or LockFileEx. This is
// fail-open: there, nothing stops a second process from opening the file,
// and the operator must make sure only one hookd uses it.
type fileLock struct{}

func lockFile(string) (*fileLock, error) { return &fileLock{}, nil }

func (*fileLock) unlock() error { return nil }

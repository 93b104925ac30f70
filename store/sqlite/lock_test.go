package sqlite_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLockOtherNames opens a served database from a second process
// through other names of the same file: each is refused with the lock
// error, and none of them left -wal or -shm files of its own beside it.
func TestLockOtherNames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x", "hookd.db")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	open(t, path)

	other := filepath.Join(dir, "y")
	require.NoError(t, os.MkdirAll(other, 0o700))
	symlink := filepath.Join(other, "link.db")
	require.NoError(t, os.Symlink(path, symlink))
	dirLink := filepath.Join(dir, "z")
	require.NoError(t, os.Symlink(filepath.Join(dir, "x"), dirLink))
	names := map[string]string{
		"symlink":           symlink,
		"symlinked dir":     filepath.Join(dirLink, "hookd.db"),
		"relative path":     "../x/hookd.db",
		"dot-dot path":      filepath.Join(other, "..", "x", "hookd.db"),
		"symlink to a link": filepath.Join(other, "link2.db"),
	}
	require.NoError(t, os.Symlink(symlink, names["symlink to a link"]))
	if runtime.GOOS == "linux" {
		hard := filepath.Join(other, "hard.db")
		require.NoError(t, os.Link(path, hard))
		names["hard link"] = hard
	}
	for name, p := range names {
		t.Run(name, func(t *testing.T) {
			code, out := openInChild(t, other, p)
			assert.Equal(t, 3, code, "a second process refuses to start: %s", out)
			assert.Contains(t, out, "another hookd process holds the database file")
		})
	}
	for _, p := range []string{symlink + ".lock", symlink + "-wal", filepath.Join(other, "hard.db-wal")} {
		_, err := os.Stat(p)
		assert.True(t, errors.Is(err, os.ErrNotExist), "%s must not exist: %v", p, err)
	}
}

// TestOpenThroughSymlinkCreates opens a new database through a dangling
// symlink: the file is created at the link's target, and a second Open of
// the target's own name is refused.
func TestOpenThroughSymlinkCreates(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.db")
	link := filepath.Join(dir, "link.db")
	require.NoError(t, os.Symlink(target, link))
	open(t, link)
	fi, err := os.Lstat(target)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	code, out := openInChild(t, dir, target)
	assert.Equal(t, 3, code, out)
}

// openInChild opens path in a re-executed test binary run in dir.
func openInChild(t *testing.T, dir, path string) (int, string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err)
	return 0, string(out)
}

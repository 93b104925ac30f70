package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/sqlite"
	"github.com/hookd/hookd/store/storetest"
)

func TestBackupAndRestoreCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hookd.db")
	s, err := sqlite.Open(t.Context(), db, sqlite.Options{})
	require.NoError(t, err)
	sd := storetest.Seed(t, t.Context(), s, 3)
	keyID := keyCipher(t, db+".key").KeyID()

	out := filepath.Join(dir, "backup.db")
	code, stdout, errOut := runInProcess(t, nil, "backup", "--db", db, "--to", out)
	require.Equal(t, exitOK, code, "hookd backup beside an open store: %s%s", stdout, errOut)
	assert.Contains(t, stdout, "integrity ok")
	assert.Regexp(t, `(?m)^deliveries +6$`, stdout)
	assert.Contains(t, stdout, "sealed under the master key (id "+keyID+"), in "+db+".key")
	assert.Contains(t, stdout, "back it up too")

	code, _, errOut = runInProcess(t, nil, "backup", "--db", db, "--to", out)
	assert.Equal(t, exitError, code)
	assert.Contains(t, errOut, "backup.db exists: give --force to replace it")
	code, stdout, errOut = runInProcess(t, nil, "backup", "--db", "sqlite:"+db, "--to", out, "--force", "--with-key")
	require.Equal(t, exitOK, code, "%s%s", stdout, errOut)
	fi, err := os.Stat(out + ".key")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	assert.Equal(t, keyID, keyCipher(t, out+".key").KeyID())

	code, _, errOut = runInProcess(t, nil, "restore", "--from", out, "--db", db, "--force")
	assert.Equal(t, exitError, code)
	assert.Contains(t, errOut, "is open in a running hookd (its lock is held): stop it first")
	require.NoError(t, s.Close())
	// Another test of this package starting a process at the moment of the
	// Close shares the lock's file until its exec, an instant: wait it out.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		code, _, errOut = runInProcess(t, nil, "restore", "--from", out, "--db", db)
		if !strings.Contains(errOut, "its lock is held") || time.Now().After(deadline) {
			break
		}
	}
	assert.Equal(t, exitError, code)
	assert.Contains(t, errOut, "holds a database: give --force")

	// Into a new place: the key comes from beside the backup.
	fresh := filepath.Join(dir, "restored.db")
	code, stdout, errOut = runInProcess(t, nil, "restore", "--from", out, "--db", fresh)
	require.Equal(t, exitOK, code, "%s%s", stdout, errOut)
	assert.Contains(t, stdout, "was copied from "+out+".key to "+fresh+".key")
	r, err := sqlite.Open(t.Context(), fresh, sqlite.Options{})
	require.NoError(t, err, "the restored store opens with its default key file")
	defer r.Close()
	_, err = r.APIKeyBySecret(t.Context(), sd.APIKeySecret)
	require.NoError(t, err)
	n, err := r.Count(t.Context(), hookd.KindAttempts)
	require.NoError(t, err)
	assert.Equal(t, sd.Counts[hookd.KindAttempts], n)
}

func TestRestoreWrongKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hookd.db")
	seedSQLite(t, db, 1)
	out := filepath.Join(dir, "backup.db")
	code, _, errOut := runInProcess(t, nil, "backup", "--db", db, "--to", out)
	require.Equal(t, exitOK, code, errOut)
	other := filepath.Join(dir, "other.db")
	k, err := secrets.GenerateKey()
	require.NoError(t, err)
	require.NoError(t, secrets.WriteKeyFile(other+".key", k))

	code, _, errOut = runInProcess(t, nil, "restore", "--from", out, "--db", other)
	assert.Equal(t, exitError, code)
	assert.Contains(t, errOut, "the master key in "+other+".key (id "+k.ID()+") cannot open the secrets of "+out)
	assert.Contains(t, errOut, "sealed under the key with id "+keyCipher(t, db+".key").KeyID())
	_, err = os.Stat(other)
	assert.True(t, os.IsNotExist(err), "nothing was restored")

	code, _, errOut = runInProcess(t, nil, "restore", "--from", out, "--db", filepath.Join(dir, "nokey.db"))
	assert.Equal(t, exitError, code)
	assert.Contains(t, errOut, "no master key to open the backup's secrets")
}

func TestBackupRestoreUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"backup without --to", []string{"backup", "--db", "x.db"}, "--to OUT is required"},
		{"backup of postgres", []string{"backup", "--db", "postgres://127.0.0.1/x", "--to", "o"}, "use pg_dump and pg_restore"},
		{"restore without --from", []string{"restore", "--db", "x.db"}, "--from BACKUP is required"},
		{"restore unknown flag", []string{"restore", "--from", "b", "--yes"}, "unknown flag: --yes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runInProcess(t, nil, tc.args...)
			assert.Equal(t, exitUsage, code, errOut)
			assert.Contains(t, errOut, tc.want)
		})
	}
}

func TestBackupRestoreSameFile(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "hookd.db")
	seedSQLite(t, db, 1)
	code, _, errOut := runInProcess(t, nil, "backup", "--db", db, "--to", db, "--force")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "is the database itself")
	code, _, errOut = runInProcess(t, nil, "restore", "--from", db, "--db", db, "--force")
	assert.Equal(t, exitError, code)
	assert.Contains(t, errOut, "is the database itself")
	in, err := sqlite.Inspect(t.Context(), db)
	require.NoError(t, err, "the database is intact")
	for _, c := range in.Counts {
		if c.Kind == hookd.KindDeliveries {
			assert.Equal(t, int64(2), c.Rows, "its deliveries")
		}
	}
}

func TestBackupWithWrongKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hookd.db")
	seedSQLite(t, db, 1)
	wrong := filepath.Join(dir, "wrong.key")
	k, err := secrets.GenerateKey()
	require.NoError(t, err)
	require.NoError(t, secrets.WriteKeyFile(wrong, k))
	out := filepath.Join(dir, "backup.db")
	code, _, errOut := runInProcess(t, []string{"HOOKD_SECRETS_KEY_FILE=" + wrong}, "backup", "--db", db, "--to", out, "--with-key")
	assert.Equal(t, exitError, code)
	assert.Contains(t, errOut, "the master key cannot open the secrets of this database")
	for _, p := range []string{out, out + ".key", out + ".tmp"} {
		_, err := os.Stat(p)
		assert.True(t, os.IsNotExist(err), "%s is not left behind", p)
	}
}

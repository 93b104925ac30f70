package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/sqlite"
	"github.com/hookd/hookd/store/storetest"
)

func TestSecrets(t *testing.T) {
	storetest.RunSecrets(t, storetest.SecretsBackend{
		NewDBFunc: func(t *testing.T) string { return filepath.Join(t.TempDir(), "hookd.db") },
		OpenFunc: func(t *testing.T, db string, c *secrets.Cipher) (hookd.Store, error) {
			s, err := sqlite.Open(t.Context(), db, sqlite.Options{Cipher: c})
			if err == nil {
				t.Cleanup(func() { _ = s.Close() })
			}
			return s, err
		},
		DumpFunc: func(t *testing.T, db string) []byte {
			var all bytes.Buffer
			for _, suffix := range []string{"", "-wal", "-shm"} {
				b, err := os.ReadFile(db + suffix)
				if err == nil {
					all.Write(b)
				} else if !os.IsNotExist(err) {
					t.Fatal(err)
				}
			}
			return all.Bytes()
		},
	})
}

// TestFileModes: the database, its WAL and shared memory, its lock and
// its key file are readable by their owner only, and files an earlier
// version created wider are narrowed.
func TestFileModes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.db")
	s := open(t, path)
	_, err := s.PutTenant(t.Context(), &hookd.Tenant{ID: "acme"})
	require.NoError(t, err)
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock", path + ".key"} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "%s", filepath.Base(p))
	}
	require.NoError(t, s.Close())

	require.NoError(t, os.Chmod(path, 0o644))
	open(t, path)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a database created 0644 is narrowed at open")
}

// TestLegacyCleartext: secrets an earlier version stored in clear are
// sealed when the store opens, and a key stored as a bare SHA-256 still
// works once, then is kept as a keyed hash.
func TestLegacyCleartext(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hookd.db")
	s := open(t, path)
	require.NoError(t, s.Close())

	raw, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = raw.ExecContext(ctx, `INSERT INTO sources (id, description, spec, created_at, updated_at)
		VALUES ('old', '', '{"verify":[{"token":{"value":"legacy-token-123"}}]}', 1, 1)`)
	require.NoError(t, err)
	legacy := []byte{0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15,
		0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08} // SHA-256("test")
	_, err = raw.ExecContext(ctx, `INSERT INTO api_keys (id, name, hash, prefix, created_at, legacy)
		VALUES ('key_old', 'generated', ?, '', 1, 1)`, legacy)
	require.NoError(t, err)
	require.NoError(t, raw.Close())

	s = open(t, path)
	src, err := s.GetSource(ctx, "old")
	require.NoError(t, err)
	assert.JSONEq(t, `{"verify":[{"token":{"value":"legacy-token-123"}}]}`, string(src.Spec))
	k, err := s.APIKeyBySecret(context.Background(), "test")
	require.NoError(t, err)
	assert.Equal(t, "key_old", k.ID)
	require.NoError(t, s.Close())

	raw, err = sql.Open("sqlite", path)
	require.NoError(t, err)
	defer raw.Close()
	var spec string
	var hash []byte
	require.NoError(t, raw.QueryRowContext(ctx, `SELECT spec FROM sources WHERE id = 'old'`).Scan(&spec))
	require.NoError(t, raw.QueryRowContext(ctx, `SELECT hash FROM api_keys WHERE id = 'key_old'`).Scan(&hash))
	assert.True(t, secrets.IsSealed(spec), "spec left in clear: %s", spec)
	assert.NotEqual(t, legacy, hash, "the bare SHA-256 was kept")
}

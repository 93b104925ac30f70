package storecopy_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/postgres"
	"github.com/hookd/hookd/store/sqlite"
	"github.com/hookd/hookd/store/storetest"
)

// The conformance of Exporter and Importer across the two backends: a
// store of one is copied into the other, and both must hold the same rows.
// (A copy between two stores of one backend is in each store's own
// conformance run, storetest.Run.)

func openSQLite(t *testing.T) hookd.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hookd.db"), sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openPostgres opens a store in a new schema of the test database (each
// under its own random master key), dropped when the test ends.
func openPostgres(t *testing.T) hookd.Store {
	t.Helper()
	k, err := secrets.GenerateKey()
	require.NoError(t, err)
	c, err := secrets.NewCipher(k)
	require.NoError(t, err)
	s, err := postgres.Open(t.Context(), pgtest.Schema(t), postgres.Options{Cipher: c})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSQLiteToPostgres(t *testing.T) { storetest.RunCopy(t, openSQLite, openPostgres) }

func TestPostgresToSQLite(t *testing.T) { storetest.RunCopy(t, openPostgres, openSQLite) }

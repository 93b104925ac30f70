package storecopy_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/postgres"
	"github.com/hookd/hookd/store/sqlite"
	"github.com/hookd/hookd/store/storetest"
)

// The conformance of Exporter and Importer across the two backends: a
// store of one is copied into the other, and both must hold the same rows.

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
	base := os.Getenv("HOOKD_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("HOOKD_TEST_POSTGRES_URL is not set: skipping the PostgreSQL tests")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "hookd_test_" + hex.EncodeToString(b)
	pgExec(t, base, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { pgExec(t, base, `DROP SCHEMA `+schema+` CASCADE`) })
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	k, err := secrets.GenerateKey()
	require.NoError(t, err)
	c, err := secrets.NewCipher(k)
	require.NoError(t, err)
	s, err := postgres.Open(t.Context(), u.String(), postgres.Options{Cipher: c})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func pgExec(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	require.NoError(t, err)
}

func TestSQLiteToPostgres(t *testing.T) { storetest.RunCopy(t, openSQLite, openPostgres) }

func TestPostgresToSQLite(t *testing.T) { storetest.RunCopy(t, openPostgres, openSQLite) }

func TestSQLiteToSQLite(t *testing.T) { storetest.RunCopy(t, openSQLite, openSQLite) }

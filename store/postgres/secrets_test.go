package postgres_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/postgres"
	"github.com/hookd/hookd/store/storetest"
)

// testKey is the master key of the tests' stores: every Open of one
// schema must use the same.
var testKey = func() secrets.Key {
	k, err := secrets.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
}()

// withCipher sets the tests' cipher unless opts has one.
func withCipher(opts postgres.Options) postgres.Options {
	if opts.Cipher == nil {
		opts.Cipher, _ = secrets.NewCipher(testKey)
	}
	return opts
}

func TestOpenRequiresCipher(t *testing.T) {
	t.Parallel()
	_, err := postgres.Open(t.Context(), "postgres://127.0.0.1:1/x", postgres.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Cipher is required")
}

func TestSecrets(t *testing.T) {
	pgtest.BaseURL(t)
	storetest.RunSecrets(t, storetest.SecretsBackend{
		NewDBFunc: func(t *testing.T) string { return pgtest.Schema(t) },
		OpenFunc: func(t *testing.T, db string, c *secrets.Cipher) (hookd.Store, error) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			s, err := postgres.Open(ctx, db, postgres.Options{Cipher: c})
			if err == nil {
				t.Cleanup(func() { _ = s.Close() })
			}
			return s, err
		},
		DumpFunc: dumpSchema,
	})
}

// dumpSchema returns pg_dump's dump of the schema db selects (when
// pg_dump is installed and can dump this server) and, in any case, the
// text of every column of every table in it.
func dumpSchema(t *testing.T, db string) []byte {
	t.Helper()
	u, err := url.Parse(db)
	require.NoError(t, err)
	schema := u.Query().Get("search_path")
	require.NotEmpty(t, schema)
	var out bytes.Buffer
	if path, err := exec.LookPath("pg_dump"); err == nil {
		q := u.Query()
		q.Del("search_path")
		u.RawQuery = q.Encode()
		b, err := exec.CommandContext(t.Context(), path, "--no-owner", "-n", schema, "-d", u.String()).Output()
		if err == nil {
			out.Write(b)
		} else {
			t.Logf("pg_dump failed (%v); selecting every column instead", err)
		}
	}
	out.Write(selectAll(t, db, schema))
	return out.Bytes()
}

func selectAll(t *testing.T, db, schema string) []byte {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, db)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = $1 ORDER BY table_name, ordinal_position`, schema)
	require.NoError(t, err)
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var c [2]string
		return c, r.Scan(&c[0], &c[1])
	})
	require.NoError(t, err)
	var out bytes.Buffer
	for _, c := range cols {
		rows, err := conn.Query(ctx, `SELECT `+pgx.Identifier{c[1]}.Sanitize()+`::text FROM `+
			pgx.Identifier{schema, c[0]}.Sanitize())
		require.NoError(t, err)
		vals, err := pgx.CollectRows(rows, pgx.RowTo[*string])
		require.NoError(t, err)
		for _, v := range vals {
			if v != nil {
				out.WriteString(*v + "\n")
			}
		}
	}
	return out.Bytes()
}

// TestLegacyCleartext: secrets an earlier version stored in clear are
// sealed when the store opens, and a key stored as a bare SHA-256 works
// once more, then is kept as a keyed hash.
func TestLegacyCleartext(t *testing.T) {
	dsn := pgtest.Schema(t)
	s := open(t, dsn, postgres.Options{})
	require.NoError(t, s.Close())
	legacy := sha256.Sum256([]byte("test"))
	pgtest.Exec(t, dsn, `INSERT INTO sources (id, description, spec, created_at, updated_at)
		VALUES ('old', '', '{"verify":[{"token":{"value":"legacy-token-123"}}]}', now(), now())`)
	pgtest.Exec(t, dsn, `INSERT INTO api_keys (id, name, hash, prefix, created_at, legacy)
		VALUES ('key_old', 'generated', '\x`+hex.EncodeToString(legacy[:])+`', '', now(), true)`)

	s = open(t, dsn, postgres.Options{})
	ctx := t.Context()
	src, err := s.GetSource(ctx, "old")
	require.NoError(t, err)
	assert.JSONEq(t, `{"verify":[{"token":{"value":"legacy-token-123"}}]}`, string(src.Spec))
	k, err := s.APIKeyBySecret(ctx, "test")
	require.NoError(t, err)
	assert.Equal(t, "key_old", k.ID)

	dump := string(dumpSchemaOf(t, dsn))
	assert.NotContains(t, dump, "legacy-token-123")
	assert.NotContains(t, dump, hex.EncodeToString(legacy[:]), "the bare SHA-256 was kept")
}

// dumpSchemaOf is dumpSchema for a DSN made by newSchema.
func dumpSchemaOf(t *testing.T, dsn string) []byte {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	return selectAll(t, dsn, u.Query().Get("search_path"))
}

package httpapi_test

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

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/postgres"
	"github.com/hookd/hookd/store/sqlite"
)

// openStore opens a SQLite store in a temporary directory, or with dsn
// the PostgreSQL store there.
// testSecretsKey is the master key of the PostgreSQL stores of the tests.
const testSecretsKey = "aG9va2QgdGVzdCBtYXN0ZXIga2V5IDMyIGJ5dGVzISE="

func openStore(t *testing.T, o options) hookd.Store {
	t.Helper()
	ctx := context.Background()
	var st hookd.Store
	var err error
	if o.postgres == "" {
		st, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "hookd.db"), o.sqlite)
	} else {
		// One key for every store of a test: nodes of one database share it.
		key, kerr := secrets.ParseKey(testSecretsKey)
		if kerr != nil {
			t.Fatal(kerr)
		}
		c, kerr := secrets.NewCipher(key)
		if kerr != nil {
			t.Fatal(kerr)
		}
		st, err = postgres.Open(ctx, o.postgres, postgres.Options{Cipher: c})
	}
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// eachStore runs f on SQLite, and on PostgreSQL (a schema of its own)
// when HOOKD_TEST_POSTGRES_URL is set.
func eachStore(t *testing.T, f func(t *testing.T, o options)) {
	t.Run("sqlite", func(t *testing.T) { f(t, options{}) })
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("HOOKD_TEST_POSTGRES_URL")
		if base == "" {
			t.Skip("HOOKD_TEST_POSTGRES_URL is not set: skipping the PostgreSQL store")
		}
		f(t, options{postgres: newSchema(t, base)})
	})
}

// newSchema creates a schema dropped when the test ends, and returns a
// DSN whose search_path selects it.
func newSchema(t *testing.T, base string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "hookd_api_" + hex.EncodeToString(b)
	pgExec(t, base, "CREATE SCHEMA "+name)
	t.Cleanup(func() { pgExec(t, base, "DROP SCHEMA "+name+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func pgExec(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

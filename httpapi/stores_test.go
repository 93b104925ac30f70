package httpapi_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
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
		f(t, options{postgres: pgtest.Schema(t)})
	})
}

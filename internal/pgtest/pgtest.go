// Package pgtest gives a test a PostgreSQL schema of its own in the test
// database that HOOKD_TEST_POSTGRES_URL names (./.ci/run sets it). Without
// the variable the test is skipped; with it, a server that cannot be
// reached fails the test, so that CI never passes by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// URLEnv names the test database.
const URLEnv = "HOOKD_TEST_POSTGRES_URL"

// BaseURL returns the test database's URL, or skips the test.
func BaseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(URLEnv)
	if u == "" {
		t.Skip(URLEnv + " is not set: skipping the PostgreSQL tests (./.ci/run sets it; see the README)")
	}
	return u
}

// Schema creates an empty schema in the test database, drops it when the
// test ends, and returns a DSN whose search_path selects it.
func Schema(t testing.TB) string {
	t.Helper()
	base := BaseURL(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "hookd_test_" + hex.EncodeToString(b)
	Exec(t, base, `CREATE SCHEMA `+name)
	t.Cleanup(func() { Exec(t, base, `DROP SCHEMA `+name+` CASCADE`) })
	return WithSearchPath(t, base, name)
}

// Exec runs one statement on its own connection to dsn.
func Exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test database (%s): %v", URLEnv, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// WithSearchPath adds search_path=schema to a URL or keyword/value DSN.
func WithSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("test database URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

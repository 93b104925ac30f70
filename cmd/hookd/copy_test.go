package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/postgres"
	"github.com/hookd/hookd/store/sqlite"
	"github.com/hookd/hookd/store/storetest"
)

// seedSQLite makes a SQLite store at path holding rows of every kind, and
// closes it.
func seedSQLite(t *testing.T, path string, events int) *storetest.Seeded {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	require.NoError(t, err)
	sd := storetest.Seed(t, t.Context(), s, events)
	require.NoError(t, s.Close())
	return sd
}

// keyCipher returns a cipher under the key in a key file.
func keyCipher(t *testing.T, path string) *secrets.Cipher {
	t.Helper()
	k, _, err := secrets.LoadKeyFile(path, false)
	require.NoError(t, err)
	c, err := secrets.NewCipher(k)
	require.NoError(t, err)
	return c
}

// requireCountsTable checks that out lists every kind with the seeded
// count three times (source, copied, target).
func requireCountsTable(t *testing.T, out string, counts map[hookd.Kind]int64) {
	t.Helper()
	for _, k := range hookd.Kinds() {
		n := strconv.FormatInt(counts[k], 10)
		re := regexp.MustCompile(`(?m)^` + string(k) + ` +` + n + ` +` + n + ` +` + n + `$`)
		assert.Regexp(t, re, out, "the line of %s", k)
	}
	assert.Contains(t, out, "every count matches.")
}

func TestCopySQLiteToPostgresAndBack(t *testing.T) {
	pg := newTestDatabase(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "hookd.db")
	sd := seedSQLite(t, src, 5)

	code, out, errOut := runInProcess(t, nil, "copy", "--from", src, "--to", pg, "--page-size", "2")
	require.Equal(t, exitOK, code, "hookd copy: %s%s", out, errOut)
	requireCountsTable(t, out, sd.Counts)
	assert.Contains(t, out, "sealed under the source's master key (id "+keyCipher(t, src+".key").KeyID()+"), in "+src+".key")
	assert.NotContains(t, out, "postgres:postgres@", "the password is not printed")

	s, err := postgres.Open(t.Context(), pg, postgres.Options{Cipher: keyCipher(t, src+".key")})
	require.NoError(t, err)
	d, err := s.GetDelivery(t.Context(), sd.Failed.ID)
	require.NoError(t, err)
	assert.Equal(t, hookd.StatusFailed, d.Status)
	assert.Equal(t, 2, d.Attempts)
	assert.True(t, d.NextAttemptAt.Equal(sd.Failed.NextAttemptAt), "next attempt %v, want %v", d.NextAttemptAt, sd.Failed.NextAttemptAt)
	as, _, err := s.ListAttempts(t.Context(), hookd.AttemptFilter{DeliveryID: d.ID})
	require.NoError(t, err)
	assert.Len(t, as, 2, "the attempts history")
	_, err = s.APIKeyBySecret(t.Context(), sd.APIKeySecret)
	require.NoError(t, err, "API keys work on the target")
	e, err := s.GetEndpoint(t.Context(), "acme", sd.Endpoint.ID)
	require.NoError(t, err)
	assert.Equal(t, sd.Endpoint.Secrets[0].Value, e.Secrets[0].Value)
	require.NoError(t, s.Close())

	code, _, errOut = runInProcess(t, nil, "copy", "--from", src, "--to", pg)
	assert.Equal(t, exitError, code)
	assert.Contains(t, errOut, "is not empty")
	assert.Contains(t, errOut, "--force")
	code, out, errOut = runInProcess(t, nil, "copy", "--from", src, "--to", pg, "--force")
	require.Equal(t, exitOK, code, "hookd copy --force: %s%s", out, errOut)
	requireCountsTable(t, out, sd.Counts)

	back := filepath.Join(dir, "back.db")
	code, _, errOut = runInProcess(t, nil, "copy", "--from", pg, "--to", "sqlite:"+back)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--from-secrets-key-file")
	code, out, errOut = runInProcess(t, nil, "copy", "--from", pg, "--to", "sqlite:"+back,
		"--from-secrets-key-file", src+".key", "--to-secrets-key-file", filepath.Join(dir, "new.key"))
	require.Equal(t, exitOK, code, "hookd copy back: %s%s", out, errOut)
	requireCountsTable(t, out, sd.Counts)
	assert.Contains(t, out, "new.key (created now)")
	b, err := sqlite.Open(t.Context(), back, sqlite.Options{Cipher: keyCipher(t, filepath.Join(dir, "new.key"))})
	require.NoError(t, err)
	defer b.Close()
	_, err = b.APIKeyBySecret(t.Context(), sd.APIKeySecret)
	require.NoError(t, err, "API keys work after the round trip, under the new master key")
}

func TestCopyRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "hookd.db")
	seedSQLite(t, src, 1)
	other := filepath.Join(dir, "other.db")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no flags", nil, exitUsage, "both --from and --to are required"},
		{"same store", []string{"--from", src, "--to", "sqlite:" + src}, exitUsage, "name the same store"},
		{"unknown flag", []string{"--from", src, "--to", other, "--fast"}, exitUsage, "unknown flag: --fast"},
		{"bad target", []string{"--from", src, "--to", "mysql://db/x"}, exitUsage, `--to: unsupported database "mysql://db/x"`},
		{"two source keys", []string{"--from", src, "--to", other, "--from-secrets-key", testSecretsKey,
			"--from-secrets-key-file", "k"}, exitUsage, "at most one of --from-secrets-key and --from-secrets-key-file"},
		{"bad target key", []string{"--from", src, "--to", other, "--to-secrets-key", "short"}, exitUsage,
			"--to-secrets-key: "},
		{"page size", []string{"--from", src, "--to", other, "--page-size", "0"}, exitUsage, "--page-size must be between"},
		{"postgres source without key", []string{"--from", "postgres://127.0.0.1/x", "--to", other}, exitUsage,
			"a PostgreSQL source needs its master key"},
		{"missing source key", []string{"--from", filepath.Join(dir, "none.db"), "--to", other}, exitError,
			"none.db.key does not exist"},
		{"wrong source key", []string{"--from", src, "--to", other, "--from-secrets-key", testSecretsKey}, exitError,
			"open the source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runInProcess(t, nil, append([]string{"copy"}, tc.args...)...)
			assert.Equal(t, tc.code, code, "%s%s", out, errOut)
			assert.Contains(t, errOut, tc.want)
		})
	}
	_, err := os.Stat(other)
	assert.True(t, os.IsNotExist(err), "no refused copy created the target")
	_, err = os.Stat(other + ".key")
	assert.True(t, os.IsNotExist(err), "no refused copy created the target's key file")
}

func TestCopyRefusesServedSource(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "hookd.db")
	s, err := sqlite.Open(context.Background(), src, sqlite.Options{})
	require.NoError(t, err)
	defer s.Close()
	code, _, errOut := runInProcess(t, nil, "copy", "--from", src, "--to", filepath.Join(t.TempDir(), "to.db"))
	assert.Equal(t, exitError, code)
	assert.Contains(t, errOut, "stop hookd serve first, or copy from a backup")
}

func TestCopyTargetWithData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	seedSQLite(t, src, 2)
	sd := seedSQLite(t, dst, 1)
	code, _, errOut := runInProcess(t, nil, "copy", "--from", src, "--to", dst)
	assert.Equal(t, exitError, code)
	assert.Regexp(t, `sqlite:.*b\.db: the target is not empty: it holds tenants=1, event_types=1, `, errOut)
	s, err := sqlite.Open(t.Context(), dst, sqlite.Options{})
	require.NoError(t, err)
	defer s.Close()
	n, err := s.Count(t.Context(), hookd.KindEvents)
	require.NoError(t, err)
	assert.Equal(t, sd.Counts[hookd.KindEvents], n, "a refused copy changes nothing")
}

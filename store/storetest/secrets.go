package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
)

// SecretsBackend lets RunSecrets open one database several times, under
// different master keys, and read it raw.
type SecretsBackend struct {
	// NewDBFunc returns the location of a new, empty database.
	NewDBFunc func(t *testing.T) string
	// OpenFunc opens the database at db with c; the store is closed by the
	// test, or in t.Cleanup.
	OpenFunc func(t *testing.T, db string, c *secrets.Cipher) (hookd.Store, error)
	// DumpFunc returns everything the database holds as a reader without the
	// key would see it: the files of SQLite, a dump of PostgreSQL.
	DumpFunc func(t *testing.T, db string) []byte
}

// Secrets used by RunSecrets; none may appear in a dump.
var testSecrets = []string{
	"whsec_c2VjcmV0LWVuZHBvaW50LTEtYWJjZGVmZ2g=", "provider-secret-9f2e7c", "hmac-secret-51ad0b",
	"basic-password-77c1e9", "token-value-3b9d42", "whsec_Zm9yd2FyZC1zZWNyZXQtMTIzNDU2Nzg=",
}

// RunSecrets checks that a store keeps endpoint and source secrets, its
// API-key hashing key and the kept replies of API requests sealed at
// rest, and that a rotation of the master key re-seals them.
func RunSecrets(t *testing.T, b SecretsBackend) {
	t.Helper()
	t.Run("NothingInClear", func(t *testing.T) { t.Parallel(); testNothingInClear(t, b) })
	t.Run("Rotate", func(t *testing.T) { t.Parallel(); testRotate(t, b) })
}

func newCipher(t *testing.T, keys ...secrets.Key) *secrets.Cipher {
	t.Helper()
	c, err := secrets.NewCipher(keys[0], keys[1:]...)
	require.NoError(t, err)
	return c
}

func newKey(t *testing.T) secrets.Key {
	t.Helper()
	k, err := secrets.GenerateKey()
	require.NoError(t, err)
	return k
}

// secretSource is a source whose spec carries every kind of secret.
func secretSource(id string) *hookd.Source {
	spec := map[string]any{
		"verify": []any{
			map[string]any{"provider": "github", "secret": testSecrets[1]},
			map[string]any{"hmac": map[string]any{"header": "X-Sig", "secret": testSecrets[2]}},
			map[string]any{"basic": map[string]any{"username": "u", "password": testSecrets[3]}},
			map[string]any{"token": map[string]any{"value": testSecrets[4]}},
		},
		"destinations": []any{map[string]any{"forward": map[string]any{"url": "https://example.com/f", "secret": testSecrets[5]}}},
	}
	b, _ := json.Marshal(spec)
	return &hookd.Source{ID: id, Description: "all secrets", Spec: b}
}

// seedSecrets stores an endpoint, a source and an API key with known
// secrets, and returns the endpoint.
func seedSecrets(t *testing.T, ctx context.Context, s hookd.Store) *hookd.Endpoint {
	t.Helper()
	e := newEndpoint(t, hookd.DefaultTenant)
	e.Secrets = []hookd.Secret{{Value: testSecrets[0], CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}}
	require.NoError(t, s.CreateEndpoint(ctx, e))
	require.NoError(t, s.CreateSource(ctx, secretSource("sealed")))
	require.NoError(t, s.CreateAPIKey(ctx, &hookd.APIKey{Name: "k", Scope: hookd.ScopeAdmin}, "hk_storetest_api_key_0001"))
	k := secretReplyKey()
	_, taken, err := s.TakeReplyKey(ctx, k, time.Time{}, time.Time{})
	require.NoError(t, err)
	require.True(t, taken)
	require.NoError(t, s.KeepReply(ctx, k, secretReply))
	return e
}

// secretReply is the kept reply of an API request that created a key:
// it carries the new key's secret, which the store must seal.
var secretReply = []byte(`{"status":201,"body":{"key":"hk_storetest_api_key_0002"}}`)

func secretReplyKey() *hookd.ReplyKey {
	return &hookd.ReplyKey{Scope: "bootstrap /v1/api-keys", Key: "create-key-1", Fingerprint: []byte("fp"), CreatedAt: time.Now()}
}

// requireReadable checks that s shows the seeded secrets in clear.
func requireReadable(t *testing.T, ctx context.Context, s hookd.Store, e *hookd.Endpoint) {
	t.Helper()
	got, err := s.GetEndpoint(ctx, e.TenantID, e.ID)
	require.NoError(t, err)
	require.Equal(t, testSecrets[0], got.Secrets[0].Value)
	src, err := s.GetSource(ctx, "sealed")
	require.NoError(t, err)
	assert.JSONEq(t, string(secretSource("sealed").Spec), string(src.Spec))
	_, err = s.APIKeyBySecret(ctx, "hk_storetest_api_key_0001")
	require.NoError(t, err)
	held, taken, err := s.TakeReplyKey(ctx, secretReplyKey(), time.Time{}, time.Time{})
	require.NoError(t, err)
	require.False(t, taken)
	require.Equal(t, secretReply, held.Reply, "the kept reply opens")
}

func requireNoSecrets(t *testing.T, dump []byte) {
	t.Helper()
	require.NotEmpty(t, dump)
	for _, sec := range append(testSecrets, "hk_storetest_api_key_0001", "hk_storetest_api_key_0002") {
		assert.False(t, bytes.Contains(dump, []byte(sec)), "the database holds %q in clear", sec)
	}
}

func testNothingInClear(t *testing.T, b SecretsBackend) {
	ctx := t.Context()
	db := b.NewDBFunc(t)
	s, err := b.OpenFunc(t, db, newCipher(t, newKey(t)))
	require.NoError(t, err)
	e := seedSecrets(t, ctx, s)
	up := *e
	up.UpdatedAt = time.Time{}
	up.Secrets = append(up.Secrets, hookd.Secret{Value: "whsec_cm90YXRlZC1zZWNyZXQtYWJjZGVmZ2hpams=", CreatedAt: time.Now()})
	require.NoError(t, s.UpdateEndpoint(ctx, &up))
	requireReadable(t, ctx, s, e)
	requireNoSecrets(t, b.DumpFunc(t, db))
	assert.NotContains(t, string(b.DumpFunc(t, db)), "cm90YXRlZC1zZWNyZXQtYWJjZGVmZ2hpams")
	require.NoError(t, s.Close())
	requireNoSecrets(t, b.DumpFunc(t, db))
}

func testRotate(t *testing.T, b SecretsBackend) {
	ctx := t.Context()
	db := b.NewDBFunc(t)
	oldKey, newKey := newKey(t), newKey(t)
	s, err := b.OpenFunc(t, db, newCipher(t, oldKey))
	require.NoError(t, err)
	e := seedSecrets(t, ctx, s)
	require.NoError(t, s.Close())

	_, err = b.OpenFunc(t, db, newCipher(t, newKey))
	require.Error(t, err, "a store sealed under another key opens without it")

	s, err = b.OpenFunc(t, db, newCipher(t, newKey, oldKey))
	require.NoError(t, err)
	requireReadable(t, ctx, s, e)
	n, err := s.ResealSecrets(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "the endpoint's secrets, the source's spec, the hashing key and the kept reply")
	n, err = s.ResealSecrets(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "a second rotation has nothing to do")
	require.NoError(t, s.Close())

	s, err = b.OpenFunc(t, db, newCipher(t, newKey))
	require.NoError(t, err, "after the rotation the new key alone opens everything")
	requireReadable(t, ctx, s, e)
	requireNoSecrets(t, b.DumpFunc(t, db))
	require.NoError(t, s.Close())
}

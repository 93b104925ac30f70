package postgres

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
)

const apiKeyCols = `id, name, prefix, scope, read_only, expires_at, created_at, last_used_at`

func scanAPIKey(r scanner) (*hookd.APIKey, error) {
	k, _, err := scanAPIKeyHash(r, false)
	return k, err
}

func scanAPIKeyHash(r scanner, withHash bool) (*hookd.APIKey, []byte, error) {
	var (
		k             hookd.APIKey
		expires, used pgtype.Timestamptz
		hash          []byte
	)
	dst := []any{&k.ID, &k.Name, &k.Prefix, &k.Scope, &k.ReadOnly, &expires, &k.CreatedAt, &used}
	if withHash {
		dst = append(dst, &hash)
	}
	if err := r.Scan(dst...); err != nil {
		return nil, nil, err
	}
	k.ExpiresAt, k.LastUsedAt, k.CreatedAt = fromTS(expires), fromTS(used), k.CreatedAt.UTC()
	return &k, hash, nil
}

// CreateAPIKey stores a key with the keyed hash of secret. An empty ID
// gets a new one and a zero CreatedAt becomes now. A taken ID or secret
// is ECONFLICT.
func (s *Store) CreateAPIKey(ctx context.Context, k *hookd.APIKey, secret string) error {
	c := *k
	if c.ID == "" {
		c.ID = hookd.NewID(hookd.PrefixAPIKey)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	c.CreatedAt = c.CreatedAt.UTC().Truncate(time.Microsecond)
	_, err := s.pool.Exec(ctx, `INSERT INTO api_keys (`+apiKeyCols+`, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)`,
		c.ID, c.Name, c.Prefix, c.Scope, c.ReadOnly, ts(c.ExpiresAt), c.CreatedAt, secrets.Hash(s.hashKey, secret))
	if err != nil {
		return fmt.Errorf("create api key: %w", conflict(err, "api key exists"))
	}
	k.ID, k.CreatedAt = c.ID, c.CreatedAt
	return nil
}

// APIKeyBySecret returns the key whose secret this is, or ENOTFOUND. A key
// an earlier version stored as a bare SHA-256 is found too, and its hash
// upgraded to the keyed one.
func (s *Store) APIKeyBySecret(ctx context.Context, secret string) (*hookd.APIKey, error) {
	want := secrets.Hash(s.hashKey, secret)
	k, err := s.apiKeyByHash(ctx, want, false)
	if hookd.IsNotFound(err) {
		legacy := sha256.Sum256([]byte(secret))
		if k, err = s.apiKeyByHash(ctx, legacy[:], true); err == nil {
			_, err = s.pool.Exec(ctx, `UPDATE api_keys SET hash = $1, legacy = false
				WHERE id = $2 AND hash = $3 AND legacy`, want, k.ID, legacy[:])
		}
	}
	if err != nil {
		return nil, fmt.Errorf("api key by secret: %w", err)
	}
	return k, nil
}

func (s *Store) apiKeyByHash(ctx context.Context, hash []byte, legacy bool) (*hookd.APIKey, error) {
	k, stored, err := scanAPIKeyHash(s.pool.QueryRow(ctx,
		`SELECT `+apiKeyCols+`, hash FROM api_keys WHERE hash = $1 AND legacy = $2`, hash, legacy), true)
	if err != nil {
		return nil, notFound(err, "api key not found")
	}
	if subtle.ConstantTimeCompare(stored, hash) != 1 {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "api key not found")
	}
	return k, nil
}

// GetAPIKey returns the key, or ENOTFOUND.
func (s *Store) GetAPIKey(ctx context.Context, id string) (*hookd.APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE id = $1`, id))
	if err != nil {
		return nil, wrap(notFound(err, "api key %q not found", id), "get api key")
	}
	return k, nil
}

// ListAPIKeys lists every key, newest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]*hookd.APIKey, error) {
	ks, err := list(ctx, s.pool, scanAPIKey, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY id DESC`)
	return ks, wrap(err, "list api keys")
}

// DeleteAPIKey deletes a key, or fails with ENOTFOUND.
func (s *Store) DeleteAPIKey(ctx context.Context, id string) error {
	err := execOne(ctx, s.pool, `DELETE FROM api_keys WHERE id = $1`,
		hookd.Errorf(hookd.ENOTFOUND, "api key %q not found", id), id)
	return wrap(err, "delete api key")
}

// TouchAPIKey moves the key's LastUsedAt forward to at.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	var one int
	err := s.pool.QueryRow(ctx, `WITH k AS (SELECT id FROM api_keys WHERE id = $1),
		u AS (UPDATE api_keys SET last_used_at = greatest(last_used_at, $2) WHERE id = $1)
		SELECT 1 FROM k`, id, ts(at)).Scan(&one)
	return wrap(notFound(err, "api key %q not found", id), "touch api key")
}

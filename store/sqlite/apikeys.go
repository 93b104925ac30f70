package sqlite

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
)

const apiKeyCols = `id, name, prefix, scope, read_only, expires_at, created_at, last_used_at`

func scanAPIKey(r scanner) (*hookd.APIKey, error) {
	var (
		k                      hookd.APIKey
		expires, created, used int64
	)
	if err := r.Scan(&k.ID, &k.Name, &k.Prefix, &k.Scope, &k.ReadOnly, &expires, &created, &used); err != nil {
		return nil, err
	}
	k.ExpiresAt, k.CreatedAt, k.LastUsedAt = fromMicros(expires), fromMicros(created), fromMicros(used)
	return &k, nil
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyCols+`, hash) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)`,
			c.ID, c.Name, c.Prefix, c.Scope, boolInt(c.ReadOnly), micros(c.ExpiresAt), micros(c.CreatedAt),
			secrets.Hash(s.hashKey, secret))
		return conflict(err, "api key exists")
	})
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
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
			err = s.upgradeAPIKey(ctx, k.ID, legacy[:], want)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("api key by secret: %w", err)
	}
	return k, nil
}

func (s *Store) apiKeyByHash(ctx context.Context, hash []byte, legacy bool) (*hookd.APIKey, error) {
	var stored []byte
	k, err := scanAPIKey(scanFunc(func(dst ...any) error {
		return s.rdb.QueryRowContext(ctx, `SELECT `+apiKeyCols+`, hash FROM api_keys WHERE hash = ? AND legacy = ?`,
			hash, boolInt(legacy)).Scan(append(dst, &stored)...)
	}))
	if err != nil {
		return nil, notFound(err, "api key not found")
	}
	if subtle.ConstantTimeCompare(stored, hash) != 1 {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "api key not found")
	}
	return k, nil
}

func (s *Store) upgradeAPIKey(ctx context.Context, id string, from, to []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET hash = ?, legacy = 0 WHERE id = ? AND hash = ? AND legacy = 1`,
			to, id, from)
		return err
	})
}

// scanFunc adapts a function to scanner.
type scanFunc func(dst ...any) error

func (f scanFunc) Scan(dst ...any) error { return f(dst...) }

// GetAPIKey returns the key, or ENOTFOUND.
func (s *Store) GetAPIKey(ctx context.Context, id string) (*hookd.APIKey, error) {
	k, err := scanAPIKey(s.rdb.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE id = ?`, id))
	if err != nil {
		return nil, wrap(notFound(err, "api key %q not found", id), "get api key")
	}
	return k, nil
}

// ListAPIKeys lists every key, newest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]*hookd.APIKey, error) {
	ks, err := list(ctx, s.rdb, scanAPIKey, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY id DESC`)
	return ks, wrap(err, "list api keys")
}

// DeleteAPIKey deletes a key, or fails with ENOTFOUND.
func (s *Store) DeleteAPIKey(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `DELETE FROM api_keys WHERE id = ?`,
			hookd.Errorf(hookd.ENOTFOUND, "api key %q not found", id), id)
	})
	return wrap(err, "delete api key")
}

// TouchAPIKey moves the key's LastUsedAt forward to at.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM api_keys WHERE id = ?`, id).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return hookd.Errorf(hookd.ENOTFOUND, "api key %q not found", id)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = max(last_used_at, ?) WHERE id = ?`,
			micros(at), id)
		return err
	})
	return wrap(err, "touch api key")
}

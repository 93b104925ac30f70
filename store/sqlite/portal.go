package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
)

// CreatePortalToken stores t with the keyed hash of secret, and deletes
// the tokens that have expired. An unknown tenant is ENOTFOUND.
func (s *Store) CreatePortalToken(ctx context.Context, t *hookd.PortalToken, secret string) error {
	c := *t
	if c.ID == "" {
		c.ID = hookd.NewID(hookd.PrefixPortalToken)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	caps, err := json.Marshal(c.Capabilities)
	if err != nil {
		return fmt.Errorf("create portal token: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM tenants WHERE id = ?`, c.TenantID).Scan(&one); err != nil {
			return tenantNotFound(err, c.TenantID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM portal_tokens WHERE expires_at <= ?`, micros(s.now())); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO portal_tokens (hash, id, tenant_id, capabilities, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, secrets.Hash(s.hashKey, secret), c.ID, c.TenantID, string(caps),
			micros(c.ExpiresAt), micros(c.CreatedAt))
		return conflict(err, "portal token exists")
	})
	if err != nil {
		return fmt.Errorf("create portal token: %w", err)
	}
	t.ID, t.CreatedAt = c.ID, c.CreatedAt
	return nil
}

// RedeemPortalToken deletes and returns the token whose secret this is,
// unless it expired at now. One statement: two concurrent redemptions
// cannot both succeed.
func (s *Store) RedeemPortalToken(ctx context.Context, secret string, now time.Time) (*hookd.PortalToken, error) {
	var (
		t                hookd.PortalToken
		caps             string
		expires, created int64
	)
	err := s.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `DELETE FROM portal_tokens WHERE hash = ?
			RETURNING id, tenant_id, capabilities, expires_at, created_at`, secrets.Hash(s.hashKey, secret)).
			Scan(&t.ID, &t.TenantID, &caps, &expires, &created)
	})
	if err != nil {
		return nil, fmt.Errorf("redeem portal token: %w", notFound(err, "portal link not found, used already or expired"))
	}
	t.ExpiresAt, t.CreatedAt = fromMicros(expires), fromMicros(created)
	if !now.Before(t.ExpiresAt) {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "portal link not found, used already or expired")
	}
	if err := json.Unmarshal([]byte(caps), &t.Capabilities); err != nil {
		return nil, fmt.Errorf("redeem portal token: decode capabilities: %w", err)
	}
	return &t, nil
}

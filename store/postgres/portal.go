package postgres

import (
	"context"
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
	c.CreatedAt = c.CreatedAt.UTC().Truncate(time.Microsecond)
	caps, err := json.Marshal(c.Capabilities)
	if err != nil {
		return fmt.Errorf("create portal token: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM portal_tokens WHERE expires_at <= $1`, s.now()); err != nil {
		return fmt.Errorf("create portal token: delete expired: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO portal_tokens (hash, id, tenant_id, capabilities, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, secrets.Hash(s.hashKey, secret), c.ID, c.TenantID, string(caps),
		c.ExpiresAt.UTC(), c.CreatedAt)
	if pgCode(err) == codeForeignKeyViolation {
		err = hookd.TenantNotFound(c.TenantID)
	}
	if err != nil {
		return fmt.Errorf("create portal token: %w", conflict(err, "portal token exists"))
	}
	t.ID, t.CreatedAt = c.ID, c.CreatedAt
	return nil
}

// RedeemPortalToken deletes and returns the token whose secret this is,
// unless it expired at now. One statement: of two concurrent
// redemptions, on any nodes, one finds the row.
func (s *Store) RedeemPortalToken(ctx context.Context, secret string, now time.Time) (*hookd.PortalToken, error) {
	var (
		t    hookd.PortalToken
		caps []byte
	)
	err := s.pool.QueryRow(ctx, `DELETE FROM portal_tokens WHERE hash = $1
		RETURNING id, tenant_id, capabilities, expires_at, created_at`, secrets.Hash(s.hashKey, secret)).
		Scan(&t.ID, &t.TenantID, &caps, &t.ExpiresAt, &t.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("redeem portal token: %w", notFound(err, "portal link not found, used already or expired"))
	}
	t.ExpiresAt, t.CreatedAt = t.ExpiresAt.UTC(), t.CreatedAt.UTC()
	if !now.Before(t.ExpiresAt) {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "portal link not found, used already or expired")
	}
	if err := json.Unmarshal(caps, &t.Capabilities); err != nil {
		return nil, fmt.Errorf("redeem portal token: decode capabilities: %w", err)
	}
	return &t, nil
}

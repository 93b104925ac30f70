package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

// disableAnnounced runs the disable query (with its args) on an enabled
// endpoint and stores a in the same transaction. An endpoint already
// disabled (by another node, or through the API) is left as it is and
// nothing is stored: a is marked Duplicate.
func (s *Store) disableAnnounced(ctx context.Context, query, id, tenantID string, args []any, a *hookd.EventWrite) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		a.Duplicate = false
		tag, err := tx.Exec(ctx, query+" AND enabled", args...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var one int
			err := tx.QueryRow(ctx, `SELECT 1 FROM endpoints WHERE id = $1 AND tenant_id = $2`, id, tenantID).Scan(&one)
			if errors.Is(err, pgx.ErrNoRows) {
				return hookd.Errorf(hookd.ENOTFOUND, "endpoint %q not found", id)
			}
			a.Duplicate = err == nil
			return err
		}
		return s.announce(ctx, tx, a)
	})
	return wrap(err, "set endpoint health")
}

// announce stores, within tx, the event a disable announces with its
// deliveries, as Commit would (its idempotency key is ignored).
func (s *Store) announce(ctx context.Context, tx pgx.Tx, a *hookd.EventWrite) error {
	b := &hookd.Batch{Events: []*hookd.EventWrite{{Event: a.Event, Deliveries: a.Deliveries}}}
	c := &committer{now: s.now()}
	if err := c.prepare(b); err != nil {
		return err
	}
	if err := c.gather(b, nil); err != nil {
		return err
	}
	return c.send(ctx, tx, s.token, b)
}

package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

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

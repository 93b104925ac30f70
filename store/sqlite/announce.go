package sqlite

import (
	"context"
	"database/sql"

	"github.com/hookd/hookd"
)

// announce stores, within tx, the event a disable announces with its
// deliveries, as Commit would (its idempotency key is ignored).
func (s *Store) announce(ctx context.Context, tx *sql.Tx, h hookd.EndpointHealth) error {
	if !h.Disable || h.Announce == nil {
		return nil
	}
	w := &hookd.EventWrite{Event: h.Announce.Event, Deliveries: h.Announce.Deliveries}
	c := &committer{ctx: ctx, tx: tx, st: &s.stmts, now: s.now(),
		taken: make(map[[2]string]bool), evDup: make([]bool, 1)}
	if err := c.run(&hookd.Batch{Events: []*hookd.EventWrite{w}}); err != nil {
		return err
	}
	return c.flush()
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/hookd/hookd"
)

// disableAnnounced disables an enabled endpoint and stores h.Announce in
// the same transaction. An endpoint already disabled (by another node, or
// through the API) is left as it is and nothing is stored: h.Announce is
// marked Duplicate.
func (s *Store) disableAnnounced(ctx context.Context, tenantID, id string, h hookd.EndpointHealth) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		h.Announce.Duplicate = false
		res, err := tx.ExecContext(ctx, disableEndpointSQL+` AND enabled = 1`,
			micros(h.FailingSince), id, tenantID, h.DisabledReason, micros(s.now()))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM endpoints WHERE id = ? AND tenant_id = ?`, id, tenantID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return hookd.Errorf(hookd.ENOTFOUND, "endpoint %q not found", id)
			}
			h.Announce.Duplicate = err == nil
			return err
		}
		return s.announce(ctx, tx, h.Announce)
	})
	return wrap(err, "set endpoint health")
}

// announce stores, within tx, the event a disable announces with its
// deliveries, as Commit would (its idempotency key is ignored).
func (s *Store) announce(ctx context.Context, tx *sql.Tx, a *hookd.EventWrite) error {
	w := &hookd.EventWrite{Event: a.Event, Deliveries: a.Deliveries}
	c := &committer{ctx: ctx, tx: tx, st: &s.stmts, now: s.now(),
		taken: make(map[[2]string]bool), evDup: make([]bool, 1)}
	if err := c.run(&hookd.Batch{Events: []*hookd.EventWrite{w}}); err != nil {
		return err
	}
	return c.flush()
}

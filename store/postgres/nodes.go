package postgres

import (
	"context"
	"fmt"
	"time"
)

// heartbeatSQL records $1 as alive at $2, forgets nodes not seen since $4,
// and counts the nodes seen after $3 (the statement sees the table as it
// was before its own changes, hence this node counted apart). Forgotten
// rows are skipped when another heartbeat is deleting them.
const heartbeatSQL = `WITH beat AS (
		INSERT INTO nodes (id, last_seen) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET last_seen = GREATEST(nodes.last_seen, excluded.last_seen)
	), gone AS (
		DELETE FROM nodes WHERE id IN (
			SELECT id FROM nodes WHERE last_seen < $4 AND id <> $1 FOR UPDATE SKIP LOCKED)
	)
	SELECT count(*) + 1 FROM nodes WHERE id <> $1 AND last_seen > $3`

// Heartbeat implements hookd.NodeRegistry: it records that node is alive
// at now and returns the number of nodes, this one included, whose last
// heartbeat is less than ttl old. Rows of nodes gone for an hour (or ten
// ttls) are deleted. Times come from the nodes' clocks, which are assumed
// to agree, as leases already assume.
func (s *Store) Heartbeat(ctx context.Context, node string, now time.Time, ttl time.Duration) (int, error) {
	forget := now.Add(-max(time.Hour, 10*ttl))
	var n int
	err := s.pool.QueryRow(ctx, heartbeatSQL, node, ts(now), ts(now.Add(-ttl)), ts(forget)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("heartbeat: %w", err)
	}
	return n, nil
}

// Leave implements hookd.NodeRegistry: it deletes node's row, so that the
// other nodes stop counting it at their next heartbeat.
func (s *Store) Leave(ctx context.Context, node string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM nodes WHERE id = $1`, node)
	return wrap(err, "leave")
}

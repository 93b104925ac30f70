package postgres

import (
	"context"
	"time"

	"github.com/hookd/hookd"
)

// QueueStats implements hookd.StatsStore in one round trip. The
// deliveries it reads are those of the claimer's partial index (pending
// and failed ones); its cost grows with the queue, not with the history.
func (s *Store) QueueStats(ctx context.Context) (hookd.QueueStats, error) {
	var st hookd.QueueStats
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT
		    count(*) FILTER (WHERE status = 'pending'),
		    count(*) FILTER (WHERE status = 'failed'),
		    min(created_at) FILTER (WHERE status = 'pending'),
		    (SELECT count(*) FROM endpoints WHERE NOT enabled)
		FROM deliveries WHERE status IN ('pending', 'failed')`).Scan(&st.Pending, &st.Failed, &oldest, &st.DisabledEndpoints)
	if err != nil {
		return st, wrap(err, "queue stats")
	}
	if oldest != nil {
		st.OldestPending = oldest.UTC()
	}
	return st, nil
}

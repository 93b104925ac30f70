package sqlite

import (
	"context"
	"database/sql"

	"github.com/hookd/hookd"
)

// QueueStats implements hookd.StatsStore. The deliveries it reads are
// those of the claimer's partial index (pending and failed ones); its cost
// grows with the queue, not with the history.
func (s *Store) QueueStats(ctx context.Context) (hookd.QueueStats, error) {
	var st hookd.QueueStats
	var oldest sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT
		    coalesce(sum(status = 'pending'), 0),
		    coalesce(sum(status = 'failed'), 0),
		    min(CASE WHEN status = 'pending' THEN created_at END)
		FROM deliveries WHERE status IN ('pending', 'failed')`).Scan(&st.Pending, &st.Failed, &oldest)
	if err != nil {
		return st, wrap(err, "queue stats")
	}
	st.OldestPending = fromMicros(oldest.Int64)
	err = s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM endpoints WHERE enabled = 0`).Scan(&st.DisabledEndpoints)
	return st, wrap(err, "queue stats")
}

package delivery

import (
	"context"

	"github.com/hookd/hookd"
)

// RequeueBatch sends again at most f.Limit of the failed and dead
// deliveries f selects below f.Before, highest ids first, like Requeue. It
// returns how many it queued and the lowest id among them ("" when none),
// which a bulk retry passes as the next batch's f.Before.
func (e *Engine) RequeueBatch(ctx context.Context, f hookd.RequeueFilter) (int, string, error) {
	now := e.cfg.NowFunc()
	claimed, err := e.store.Requeue(ctx, f, e.cfg.NodeID, now, now.Add(e.cfg.Lease))
	if err != nil {
		return 0, "", err
	}
	lowest := ""
	for _, c := range claimed {
		if lowest == "" || c.Delivery.ID < lowest {
			lowest = c.Delivery.ID
		}
	}
	e.hold(e.tasksOf(claimed))
	return len(claimed), lowest, nil
}

package delivery

import (
	"context"
	"time"

	"github.com/hookd/hookd"
)

// claimLoop takes due deliveries no live node holds: far retries whose
// time has come, deliveries stored while this node was full, and those of
// nodes that died. It also notices changes made through other nodes. It
// polls, and claims early when the store says deliveries became due.
func (e *Engine) claimLoop() {
	t := time.NewTicker(e.cfg.PollInterval)
	defer t.Stop()
	due := e.dueNotify()
	for {
		for e.claim() {
		}
		select {
		case <-e.stop:
			return
		case _, ok := <-due:
			if !ok {
				due = nil // the store closed: poll only
			}
		case <-e.room:
			continue // claim again; the routes are reloaded on the poll
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), e.cfg.PollInterval*5)
		if _, err := e.router.reload(ctx); err != nil {
			e.cfg.Logger.Error("reload routes", "err", err)
		}
		cancel()
	}
}

// claim takes one batch and reports whether it was full (more may wait).
func (e *Engine) claim() bool {
	room := min(e.cfg.ClaimBatch, e.cfg.MaxHeld-e.heldCount())
	if room <= 0 {
		return false
	}
	select {
	case <-e.stop:
		return false
	default:
	}
	now := e.cfg.NowFunc()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	claimed, err := e.store.ClaimDeliveries(ctx, hookd.Claim{Owner: e.cfg.NodeID, Now: now, Until: now.Add(e.cfg.Lease), Limit: room})
	if err != nil {
		e.cfg.Logger.Error("claim deliveries", "err", err)
		return false
	}
	e.metrics.claims.Add(float64(len(claimed)))
	e.hold(e.tasksOf(claimed))
	return len(claimed) == room
}

func (e *Engine) tasksOf(claimed []*hookd.Claimed) []*task {
	tasks := make([]*task, len(claimed))
	for i, c := range claimed {
		tasks[i] = &task{dlv: c.Delivery, ev: c.Event, leaseUntil: c.Delivery.LeaseUntil}
	}
	return tasks
}

// renewLoop extends the leases of held deliveries before they lapse. A
// delivery whose lease could not be renewed was taken over by another
// node: this node forgets it and does not send it.
func (e *Engine) renewLoop() {
	t := time.NewTicker(e.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.renew()
		}
	}
}

func (e *Engine) renew() {
	now := e.cfg.NowFunc()
	until := now.Add(e.cfg.Lease)
	soon := now.Add(e.cfg.Lease * 2 / 3)
	e.heldMu.Lock()
	var ids []string
	for id, h := range e.held {
		if h.until.Before(soon) {
			ids = append(ids, id)
		}
	}
	e.heldMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.Lease/3)
	defer cancel()
	for len(ids) > 0 {
		n := min(len(ids), 500)
		renewed, err := e.store.RenewLeases(ctx, e.cfg.NodeID, ids[:n], until)
		if err != nil {
			e.cfg.Logger.Error("renew leases", "err", err)
			return
		}
		e.applyRenewal(ids[:n], renewed, until)
		ids = ids[n:]
	}
}

// applyRenewal records the new lease time of the renewed ids and forgets
// the others.
func (e *Engine) applyRenewal(asked, renewed []string, until time.Time) {
	ok := make(map[string]bool, len(renewed))
	for _, id := range renewed {
		ok[id] = true
	}
	e.heldMu.Lock()
	defer e.heldMu.Unlock()
	for _, id := range asked {
		h := e.held[id]
		if h == nil {
			continue
		}
		if ok[id] {
			h.until = until
		} else {
			delete(e.held, id)
			e.cfg.Logger.Warn("lease lost to another node", "delivery", id)
		}
	}
}

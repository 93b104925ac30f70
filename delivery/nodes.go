package delivery

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
)

// Several nodes on one store split each endpoint's limits between them:
// every node sends at most its share, the endpoint's max concurrency
// divided by the number of live nodes (rounded down, at least 1) and its
// rate limit divided by that number. The nodes learn the number from
// heartbeats in the store (hookd.NodeRegistry). With a store that does not
// keep them, the node is alone and takes the whole limits.
//
// A share is a bound, not a reservation: a node with nothing to send for
// an endpoint leaves its share unused, and until the others notice a node
// that died (one lease after its last heartbeat) they keep their smaller
// shares. When an endpoint allows fewer attempts at once than there are
// nodes, each node still sends one, so up to one per node are in flight.
//
// A node that joins others sends nothing until they have counted it: the
// others lower their shares at their next heartbeat, so the newcomer waits
// a heartbeat interval and a half (joinWait) after its first one before
// its first attempt. It accepts, stores and claims meanwhile. A node that
// finds itself alone sends at once.

// nodeCount is the number of live nodes this node last saw.
type nodeCount struct {
	live atomic.Int32 // 0 before the first heartbeat: alone
}

// get returns the number of live nodes, at least 1.
func (n *nodeCount) get() int { return max(1, int(n.live.Load())) }

// share returns this node's share of an endpoint's concurrency and rate
// limits (a rate of 0 is unlimited, and stays so).
func (e *Engine) share(concurrency int, rate float64) (int, float64) {
	n := e.nodes.get()
	if n == 1 {
		return concurrency, rate
	}
	return max(1, concurrency/n), rate / float64(n)
}

// heartbeatInterval is how often a node refreshes its heartbeat: three
// times per lease, so that one missed heartbeat does not count the node
// out, and at least every five seconds, so that the others notice a new
// node soon.
func heartbeatInterval(lease time.Duration) time.Duration {
	return max(min(lease/3, 5*time.Second), 100*time.Millisecond)
}

// heartbeatLoop refreshes this node's heartbeat until the engine stops,
// then leaves, so that the other nodes take the whole limits back at
// their next heartbeat. A node counts as live for one lease after its last
// heartbeat: as long as its deliveries stay leased to it.
func (e *Engine) heartbeatLoop() {
	reg, ok := e.store.(hookd.NodeRegistry)
	if !ok {
		close(e.joined) // a store without heartbeats has one node
		return
	}
	every := heartbeatInterval(e.cfg.Lease)
	t := time.NewTicker(every)
	defer t.Stop()
	alone := e.heartbeat(reg, every)
	e.join(alone, joinWait(every))
	for {
		select {
		case <-e.stop:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := reg.Leave(ctx, e.cfg.NodeID); err != nil {
				e.cfg.Logger.Warn("leave the node registry", "err", err)
			}
			cancel()
			return
		case <-t.C:
		}
		e.heartbeat(reg, every)
	}
}

// Joined is closed once this node sends: at once when it started alone,
// after the join wait when it joined other nodes.
func (e *Engine) Joined() <-chan struct{} { return e.joined }

// joinWait is how long a node that joins others waits before sending.
func joinWait(every time.Duration) time.Duration { return every + every/2 }

// join lets the workers send: at once when the node is alone, otherwise
// after wait (or never, if the engine stops first).
func (e *Engine) join(alone bool, wait time.Duration) {
	if alone {
		close(e.joined)
		return
	}
	e.cfg.Logger.Info("joining other nodes: sending starts once they have counted this one", "wait", wait, "node", e.cfg.NodeID)
	go func() {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
			close(e.joined)
		case <-e.stop:
		}
	}()
}

// heartbeat records this node as live and takes the new number of live
// nodes, and reports whether the node is alone. When the store fails, the
// last number is kept (guessing fewer nodes would raise this node's share
// past its part of the limits) and the node does not count as alone.
func (e *Engine) heartbeat(reg hookd.NodeRegistry, timeout time.Duration) (alone bool) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	n, err := reg.Heartbeat(ctx, e.cfg.NodeID, e.cfg.NowFunc(), e.cfg.Lease)
	if err != nil {
		e.cfg.Logger.Error("node heartbeat", "err", err)
		return false
	}
	before := e.nodes.get()
	e.nodes.live.Store(int32(max(1, n)))
	if after := e.nodes.get(); after != before {
		e.cfg.Logger.Info("live nodes changed: endpoint limits are shared between them", "nodes", after, "node", e.cfg.NodeID)
	}
	return n <= 1
}

// dueNotify returns the store's channel of due notifications, or nil
// (never ready) when the store sends none.
func (e *Engine) dueNotify() <-chan struct{} {
	if dn, ok := e.store.(hookd.DueNotifier); ok {
		return dn.DueNotify()
	}
	return nil
}

// freshTarget reloads the routes if the store changed since they were
// loaded, and returns the endpoint's target, nil when it still has none.
// A delivery claimed from the store may name an endpoint created through
// another node after this node's last reload; burying it as dead would
// lose it.
func (e *Engine) freshTarget(endpointID string) *target {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := e.router.reload(ctx); err != nil {
		e.cfg.Logger.Error("reload routes", "err", err)
	}
	return e.router.target(endpointID)
}

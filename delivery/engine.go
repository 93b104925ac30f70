// Package delivery is hookd's delivery engine: it stores published events
// with one delivery per subscribed endpoint through a group commit, sends
// them from memory through per-endpoint lanes and a bounded pool of
// workers, signs every attempt, retries on a schedule, records every
// attempt, and takes over the deliveries of nodes that stopped.
//
// Outbound requests go through the SSRF guard of package egress, which
// blocks internal addresses at dial time.
package delivery

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/egress"
)

// Engine implements hookd.Engine. Build it with New, run it with Start,
// stop it with Close. Its methods are safe for concurrent use.
type Engine struct {
	cfg     Config
	store   hookd.Store
	writer  *writer
	disp    *dispatcher
	router  *router
	sender  *sender
	policy  *retryPolicy
	metrics *metrics
	health  *healthSaver // endpoint health saves, in order (health.go)
	// perEndpoint: attempt metrics by endpoint; nil when off.
	perEndpoint *endpointMetrics
	nodes       nodeCount     // live nodes sharing the store, for limits (nodes.go)
	joined      chan struct{} // closed once this node may send (nodes.go)

	heldMu sync.Mutex
	held   map[string]*holding // deliveries leased to this node, by id
	room   chan struct{}       // wakes the claimer: held fell to half of MaxHeld

	keysMu sync.Mutex
	keys   map[string]struct{} // idempotency keys being committed

	gate       sync.RWMutex // publishes hold it shared; Close takes it
	closed     bool
	stop       chan struct{}
	writerStop chan struct{}
	loops      sync.WaitGroup
	workers    sync.WaitGroup
	attemptCtx context.Context
	cancelFunc context.CancelFunc
	started    atomic.Bool
}

var _ hookd.Engine = (*Engine)(nil)

// holding is a delivery leased to this node.
type holding struct {
	t     *task
	until time.Time
}

// New returns an engine over store. It sends nothing until Start.
func New(store hookd.Store, cfg Config) *Engine {
	cfg = cfg.withDefaults()
	if cfg.NodeID == "" {
		cfg.NodeID = hookd.NewID("node_")
	}
	e := &Engine{
		cfg:        cfg,
		store:      store,
		held:       make(map[string]*holding),
		room:       make(chan struct{}, 1),
		keys:       make(map[string]struct{}),
		stop:       make(chan struct{}),
		writerStop: make(chan struct{}),
		joined:     make(chan struct{}),
		policy:     &retryPolicy{schedule: cfg.Schedule, jitter: cfg.Jitter, randFunc: cfg.RandFunc},
		sender:     &sender{client: cfg.Client, private: cfg.PrivateClient, userAgent: cfg.UserAgent, nowFunc: cfg.NowFunc},
	}
	e.router = &router{store: store, cfg: &e.cfg, kick: make(chan struct{}, 1)}
	e.disp = newDispatcher(e.limits, time.Now) // timers run on real time, whatever the clock says
	e.disp.slowCap = max(1, cfg.Workers/2)
	e.metrics = newMetrics(cfg.Registry,
		func() float64 { return float64(e.disp.depth()) },
		func() float64 { return float64(e.heldCount()) })
	e.writer = newWriter(store, &e.cfg, e.metrics)
	e.health = newHealthSaver(e)
	e.perEndpoint = newEndpointMetrics(cfg.Registry, cfg.PerEndpointTop)
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(newQueueGauges(store, time.Now, cfg.Logger))
	}
	e.attemptCtx, e.cancelFunc = context.WithCancel(context.Background())
	return e
}

// NodeID returns the id this node leases deliveries under.
func (e *Engine) NodeID() string { return e.cfg.NodeID }

// Guard returns the SSRF guard, to check endpoint URLs at creation.
func (e *Engine) Guard() *egress.Guard { return e.cfg.Guard }

// Start loads the routes and starts the writer, the workers, the claimer
// and the lease renewer. Deliveries left by a previous run are claimed at
// once when their leases allow.
func (e *Engine) Start(ctx context.Context) error {
	if !e.started.CompareAndSwap(false, true) {
		return fmt.Errorf("delivery engine already started")
	}
	if _, err := e.router.reload(ctx); err != nil {
		return err
	}
	go e.writer.run(e.writerStop)
	go e.health.run()
	e.disableOverdue()
	for range e.cfg.Workers {
		e.workers.Add(1)
		go func() {
			defer e.workers.Done()
			e.work()
		}()
	}
	e.goLoop(e.disp.runTimers)
	e.goLoop(e.claimLoop)
	e.goLoop(e.renewLoop)
	e.goLoop(e.heartbeatLoop)
	e.goLoop(e.refreshLoop)
	return nil
}

// refreshLoop reloads the routes soon after a change invalidates them, so
// that publishes do not wait for the reload. A publish that comes first
// still reloads them itself (router.routes); the two share one reload.
// After each reload it rests four times as long as the reload took, so
// that a burst of changes (a thousand endpoints created one by one)
// costs at most a fifth of a CPU rather than a reload per change.
func (e *Engine) refreshLoop() {
	for {
		select {
		case <-e.stop:
			return
		case <-e.router.kick:
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if _, err := e.router.routes(ctx); err != nil {
			e.cfg.Logger.Error("reload routes", hookd.LogKeyError, err)
		}
		cancel()
		rest := time.NewTimer(4 * time.Since(start))
		select {
		case <-e.stop:
			rest.Stop()
			return
		case <-rest.C:
		}
	}
}

func (e *Engine) goLoop(f func()) {
	e.loops.Add(1)
	go func() {
		defer e.loops.Done()
		f()
	}()
}

// Close stops taking work, lets attempts in flight finish, commits their
// results and the endpoint health they changed, and releases every lease it still holds so that another node,
// or the next start, takes the deliveries over at once. If ctx ends first,
// attempts in flight are abandoned (their deliveries are released and sent
// again later, with the same webhook-id).
func (e *Engine) Close(ctx context.Context) error {
	e.gate.Lock()
	already := e.closed
	e.closed = true
	e.gate.Unlock()
	if already || !e.started.Load() {
		return nil
	}
	close(e.stop)
	e.disp.close()
	done := make(chan struct{})
	go func() { e.workers.Wait(); e.loops.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		e.cancelFunc()
		<-done
	}
	// No attempt is left to change an endpoint's health: save what is
	// pending before the store may close.
	e.health.close(ctx)
	close(e.writerStop)
	<-e.writer.stopped
	e.cancelFunc()
	return e.releaseAll()
}

// releaseAll frees the leases of every delivery still held.
func (e *Engine) releaseAll() error {
	e.heldMu.Lock()
	ids := make([]string, 0, len(e.held))
	for id := range e.held {
		ids = append(ids, id)
	}
	clear(e.held)
	e.heldMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(ids) > 0 {
		n := min(len(ids), 500)
		if err := e.store.ReleaseLeases(ctx, e.cfg.NodeID, ids[:n]); err != nil {
			return fmt.Errorf("release leases: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// Invalidate implements hookd.Engine.
func (e *Engine) Invalidate() { e.router.invalidate() }

// limits returns this node's share of an endpoint's concurrency and rate,
// for its lane.
func (e *Engine) limits(endpointID string) (int, float64) {
	if tg := e.router.target(endpointID); tg != nil {
		return e.share(tg.conc, tg.ep.RateLimit)
	}
	return e.share(e.cfg.MaxConcurrency, 0)
}

// hold records deliveries as leased to this node and hands them to the
// dispatcher. A delivery this node already holds (its lease lapsed while it
// waited, and the claimer took it again) is not dispatched twice: the
// holding only takes the later lease.
func (e *Engine) hold(tasks []*task) {
	if len(tasks) == 0 {
		return
	}
	fresh := tasks[:0:0]
	e.heldMu.Lock()
	for _, t := range tasks {
		if h, ok := e.held[t.dlv.ID]; ok {
			if t.leaseUntil.After(h.until) {
				h.until = t.leaseUntil
			}
			continue
		}
		e.held[t.dlv.ID] = &holding{t: t, until: t.leaseUntil}
		fresh = append(fresh, t)
	}
	e.heldMu.Unlock()
	e.disp.submit(fresh...)
}

// unhold forgets a delivery whose outcome is committed. When that brings
// the held deliveries down to half of MaxHeld, the claimer looks for more
// at once rather than at its next poll, so that a backlog stored beyond
// MaxHeld drains at full speed.
func (e *Engine) unhold(id string) {
	e.heldMu.Lock()
	_, ok := e.held[id]
	delete(e.held, id)
	half := ok && len(e.held) == e.cfg.MaxHeld/2
	e.heldMu.Unlock()
	if half {
		select {
		case e.room <- struct{}{}:
		default:
		}
	}
}

func (e *Engine) heldCount() int {
	e.heldMu.Lock()
	defer e.heldMu.Unlock()
	return len(e.held)
}

// holdingLost reports whether this node lost the delivery's lease, which
// the renewer finds out.
func (e *Engine) holdingLost(id string) bool {
	e.heldMu.Lock()
	defer e.heldMu.Unlock()
	_, ok := e.held[id]
	return !ok
}

package delivery

import (
	"container/heap"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hookd/hookd"
)

// task is one delivery held in memory by this node, from the moment it is
// leased until its attempt's outcome is recorded. Only the goroutine that
// currently holds a task (dispatcher, worker or timer) touches its fields.
type task struct {
	dlv        *hookd.Delivery
	ev         *hookd.Event
	leaseUntil time.Time
	lane       *lane
	// reshaped: dlv.Shape was just made by the transform and is stored
	// with the outcome of the next attempt.
	reshaped bool
	logs     string    // the transform's console output, for that attempt
	started  time.Time // when a worker took it, to time the attempt
	slowSlot bool      // admitted under the slow lanes' share
}

// lane is the queue of one endpoint: attempts to it respect its
// concurrency and rate limits, whatever other endpoints do.
type lane struct {
	id       string
	queue    []*task // FIFO; head at index 0
	inflight int     // runnable or being sent
	limiter  *rate.Limiter
	rateKey  float64 // the rate the limiter was built for
	waking   bool    // a timer will admit more once the limiter or the circuit allows
	failures int     // consecutive failures: the circuit opens at circuitThreshold

	completed bool      // an attempt to it ended: it may use its whole concurrency
	slowLast  bool      // its latest attempt took defaultSlowAfter or longer
	progress  time.Time // its latest completion, or when its attempts went in flight
	nextProbe time.Time // open circuit: the next attempt may not start before
	parked    bool      // waiting in dispatcher.parked for the slow lanes' share
}

// circuitThreshold is the run of consecutive failures after which a lane
// sends one attempt at a time, at most one a probeInterval, until one
// succeeds: a dead endpoint is probed rather than hammered, and the
// deliveries behind the probe wait without spending their attempts.
const circuitThreshold = 5

// probeInterval spaces the attempts of a lane whose circuit is open.
const probeInterval = time.Second

// freshWindow bounds the attempts in flight to a lane none of whose
// attempts has ended yet: an endpoint that turns out slow holds no more
// workers than this while the dispatcher cannot tell.
const freshWindow = 8

// defaultSlowAfter is the attempt time from which a lane counts as slow.
const defaultSlowAfter = time.Second

// dispatcher hands tasks to a bounded pool of workers, lane by lane.
type dispatcher struct {
	mu         sync.Mutex
	cond       *sync.Cond
	lanes      map[string]*lane
	runnable   []*task
	timers     timerHeap
	wake       chan struct{} // nudges the timer goroutine
	closed     bool
	limitsFunc func(endpointID string) (concurrency int, ratePerSec float64)
	nowFunc    func() time.Time // the monotonic wall clock of timers and rate limits

	// Slow lanes (latest attempt took defaultSlowAfter or more, or attempts in
	// flight without one ending for that long) share at most slowCap
	// attempts in flight, so that however many endpoints are slow, the
	// others keep the rest of the workers. 0: no cap.
	slowCap      int
	slowInflight int
	parked       []*lane // slow lanes waiting for the share
}

func newDispatcher(limits func(string) (int, float64), now func() time.Time) *dispatcher {
	d := &dispatcher{
		lanes:      make(map[string]*lane),
		wake:       make(chan struct{}, 1),
		limitsFunc: limits,
		nowFunc:    now,
	}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// submit queues tasks on their endpoints' lanes.
func (d *dispatcher) submit(tasks ...*task) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range tasks {
		ln := d.lanes[t.dlv.EndpointID]
		if ln == nil {
			ln = &lane{id: t.dlv.EndpointID}
			d.lanes[ln.id] = ln
		}
		t.lane = ln
		ln.queue = append(ln.queue, t)
		d.admit(ln)
	}
}

// admit moves tasks from the lane's queue to the runnable list while the
// lane's limits allow. d.mu is held.
func (d *dispatcher) admit(ln *lane) {
	conc, perSec := d.limitsFunc(ln.id)
	if !ln.completed {
		conc = min(conc, freshWindow)
	}
	open := ln.failures >= circuitThreshold
	if open {
		conc = 1
	}
	d.syncLimiter(ln, perSec)
	now := d.nowFunc()
	for len(ln.queue) > 0 && ln.inflight < conc && !d.closed {
		if open && now.Before(ln.nextProbe) {
			d.wakeAt(ln, ln.nextProbe)
			return
		}
		slow := d.isSlow(ln, now)
		if slow && d.slowCap > 0 && d.slowInflight >= d.slowCap {
			if !ln.parked {
				ln.parked = true
				d.parked = append(d.parked, ln)
			}
			return
		}
		if ln.limiter != nil {
			r := ln.limiter.ReserveN(now, 1)
			if delay := r.DelayFrom(now); delay > 0 {
				r.CancelAt(now)
				d.wakeAt(ln, now.Add(delay))
				return
			}
		}
		d.run(ln, slow, open, now)
	}
	if len(ln.queue) == 0 && ln.inflight == 0 && !ln.waking && ln.failures == 0 && ln.limiter == nil && !ln.parked && !ln.slowLast {
		delete(d.lanes, ln.id) // idle, healthy, unlimited lanes need no memory
	}
}

// run makes the lane's next task runnable. d.mu is held.
func (d *dispatcher) run(ln *lane, slow, open bool, now time.Time) {
	t := ln.queue[0]
	ln.queue[0] = nil
	ln.queue = ln.queue[1:]
	if ln.inflight == 0 {
		ln.progress = now
	}
	ln.inflight++
	if slow {
		t.slowSlot = true
		d.slowInflight++
	}
	if open {
		ln.nextProbe = now.Add(probeInterval)
	}
	d.runnable = append(d.runnable, t)
	d.cond.Signal()
}

// isSlow reports whether the lane counts as slow: its latest attempt was,
// or its attempts in flight have gone defaultSlowAfter without one ending.
func (d *dispatcher) isSlow(ln *lane, now time.Time) bool {
	return ln.slowLast || (ln.inflight > 0 && now.Sub(ln.progress) >= defaultSlowAfter)
}

// wakeAt has the timer goroutine admit the lane again at t. d.mu is held.
func (d *dispatcher) wakeAt(ln *lane, t time.Time) {
	if !ln.waking {
		ln.waking = true
		d.addTimer(&timerItem{at: t, lane: ln})
	}
}

// unpark admits the parked slow lanes again while the share has room.
// d.mu is held.
func (d *dispatcher) unpark() {
	lanes := d.parked
	d.parked = nil
	for i, ln := range lanes {
		if d.slowInflight >= d.slowCap {
			d.parked = append(d.parked, lanes[i:]...)
			return
		}
		ln.parked = false
		if d.lanes[ln.id] == ln {
			d.admit(ln)
		}
	}
}

// syncLimiter keeps the lane's limiter in step with the endpoint's rate.
func (d *dispatcher) syncLimiter(ln *lane, perSec float64) {
	if perSec == ln.rateKey {
		return
	}
	ln.rateKey = perSec
	if perSec <= 0 {
		ln.limiter = nil
		return
	}
	burst := max(1, int(perSec/10))
	ln.limiter = rate.NewLimiter(rate.Limit(perSec), burst)
}

// takesMore reports whether the endpoint's lane would run one more task
// soon: it has no lane yet, or one that is neither slow nor failing, with
// fewer than two rounds of its concurrency queued. A node over MaxHeld
// still leases such deliveries, so the memory it holds stays bounded by
// the healthy lanes' short queues.
func (d *dispatcher) takesMore(endpointID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	ln := d.lanes[endpointID]
	if ln == nil {
		return true
	}
	conc, _ := d.limitsFunc(endpointID)
	return ln.failures < circuitThreshold && !ln.parked && len(ln.queue) < 2*conc && !d.isSlow(ln, d.nowFunc())
}

// take blocks until a task is runnable, and returns nil once closed.
func (d *dispatcher) take() *task {
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.runnable) == 0 && !d.closed {
		d.cond.Wait()
	}
	if len(d.runnable) == 0 {
		return nil
	}
	t := d.runnable[0]
	d.runnable[0] = nil
	d.runnable = d.runnable[1:]
	t.started = d.nowFunc()
	return t
}

// done tells the dispatcher that a task left its lane (its attempt ended),
// and whether the attempt succeeded, to keep the lane's circuit.
func (d *dispatcher) done(t *task, succeeded bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ln := t.lane
	ln.inflight--
	now := d.nowFunc()
	ln.completed, ln.progress = true, now
	if !t.started.IsZero() {
		ln.slowLast = now.Sub(t.started) >= defaultSlowAfter
	}
	if t.slowSlot {
		t.slowSlot = false
		d.slowInflight--
		defer d.unpark()
	}
	if succeeded {
		ln.failures = 0
	} else {
		ln.failures++
	}
	d.admit(ln) // a lane with tasks in flight is never dropped
}

// later queues t on its lane after delay (a near retry).
func (d *dispatcher) later(t *task, delay time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addTimer(&timerItem{at: d.nowFunc().Add(delay), task: t})
}

// close stops handing out tasks and returns every task not being sent:
// queued, runnable and waiting for a timer. Workers' take returns nil.
func (d *dispatcher) close() []*task {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	var left []*task
	for _, ln := range d.lanes {
		left = append(left, ln.queue...)
		ln.queue = nil
	}
	left = append(left, d.runnable...)
	d.runnable = nil
	for _, it := range d.timers {
		if it.task != nil {
			left = append(left, it.task)
		}
	}
	d.timers = nil
	d.cond.Broadcast()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return left
}

// depth returns how many tasks wait in lanes and in the runnable list.
func (d *dispatcher) depth() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := len(d.runnable)
	for _, ln := range d.lanes {
		n += len(ln.queue)
	}
	return n
}

// timerItem is a near retry, or a lane to re-admit once its rate allows.
type timerItem struct {
	at    time.Time
	task  *task
	lane  *lane
	index int
}

type timerHeap []*timerItem

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *timerHeap) Push(x any)        { it := x.(*timerItem); it.index = len(*h); *h = append(*h, it) }
func (h *timerHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}

// addTimer pushes an item and nudges the timer goroutine. d.mu is held.
func (d *dispatcher) addTimer(it *timerItem) {
	heap.Push(&d.timers, it)
	if it.index == 0 {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

// runTimers fires due timer items until the dispatcher is closed.
func (d *dispatcher) runTimers() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return
		}
		wait := d.fireDue()
		d.mu.Unlock()
		t.Reset(wait)
		select {
		case <-t.C:
		case <-d.wake:
		}
	}
}

// fireDue handles the due items and returns how long to sleep before the
// next one. d.mu is held.
func (d *dispatcher) fireDue() time.Duration {
	now := d.nowFunc()
	for len(d.timers) > 0 {
		it := d.timers[0]
		if wait := it.at.Sub(now); wait > 0 {
			return wait
		}
		heap.Pop(&d.timers)
		ln := it.lane
		if it.task != nil {
			ln = d.lanes[it.task.dlv.EndpointID]
			if ln == nil {
				ln = &lane{id: it.task.dlv.EndpointID}
				d.lanes[ln.id] = ln
			}
			it.task.lane = ln
			ln.queue = append(ln.queue, it.task)
		} else {
			ln.waking = false
			if d.lanes[ln.id] != ln {
				continue
			}
		}
		d.admit(ln)
	}
	return time.Hour
}

package delivery

import (
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

func newTestTask(endpoint, id string) *task {
	return &task{dlv: &hookd.Delivery{ID: id, EndpointID: endpoint}, ev: &hookd.Event{ID: "evt_" + id}}
}

func TestDispatcherConcurrencyPerLane(t *testing.T) {
	t.Parallel()
	d := newDispatcher(func(id string) (int, float64) {
		if id == "slow" {
			return 2, 0
		}
		return 4, 0
	}, time.Now)
	for i := range 10 {
		d.submit(newTestTask("slow", "s"+string(rune('a'+i))))
	}
	d.submit(newTestTask("fast", "f1"), newTestTask("fast", "f2"))
	// Only two of the slow lane's ten are runnable; the fast lane's two
	// are not stuck behind the other eight.
	got := map[string]int{}
	for range 4 {
		tk := d.take()
		got[tk.dlv.EndpointID]++
	}
	if got["slow"] != 2 || got["fast"] != 2 {
		t.Fatalf("runnable by lane = %v, want slow 2, fast 2", got)
	}
	if n := d.depth(); n != 8 {
		t.Fatalf("depth = %d, want 8 queued", n)
	}
}

func TestDispatcherDoneAdmitsNext(t *testing.T) {
	t.Parallel()
	d := newDispatcher(func(string) (int, float64) { return 1, 0 }, time.Now)
	d.submit(newTestTask("a", "1"), newTestTask("a", "2"))
	first := d.take()
	if first.dlv.ID != "1" {
		t.Fatalf("first = %s, want FIFO order", first.dlv.ID)
	}
	if d.depth() != 1 {
		t.Fatalf("second must wait while the first is in flight")
	}
	d.done(first, true)
	if second := d.take(); second.dlv.ID != "2" {
		t.Fatalf("second = %s", second.dlv.ID)
	}
}

func TestDispatcherCircuitOpensAfterFailures(t *testing.T) {
	t.Parallel()
	d := newDispatcher(func(string) (int, float64) { return 8, 0 }, time.Now)
	openCircuit(d, "a")
	for i := range 3 {
		d.submit(newTestTask("a", "y"+string(rune('a'+i))))
	}
	probe := d.take()
	if n := queued(d); n != 2 {
		t.Fatalf("open circuit must admit one probe at a time, %d queued", n)
	}
	d.done(probe, true) // success closes the circuit
	if n := queued(d); n != 0 {
		t.Fatalf("closed circuit must admit the rest, %d queued", n)
	}
}

func TestDispatcherRateLimit(t *testing.T) {
	t.Parallel()
	d := newDispatcher(func(string) (int, float64) { return 100, 20 }, time.Now) // 20/s, burst 2
	go d.runTimers()
	defer d.close()
	for i := range 6 {
		d.submit(newTestTask("a", string(rune('a'+i))))
	}
	if n := queued(d); n != 4 {
		t.Fatalf("burst of 2 admitted at once, %d queued, want 4", n)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 6 {
			tk := d.take()
			d.done(tk, true)
		}
	}()
	waitUntil(t, 5*time.Second, func() bool { return d.depth() == 0 })
	wg.Wait()
}

func TestDispatcherLaterAndClose(t *testing.T) {
	t.Parallel()
	d := newDispatcher(func(string) (int, float64) { return 1, 0 }, time.Now)
	go d.runTimers()
	d.later(newTestTask("a", "soon"), 20*time.Millisecond)
	d.later(newTestTask("a", "far"), time.Hour)
	if tk := d.take(); tk.dlv.ID != "soon" {
		t.Fatalf("took %s, want the due one", tk.dlv.ID)
	}
	left := d.close()
	if len(left) != 1 || left[0].dlv.ID != "far" {
		t.Fatalf("close returned %d tasks, want the pending far one", len(left))
	}
	if d.take() != nil {
		t.Fatal("take after close must return nil")
	}
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openCircuit sends circuitThreshold deliveries of endpoint and fails
// them all, which opens its lane's circuit.
func openCircuit(d *dispatcher, endpoint string) {
	for i := range circuitThreshold {
		d.submit(newTestTask(endpoint, "x"+string(rune('a'+i))))
	}
	var failed []*task
	for range circuitThreshold {
		failed = append(failed, d.take())
	}
	for _, tk := range failed {
		d.done(tk, false)
	}
}

// queued counts the tasks waiting in lanes, not yet admitted.
func queued(d *dispatcher) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, ln := range d.lanes {
		n += len(ln.queue)
	}
	return n
}

// fakeClock is a settable clock for the dispatcher's timing decisions.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestDispatcherFreshLaneWindow(t *testing.T) {
	t.Parallel()
	d := newDispatcher(func(string) (int, float64) { return 64, 0 }, time.Now)
	for i := range 20 {
		d.submit(newTestTask("a", string(rune('a'+i))))
	}
	if n := queued(d); n != 20-freshWindow {
		t.Fatalf("a lane with no ended attempt admitted %d, want %d", 20-n, freshWindow)
	}
	d.done(d.take(), true) // one ended: the lane may use its whole concurrency
	if n := queued(d); n != 0 {
		t.Fatalf("after an attempt ended, %d still queued, want 0", n)
	}
}

func TestDispatcherSlowLanesShareCap(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Unix(1000, 0)}
	d := newDispatcher(func(string) (int, float64) { return 64, 0 }, clock.Now)
	d.slowCap = 3
	// Two lanes each end one attempt after 2 s: both are slow now.
	for _, ep := range []string{"s1", "s2"} {
		d.submit(newTestTask(ep, ep+"-0"))
		tk := d.take()
		clock.Add(2 * time.Second)
		d.done(tk, true)
	}
	for i := range 4 {
		d.submit(newTestTask("s1", "s1-"+string(rune('a'+i))), newTestTask("s2", "s2-"+string(rune('a'+i))))
	}
	d.submit(newTestTask("fast", "f1"), newTestTask("fast", "f2"))
	if d.slowInflight != 3 {
		t.Fatalf("slow lanes hold %d attempts, want the cap 3", d.slowInflight)
	}
	if n := queued(d); n != 5 {
		t.Fatalf("%d queued, want the 5 slow ones beyond the cap (the fast lane is not capped)", n)
	}
	// A slow attempt ending makes room for one parked slow task.
	var slowTask *task
	for slowTask == nil {
		if tk := d.take(); tk.dlv.EndpointID != "fast" {
			slowTask = tk
		}
	}
	clock.Add(2 * time.Second) // it was slow again
	d.done(slowTask, true)
	if n := queued(d); n != 4 || d.slowInflight != 3 {
		t.Fatalf("after a slow attempt ended: %d queued, %d slow in flight; want 4 and 3", n, d.slowInflight)
	}
}

func TestDispatcherStalledLaneIsSlow(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Unix(1000, 0)}
	d := newDispatcher(func(string) (int, float64) { return 64, 0 }, clock.Now)
	d.slowCap = 1
	d.submit(newTestTask("a", "1"))
	clock.Add(2 * time.Second) // in flight for 2 s without ending
	d.submit(newTestTask("a", "2"), newTestTask("a", "3"))
	if d.slowInflight != 1 || queued(d) != 1 {
		t.Fatalf("stalled lane: %d slow in flight, %d queued; want 1 and 1", d.slowInflight, queued(d))
	}
}

func TestDispatcherOpenCircuitSpacesProbes(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Unix(1000, 0)}
	d := newDispatcher(func(string) (int, float64) { return 8, 0 }, clock.Now)
	openCircuit(d, "a")
	for i := range 3 {
		d.submit(newTestTask("a", "y"+string(rune('a'+i))))
	}
	// Open: one probe goes (taken below), the rest wait.
	probe := d.take()
	d.done(probe, false)
	if n := queued(d); n != 2 {
		t.Fatalf("open circuit: %d queued right after a failed probe, want 2", n)
	}
	clock.Add(probeInterval)
	d.mu.Lock()
	d.fireDue()
	d.mu.Unlock()
	if n := queued(d); n != 1 {
		t.Fatalf("a probe interval later: %d queued, want 1 (the next probe admitted)", n)
	}
}

func TestDispatcherTakesMore(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Unix(1000, 0)}
	d := newDispatcher(func(string) (int, float64) { return 2, 0 }, clock.Now)
	if !d.takesMore("new") {
		t.Error("an endpoint without a lane must take more")
	}
	d.submit(newTestTask("busy", "1"))
	d.done(d.take(), true) // proven
	for i := range 6 {     // two in flight, four queued
		d.submit(newTestTask("busy", "b"+string(rune('a'+i))))
	}
	if d.takesMore("busy") {
		t.Error("a lane with two rounds of its concurrency queued must not take more")
	}
	d.submit(newTestTask("slow", "s"))
	clock.Add(2 * time.Second) // in flight without ending
	if d.takesMore("slow") {
		t.Error("a stalled lane must not take more")
	}
	if !d.takesMore("new") {
		t.Error("an endpoint without a lane must still take more")
	}
}

package main

// Multi-node tests: several hookd processes on one PostgreSQL database
// (HOOKD_TEST_POSTGRES_URL; skipped without it), a receiver on loopback.

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd/internal/pgtest"
)

// testSecretsKey is the master key of the tests' PostgreSQL databases
// (every node of one database needs the same).
const testSecretsKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// newTestDatabase creates an empty database on the test server, dropped
// when the test ends, and returns its URL. Without HOOKD_TEST_POSTGRES_URL
// the test is skipped; with it, an unreachable server fails the test.
func newTestDatabase(t *testing.T) string {
	t.Helper()
	base := pgtest.BaseURL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", pgtest.URLEnv, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "hookd_test_" + hex.EncodeToString(b)
	pgtest.Exec(t, base, "CREATE DATABASE "+name)
	t.Cleanup(func() { pgtest.Exec(t, base, "DROP DATABASE "+name+" WITH (FORCE)") })
	u.Path = "/" + name
	return u.String()
}

// flightReceiver answers webhooks and counts them by webhook-id, with the
// attempts of each id in flight at once and the peak over all ids.
type flightReceiver struct {
	*httptest.Server
	delay  atomic.Int64               // ns each attempt is held before the answer
	answer func(id string, n int) int // status for the n-th attempt of id (1-based)

	mu         sync.Mutex
	seen       map[string]int // attempts per webhook-id
	ok         map[string]int // 2xx answers per webhook-id
	firstOK    map[string]time.Time
	inflight   map[string]int
	total      int // attempts in flight, all ids
	peakTotal  int
	overlapped []string // ids that had two attempts in flight at once
}

func newFlightReceiver(t *testing.T, delay time.Duration, answer func(id string, n int) int) *flightReceiver {
	rc := &flightReceiver{answer: answer, seen: map[string]int{}, ok: map[string]int{},
		firstOK: map[string]time.Time{}, inflight: map[string]int{}}
	rc.delay.Store(int64(delay))
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *flightReceiver) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	id := r.Header.Get("webhook-id") + " " + r.URL.Path // one delivery: an event to one endpoint
	rc.mu.Lock()
	rc.seen[id]++
	n := rc.seen[id]
	rc.inflight[id]++
	if rc.inflight[id] > 1 {
		rc.overlapped = append(rc.overlapped, id)
	}
	rc.total++
	rc.peakTotal = max(rc.peakTotal, rc.total)
	rc.mu.Unlock()
	time.Sleep(time.Duration(rc.delay.Load())) // keep the attempt in flight, so that overlaps show
	status := http.StatusNoContent
	if rc.answer != nil {
		status = rc.answer(id, n)
	}
	rc.mu.Lock()
	rc.inflight[id]--
	rc.total--
	if status < 300 {
		if rc.ok[id]++; rc.ok[id] == 1 {
			rc.firstOK[id] = time.Now()
		}
	}
	rc.mu.Unlock()
	w.WriteHeader(status)
}

// missing returns how many of the event ids have not been answered 2xx.
func (rc *flightReceiver) missing(ids []string, path string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, id := range ids {
		if rc.ok[id+" "+path] == 0 {
			n++
		}
	}
	return n
}

// waitDelivered waits until every id was answered 2xx, or fails after
// the deadline.
func (rc *flightReceiver) waitDelivered(t *testing.T, ids []string, path string, deadline time.Time) {
	t.Helper()
	for rc.missing(ids, path) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted events never arrived", rc.missing(ids, path), len(ids))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cluster is several hookd processes on one database.
type cluster struct {
	procs []*hookdProcess
	bases []string
	key   string
}

// startCluster starts n nodes at once on db, with extra environment.
func startCluster(t *testing.T, n int, db string, env ...string) *cluster {
	t.Helper()
	c := &cluster{key: "hk_multinode_test_key"}
	for i := range n {
		o := startOptions{
			Args: []string{"--db", db, "--ssrf-allow", "127.0.0.0/8"},
			Env: append([]string{"HOOKD_API_KEY=" + c.key, "HOOKD_NODE_ID=node-" + string(rune('a'+i)),
				"HOOKD_SECRETS_KEY=" + testSecretsKey}, env...),
		}
		o.Args = append([]string{"serve", "--addr", "127.0.0.1:0"}, o.Args...)
		c.procs = append(c.procs, startHookd(t, o))
	}
	for _, p := range c.procs { // started together: they migrate together
		c.bases = append(c.bases, "http://"+p.waitListening())
	}
	return c
}

// newClient returns an HTTP client that keeps enough idle connections
// for the publishers.
func newClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

// createEndpoint creates an endpoint through node i and waits until every
// node routes events to it (a change is in effect on every node within
// 2 s): it publishes probes through each node until one arrives.
func (c *cluster) createEndpoint(t *testing.T, client *http.Client, rc *flightReceiver, path string, conc int) {
	t.Helper()
	status, err := apiCall(client, "POST", c.bases[0]+"/v1/tenants/default/endpoints", c.key,
		map[string]any{"url": rc.URL + path, "max_concurrency": conc}, nil)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %v", status, err)
	}
	for _, base := range c.bases {
		deadline := time.Now().Add(10 * time.Second)
		for {
			var ev struct{ ID string }
			status, err := apiCall(client, "POST", base+"/v1/tenants/default/events", c.key,
				map[string]any{"type": "probe.sent", "data": map[string]any{}}, &ev)
			if err != nil || status != http.StatusAccepted {
				t.Fatalf("publish probe: %d %v", status, err)
			}
			if rc.missing([]string{ev.ID}, path) == 0 || waitArrival(rc, ev.ID, path, 500*time.Millisecond) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s never routed events to the new endpoint", base)
			}
		}
	}
}

// waitArrival waits up to d for id to be answered 2xx.
func waitArrival(rc *flightReceiver, id, path string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if rc.missing([]string{id}, path) == 0 {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// published are the events the nodes answered 202, by node.
type published struct {
	mu     sync.Mutex
	byNode [][]string
	total  int
}

func (p *published) add(node int, id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.byNode[node] = append(p.byNode[node], id)
	p.total++
	return p.total
}

func (p *published) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, ids := range p.byNode {
		out = append(out, ids...)
	}
	return out
}

// publish sends events through every node from workers goroutines (each
// bound to a node, moving to the next live one when its node is gone)
// until n were accepted or the deadline passes. After each acceptance,
// onAccept runs with the running total.
func (c *cluster) publish(t *testing.T, client *http.Client, workers, n int, deadline time.Time, onAccept func(total int)) *published {
	t.Helper()
	p := &published{byNode: make([][]string, len(c.procs))}
	var (
		wg   sync.WaitGroup
		done atomic.Bool
	)
	for w := range workers {
		wg.Go(func() {
			node := w % len(c.procs)
			for !done.Load() && time.Now().Before(deadline) {
				if c.procs[node].exited() {
					node = (node + 1) % len(c.procs)
					continue
				}
				var ev struct{ ID string }
				status, err := apiCall(client, "POST", c.bases[node]+"/v1/tenants/default/events", c.key,
					map[string]any{"type": "order.created", "data": map[string]any{"n": w}}, &ev)
				if err != nil || status != http.StatusAccepted {
					continue // a node killed mid-request, or saturated (503): try again
				}
				total := p.add(node, ev.ID)
				if total >= n {
					done.Store(true)
				}
				onAccept(total)
			}
		})
	}
	wg.Wait()
	if p.total < n {
		t.Fatalf("only %d of %d events accepted before the deadline", p.total, n)
	}
	return p
}

// TestMultiNodeKillLosesNothing runs two nodes on one database, publishes
// 20,000 events through both, and kills one with SIGKILL mid-load. Every
// event answered 202 must reach the receiver; the survivor must finish the
// dead node's deliveries within the lease plus 10 s; an event may arrive
// twice only if the dead node accepted it (an attempt in flight, or whose
// result was not yet committed, at the kill), always with its webhook-id.
func TestMultiNodeKillLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-node crash test")
	}
	const (
		lease          = 5 * time.Second
		events, killAt = 20000, 12000
	)
	db := newTestDatabase(t)
	// A slow receiver until the kill, so that the killed node holds a
	// backlog of accepted events; a fast one after, so that the survivor
	// can show how soon it takes them over.
	rc := newFlightReceiver(t, 40*time.Millisecond, nil)
	c := startCluster(t, 2, db, "HOOKD_DELIVERY_LEASE="+lease.String())
	client := newClient()
	c.createEndpoint(t, client, rc, "/hook", 16)

	var (
		killOnce sync.Once
		killedAt time.Time
	)
	p := c.publish(t, client, 16, events, time.Now().Add(5*time.Minute), func(total int) {
		if total >= killAt {
			killOnce.Do(func() {
				killedAt = time.Now()
				_ = c.procs[0].cmd.Process.Kill() // SIGKILL, no t: this is a publisher goroutine
				rc.delay.Store(0)
			})
		}
	})
	dead, alive := p.byNode[0], p.byNode[1]
	rc.waitDelivered(t, dead, "/hook", killedAt.Add(lease+10*time.Second))
	late, last := rc.arrivedAfter(dead, "/hook", killedAt)
	if late == 0 {
		t.Fatalf("all %d events of the killed node arrived before the kill: nothing was in flight", len(dead))
	}
	t.Logf("the survivor delivered %d events of the dead node, the last %v after the kill",
		late, last.Sub(killedAt).Round(time.Millisecond))
	rc.waitDelivered(t, p.all(), "/hook", time.Now().Add(2*time.Minute))
	checkDuplicates(t, rc, dead, alive)
}

// arrivedAfter returns how many of ids were first answered 2xx after t,
// and when the last of them was.
func (rc *flightReceiver) arrivedAfter(ids []string, path string, t time.Time) (int, time.Time) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n, last := 0, time.Time{}
	for _, id := range ids {
		if at := rc.firstOK[id+" "+path]; at.After(t) {
			n++
			if at.After(last) {
				last = at
			}
		}
	}
	return n, last
}

// checkDuplicates fails if the receiver got an id hookd never issued, or
// an event accepted by the surviving node more than once.
func checkDuplicates(t *testing.T, rc *flightReceiver, dead, alive []string) {
	t.Helper()
	survivor := map[string]bool{}
	for _, id := range alive {
		survivor[id+" /hook"] = true
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	dups := 0
	for id, n := range rc.seen {
		if len(id) < 4 || id[:4] != "evt_" {
			t.Errorf("receiver got webhook-id %q that hookd never issued", id)
		}
		if n > 1 {
			dups++
			if survivor[id] {
				t.Errorf("%s, accepted by the surviving node, arrived %d times", id, n)
			}
		}
	}
	t.Logf("%d events accepted by the killed node, %d by the survivor; %d arrived twice", len(dead), len(alive), dups)
}

// TestMultiNodeNoConcurrentAttempts runs two nodes on one database with
// short leases and a retry schedule that releases every retry, so that
// both nodes claim retries from the store, and checks that no delivery
// ever has two attempts in flight, that none is sent twice when it
// succeeds, and that the endpoint's max concurrency holds across nodes.
func TestMultiNodeNoConcurrentAttempts(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-node test")
	}
	const (
		events = 4000
		conc   = 8
	)
	db := newTestDatabase(t)
	failFirst := func(id string) bool { return id[len(id)-len(" /hook")-1]%4 == 0 } // about one in four
	rc := newFlightReceiver(t, 3*time.Millisecond, func(id string, n int) int {
		if n == 1 && failFirst(id) {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	// A retry delay as long as the lease releases the delivery: whichever
	// node claims it first sends the retry.
	c := startCluster(t, 2, db, "HOOKD_DELIVERY_LEASE=2s", "HOOKD_DELIVERY_RETRY_SCHEDULE=2s,2s")
	client := newClient()
	c.createEndpoint(t, client, rc, "/hook", conc)
	p := c.publish(t, client, 16, events, time.Now().Add(5*time.Minute), func(int) {})
	ids := p.all()
	rc.waitDelivered(t, ids, "/hook", time.Now().Add(3*time.Minute))

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.overlapped) > 0 {
		t.Fatalf("%d deliveries had two attempts in flight at once, such as %s", len(rc.overlapped), rc.overlapped[0])
	}
	retried := 0
	for _, id := range ids {
		want := 1
		if failFirst(id + " /hook") {
			want, retried = 2, retried+1
		}
		if got := rc.seen[id+" /hook"]; got != want {
			t.Errorf("%s: %d attempts, want %d", id, got, want)
		}
	}
	if rc.peakTotal > conc {
		t.Errorf("%d attempts in flight at once to an endpoint with max_concurrency %d", rc.peakTotal, conc)
	}
	t.Logf("%d events, %d retried across nodes; peak %d attempts in flight", len(ids), retried, rc.peakTotal)
}

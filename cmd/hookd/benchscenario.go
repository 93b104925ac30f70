package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd/httpapi"
)

// Paths of the bench receiver that the scenarios give their endpoints.
const (
	slowPath    = "/s/" // --slow: answers after the slow delay
	healthyPath = "/h/" // --slow: answers at once, counted apart
)

// scenarioState is the receiver's bookkeeping for --fanout, --slow and
// --backlog.
type scenarioState struct {
	// fan holds the arrivals of each event by its "t" (--fanout); nil
	// when not tracked. Guarded by benchReceiver.mu.
	fan map[int64]*fanArrival

	down    atomic.Bool  // answer 503 (--backlog's endpoint is down)
	tracked atomic.Bool  // seen is set: arrivals are tracked one by one
	seenMu  sync.Mutex   // guards seen
	seen    []uint64     // bit n: the event with "n":n arrived (--backlog)
	unique  atomic.Int64 // events seen at least once
	dups    atomic.Int64 // arrivals of an event already seen
	firstUp atomic.Int64 // unix ns of the first arrival counted in seen

	slowDelay   time.Duration // how late slow paths answer
	release     chan struct{} // closed to answer every slow request at once
	releaseOnce sync.Once
	slowMu      sync.Mutex
	slowIn      map[string]int // requests in flight per slow path
	slowMax     int            // most requests in flight at one slow path
	slowArrived atomic.Int64
	healthy     atomic.Int64 // arrivals at healthy paths
	lastHealthy atomic.Int64 // unix ns of the latest
}

// fanArrival is how many deliveries of one event arrived, and when the
// latest did.
type fanArrival struct {
	n    int
	last time.Time
}

// arrive records an arrival of the event sent at t. benchReceiver.mu is held.
func (s *scenarioState) arrive(t, now time.Time) {
	if s.fan == nil {
		return
	}
	a := s.fan[t.UnixNano()]
	if a == nil {
		a = &fanArrival{}
		s.fan[t.UnixNano()] = a
	}
	a.n++
	a.last = now
}

// track makes count note which of events 0 to n-1 arrive (--backlog).
func (s *scenarioState) track(n int) {
	s.seenMu.Lock()
	s.seen = make([]uint64, (n+63)/64)
	s.seenMu.Unlock()
	s.tracked.Store(true)
}

// count records an arrival at path for --slow and --backlog.
func (s *scenarioState) count(path string, body []byte, now time.Time) {
	if strings.HasPrefix(path, healthyPath) {
		s.healthy.Add(1)
		s.lastHealthy.Store(now.UnixNano())
	}
	if !s.tracked.Load() { // the standard run takes no lock here
		return
	}
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	n, ok := intField(body, `"n":`)
	if !ok || n < 0 || n >= int64(len(s.seen))*64 {
		return
	}
	s.firstUp.CompareAndSwap(0, now.UnixNano())
	w, bit := n/64, uint64(1)<<(n%64)
	if s.seen[w]&bit != 0 {
		s.dups.Add(1)
		return
	}
	s.seen[w] |= bit
	s.unique.Add(1)
}

// serveSlow answers after the slow delay, or at once when released.
func (s *scenarioState) serveSlow(w http.ResponseWriter, r *http.Request) {
	s.slowArrived.Add(1)
	s.slowMu.Lock()
	if s.slowIn == nil {
		s.slowIn = make(map[string]int)
	}
	s.slowIn[r.URL.Path]++
	s.slowMax = max(s.slowMax, s.slowIn[r.URL.Path])
	s.slowMu.Unlock()
	t := time.NewTimer(s.slowDelay)
	select {
	case <-t.C:
	case <-s.release:
	case <-r.Context().Done():
	}
	t.Stop()
	s.slowMu.Lock()
	s.slowIn[r.URL.Path]--
	s.slowMu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// releaseSlow answers every slow request now and from now on.
func (s *scenarioState) releaseSlow() {
	s.releaseOnce.Do(func() { close(s.release) })
}

// createEndpoints creates n endpoints of the default tenant, in parallel,
// each built by in, and returns their ids in order.
func createEndpoints(ctx context.Context, base, key string, n int, in func(i int) httpapi.EndpointInput) ([]string, error) {
	client := httpapi.NewClient(base, key)
	ids := make([]string, n)
	errs := make(chan error, n)
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(n, 8) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				ep, err := client.CreateEndpoint(ctx, "default", in(i))
				if err != nil {
					errs <- fmt.Errorf("create endpoint: %w", err)
					return
				}
				ids[i] = ep.ID
			}
		}()
	}
	wg.Wait()
	close(errs)
	return ids, <-errs
}

// fanoutResult is what --fanout measured.
type fanoutResult struct {
	toLast []time.Duration // per event, publish start to its last arrival
	first  time.Duration   // the same for the first event
	warm   []time.Duration // toLast without the first event, which also dials the connections
}

// runFanout publishes one event a second for the duration to o.fanout
// endpoints at distinct paths of the one receiver, and measures the time
// from each publish to the last of its arrivals.
func runFanout(ctx context.Context, o benchOptions, ns *benchNodes, key string, rc *benchReceiver, loopback float64, stdout io.Writer) error {
	fmt.Fprintf(stdout, "creating %d endpoints…\n", o.fanout)
	_, err := createEndpoints(ctx, ns.bases[0], key, o.fanout, func(i int) httpapi.EndpointInput {
		return httpapi.EndpointInput{URL: fmt.Sprintf("%s/f/%d", rc.url, i)}
	})
	if err != nil {
		return err
	}
	if err := ns.ready(ctx, stdout); err != nil {
		return err
	}
	// The first event comes a second after the endpoints, as events do
	// after an endpoint is created: the routes have reloaded meanwhile.
	time.Sleep(time.Second)
	rc.mu.Lock()
	rc.fan = make(map[int64]*fanArrival)
	rc.mu.Unlock()
	fmt.Fprintf(stdout, "fan-out: one event a second for %v to %d endpoints\n", o.duration, o.fanout)
	pg := ns.pgBefore(ctx)
	m := startMeter()
	p := &publisher{client: http.DefaultClient, url: ns.bases[0] + "/v1/tenants/default/events", key: key, pad: o.payloadBytes}
	accepted := publishEverySecond(ctx, p, o.duration)
	deadline := time.Now().Add(time.Minute)
	for rc.received.Load() < accepted*int64(o.fanout) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	peak, cpu := m.end()
	fr := rc.fanoutResult(o.fanout)
	rc.mu.Lock()
	lat := slices.Clone(rc.lat)
	rc.mu.Unlock()
	f := &figures{}
	procFigures(f, peak, cpu, accepted)
	f.add("fanout_p50_ms", "%.1f", percentile(fr.toLast, 0.5))
	f.add("fanout_p99_ms", "%.1f", percentile(fr.toLast, 0.99))
	f.add("fanout_first_ms", "%.1f", float64(fr.first)/float64(time.Millisecond))
	f.add("fanout_warm_p99_ms", "%.1f", percentile(fr.warm, 0.99))
	f.add("fanout_events", "%d", len(fr.toLast))
	ns.pgAfter(ctx, pg, accepted, f)
	fmt.Fprintf(stdout, "published %d events (to the 202: p50=%.1f ms, max %.1f ms); %d deliveries arrived (%d expected); %d events complete\n",
		accepted, percentile(p.lat, 0.5), percentile(p.lat, 1), rc.received.Load(), accepted*int64(o.fanout), len(fr.toLast))
	// rate: deliveries a second within one event's fan-out, the median
	// event's; each is one HTTP hop, so ratio compares it with loopback.
	rate, ratio := 0.0, 0.0
	if p50 := percentile(fr.toLast, 0.5); p50 > 0 {
		rate = float64(o.fanout) / (p50 / 1000)
	}
	if loopback > 0 {
		ratio = rate / loopback
	}
	fmt.Fprintln(stdout, summaryLine(rate, percentile(lat, 0.5), percentile(lat, 0.99), loopback, ratio, f))
	return nil
}

// publishEverySecond publishes one event a second, the first at once, for
// d (at least one event), and returns how many were accepted.
func publishEverySecond(ctx context.Context, p *publisher, d time.Duration) int64 {
	var accepted int64
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	start := time.Now()
	for {
		t0 := time.Now()
		if p.publish() == http.StatusAccepted {
			accepted++
			p.lat = append(p.lat, time.Since(t0))
		}
		if time.Since(start)+time.Second > d {
			return accepted
		}
		select {
		case <-ctx.Done():
			return accepted
		case <-tick.C:
		}
	}
}

// fanoutResult reads the arrivals of every tracked event.
func (rc *benchReceiver) fanoutResult(n int) fanoutResult {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var r fanoutResult
	firstT, firstAt := int64(-1), -1
	for t, a := range rc.fan {
		if a.n < n {
			continue
		}
		d := a.last.Sub(time.Unix(0, t))
		r.toLast = append(r.toLast, d)
		if firstT < 0 || t < firstT {
			firstT, firstAt, r.first = t, len(r.toLast)-1, d
		}
	}
	if firstAt >= 0 {
		r.warm = slices.Delete(slices.Clone(r.toLast), firstAt, firstAt+1)
	}
	return r
}

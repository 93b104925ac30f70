package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// The --slow scenario: benchSlowEndpoints endpoints of which a fraction
// answers late, the others at once.
const (
	benchSlowEndpoints = 50
	benchSlowDelay     = 10 * time.Second
	benchSlowRate      = 100 // events/s when --rate is not given
	// benchSlowConcurrency is every endpoint's max_concurrency: ten slow
	// endpoints may then want more attempts in flight (640) than a node
	// has workers (256).
	benchSlowConcurrency = 64
)

// runSlow measures how well healthy endpoints keep their pace while others
// are slow: a baseline phase publishes events only the healthy endpoints
// take, then a second phase, as long, publishes events every endpoint
// takes. healthy_ratio is the healthy endpoints' delivered rate in the
// second phase over the first.
func runSlow(ctx context.Context, o benchOptions, ns *benchNodes, key string, rc *benchReceiver, loopback float64, stdout io.Writer) error {
	nSlow := int(o.slow * benchSlowEndpoints)
	nHealthy := benchSlowEndpoints - nSlow
	rc.slowDelay = o.slowDelay
	if rc.slowDelay <= 0 {
		rc.slowDelay = benchSlowDelay
	}
	rate := o.rate
	if rate == 0 {
		rate = benchSlowRate
	}
	fmt.Fprintf(stdout, "creating %d healthy and %d slow endpoints (answering after %v)…\n", nHealthy, nSlow, rc.slowDelay)
	_, err := createEndpoints(ctx, ns.bases[0], key, nHealthy, func(i int) httpapi.EndpointInput {
		return httpapi.EndpointInput{URL: fmt.Sprintf("%s%s%d", rc.url, healthyPath, i), MaxConcurrency: benchSlowConcurrency,
			EventTypes: []string{"bench.base", "bench.mixed"}}
	})
	if err != nil {
		return err
	}
	slowIDs, err := createEndpoints(ctx, ns.bases[0], key, nSlow, func(i int) httpapi.EndpointInput {
		return httpapi.EndpointInput{URL: fmt.Sprintf("%s%s%d", rc.url, slowPath, i), MaxConcurrency: benchSlowConcurrency,
			EventTypes: []string{"bench.mixed"}}
	})
	if err != nil {
		return err
	}
	if err := ns.ready(ctx, stdout); err != nil {
		return err
	}
	m := startMeter()
	fmt.Fprintf(stdout, "baseline: %d events/s for %v to the %d healthy endpoints\n", rate, o.duration, nHealthy)
	base := slowPhase(ctx, o, ns.bases[0], key, "bench.base", rate, nHealthy, rc)
	fmt.Fprintf(stdout, "with slow endpoints: %d events/s for %v to all %d endpoints\n", rate, o.duration, benchSlowEndpoints)
	mixed := slowPhase(ctx, o, ns.bases[0], key, "bench.mixed", rate, nHealthy, rc)
	peak, cpu := m.end()
	fmt.Fprintf(stdout, "healthy deliveries: baseline %.0f/s (%d events), with slow endpoints %.0f/s (%d events)\n",
		base.rate, base.accepted, mixed.rate, mixed.accepted)
	f := &figures{}
	procFigures(f, peak, cpu, base.accepted+mixed.accepted)
	ratio := 0.0
	if base.rate > 0 {
		ratio = mixed.rate / base.rate
	}
	f.add("healthy_ratio", "%.2f", ratio)
	err = slowFigures(ctx, ns.nodes[0].store, slowIDs, mixed.accepted, rc, f)
	rc.releaseSlow() // the attempts in flight end now, so the nodes stop at once
	if err != nil {
		return err
	}
	lr := 0.0
	if loopback > 0 {
		lr = mixed.rate / loopback // a publish feeds 40 or more deliveries: one hop each
	}
	fmt.Fprintln(stdout, summaryLine(mixed.rate, percentile(mixed.lat, 0.5), percentile(mixed.lat, 0.99), loopback, lr, f))
	return nil
}

// phaseResult is one phase of --slow: the healthy endpoints' delivered
// rate and latencies.
type phaseResult struct {
	accepted int64
	rate     float64
	lat      []time.Duration
}

// slowPhase publishes events of typ at rate for o.duration, then waits
// (at most a minute) for the healthy endpoints to receive theirs.
func slowPhase(ctx context.Context, o benchOptions, base, key, typ string, rate, nHealthy int, rc *benchReceiver) phaseResult {
	rc.mu.Lock()
	from := len(rc.lat)
	rc.mu.Unlock()
	h0 := rc.healthy.Load()
	start := time.Now()
	accepted := publishPaced(ctx, o, base+"/v1/tenants/default/events", key, typ, rate)
	want := accepted * int64(nHealthy)
	deadline := time.Now().Add(time.Minute)
	for rc.healthy.Load()-h0 < want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	r := phaseResult{accepted: accepted}
	if el := time.Unix(0, rc.lastHealthy.Load()).Sub(start); el > 0 {
		r.rate = float64(rc.healthy.Load()-h0) / el.Seconds()
	}
	rc.mu.Lock()
	r.lat = slices.Clone(rc.lat[from:])
	rc.mu.Unlock()
	return r
}

// publishPaced publishes events of typ at rate a second for o.duration
// with o.concurrency publishers, and returns how many were accepted.
func publishPaced(ctx context.Context, o benchOptions, url, key, typ string, rate int) int64 {
	res := &loadResult{}
	publishFor(ctx, o, rate, res, func(_ int, client *http.Client) *publisher {
		return &publisher{client: client, url: url, key: key, pad: o.payloadBytes, typ: typ}
	})
	return res.accepted
}

// slowFigures adds what became of the slow endpoints' deliveries: sent
// and answered by the receiver, succeeded and still waiting in the store
// (pending, or failed with a retry scheduled: a timed-out attempt), the
// most requests one slow endpoint had in flight, and lost: deliveries
// neither succeeded nor waiting, which must be 0. The engine still runs
// while they are counted, so the three states are counted separately for
// the report but lost comes from one count of all three per endpoint: a
// delivery that succeeds between two counts is neither missed nor counted
// twice.
func slowFigures(ctx context.Context, store hookd.Store, ids []string, events int64, rc *benchReceiver, f *figures) error {
	var succeeded, pending, failed, kept int64
	for _, id := range ids {
		for _, c := range []struct {
			statuses []string
			n        *int64
		}{
			{[]string{hookd.StatusSucceeded, hookd.StatusPending, hookd.StatusFailed}, &kept},
			{[]string{hookd.StatusSucceeded}, &succeeded},
			{[]string{hookd.StatusPending}, &pending},
			{[]string{hookd.StatusFailed}, &failed},
		} {
			n, err := store.CountDeliveries(ctx, hookd.DeliveryFilter{TenantID: hookd.DefaultTenant, EndpointID: id, Statuses: c.statuses})
			if err != nil {
				return fmt.Errorf("count deliveries: %w", err)
			}
			*c.n += n
		}
	}
	rc.slowMu.Lock()
	maxIn := rc.slowMax
	rc.slowMu.Unlock()
	expected := events * int64(len(ids))
	f.add("slow_expected", "%d", expected)
	f.add("slow_arrived", "%d", rc.slowArrived.Load())
	f.add("slow_succeeded", "%d", succeeded)
	f.add("slow_pending", "%d", pending)
	f.add("slow_failed", "%d", failed)
	f.add("slow_max_inflight", "%d", maxIn)
	f.add("lost", "%d", expected-kept)
	return nil
}

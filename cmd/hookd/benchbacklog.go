package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/httpapi"
)

// benchBacklogSchedule is the retry schedule of --backlog's endpoint: its
// steps stay below the lease, so a delivery that failed while the endpoint
// was down is retried by this node within 20 s of its coming back, and 50
// steps cover a down phase of about 16 minutes.
func benchBacklogSchedule() []hookd.Duration {
	s := []hookd.Duration{hookd.Duration(time.Second), hookd.Duration(2 * time.Second), hookd.Duration(5 * time.Second), hookd.Duration(10 * time.Second)}
	for len(s) < hookd.MaxRetrySchedule {
		s = append(s, hookd.Duration(20*time.Second))
	}
	return s
}

// runBacklog publishes o.backlog events for one endpoint whose receiver
// answers 503, then lets it answer and measures the drain: memory while
// the backlog accumulates and while it drains, the drain rate, and the
// events never delivered (lost). Events are published through the
// engine's Publish, the call the REST handler makes after decoding
// (validation, routing, group commit, durable before it returns), by
// o.concurrency goroutines: a million HTTP requests would measure the
// publishers more than the backlog.
func runBacklog(ctx context.Context, o benchOptions, ns *benchNodes, key string, rc *benchReceiver, loopback float64, stdout, stderr io.Writer) error {
	rc.down.Store(true)
	rc.track(o.backlog)
	_, err := createEndpoints(ctx, ns.bases[0], key, 1, func(int) httpapi.EndpointInput {
		return httpapi.EndpointInput{URL: rc.url + "/b/0", MaxConcurrency: 64, RetrySchedule: benchBacklogSchedule()}
	})
	if err != nil {
		return err
	}
	if err := ns.ready(ctx, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "accumulating %d events for an endpoint answering 503 (%d publishers through the engine)…\n", o.backlog, o.concurrency)
	pg := ns.pgBefore(ctx)
	m := startMeter()
	start := time.Now()
	accepted, failed := publishBacklog(ctx, ns.engines[0], o)
	accTime := time.Since(start)
	accRSS := m.peakMB()
	writeHeapProfile(o.memProfile, stderr)
	fmt.Fprintf(stdout, "accumulated %d events (%d failed) in %v: %.0f events/s; peak RSS %.0f MB\n",
		accepted, failed, accTime.Round(time.Millisecond), float64(accepted)/accTime.Seconds(), accRSS)
	m.resetPeak()
	up := time.Now()
	rc.down.Store(false)
	waitDrain(ctx, rc, accepted, up, stdout)
	drainRSS, cpu := m.end()
	f, drainRate := backlogFigures(rc, accepted, up, accRSS, drainRSS, cpu)
	ns.pgAfter(ctx, pg, accepted, f)
	rc.mu.Lock()
	lat := slices.Clone(rc.lat)
	rc.mu.Unlock()
	ratio := 0.0
	if loopback > 0 {
		ratio = drainRate / loopback // one HTTP hop a delivery
	}
	fmt.Fprintln(stdout, summaryLine(drainRate, percentile(lat, 0.5), percentile(lat, 0.99), loopback, ratio, f))
	return nil
}

// publishBacklog publishes o.backlog events numbered 0…n-1 in their data
// through the engine, retrying a publish the engine refused as saturated.
func publishBacklog(ctx context.Context, e *delivery.Engine, o benchOptions) (accepted, failed int64) {
	var next, ok, bad atomic.Int64
	pad := make([]byte, max(0, o.payloadBytes-48))
	for i := range pad {
		pad[i] = 'x'
	}
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := next.Add(1) - 1; n < int64(o.backlog) && ctx.Err() == nil; n = next.Add(1) - 1 {
				data := fmt.Appendf(nil, `{"t":%d,"n":%d,"pad":"%s"}`, time.Now().UnixNano(), n, pad)
				if publishOne(ctx, e, data) {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return ok.Load(), bad.Load()
}

// publishOne publishes one event, retrying while the engine is saturated.
func publishOne(ctx context.Context, e *delivery.Engine, data []byte) bool {
	for ctx.Err() == nil {
		_, err := e.Publish(ctx, &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "bench.event", Data: data})
		if err == nil {
			return true
		}
		if hookd.ErrorCode(err) != hookd.EUNAVAILABLE {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return false
}

// waitDrain waits until every accepted event arrived, printing progress
// every 10 s; it gives up after a minute without progress.
func waitDrain(ctx context.Context, rc *benchReceiver, accepted int64, up time.Time, stdout io.Writer) {
	last, lastAt := int64(-1), time.Now()
	report := time.Now().Add(10 * time.Second)
	for ctx.Err() == nil {
		n := rc.unique.Load()
		if n >= accepted {
			return
		}
		if n != last {
			last, lastAt = n, time.Now()
		} else if time.Since(lastAt) > time.Minute {
			return
		}
		if time.Now().After(report) {
			fmt.Fprintf(stdout, "draining: %d of %d delivered after %v\n", n, accepted, time.Since(up).Round(time.Second))
			report = report.Add(10 * time.Second)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// backlogFigures: accumulate_rss_mb and drain_rss_mb (the peak of each
// phase) and peak_rss_mb; drain_wait_ms, from the endpoint coming back to
// the first arrival (the retry schedule); drain_rate, events a second from
// that first arrival to the last; lost, accepted events never delivered;
// duplicates, events delivered more than once (at-least-once allows it).
func backlogFigures(rc *benchReceiver, accepted int64, up time.Time, accRSS, drainRSS float64, cpu time.Duration) (*figures, float64) {
	f := &figures{}
	delivered := rc.unique.Load()
	procFigures(f, max(accRSS, drainRSS), cpu, delivered)
	f.add("accumulate_rss_mb", "%.0f", accRSS)
	f.add("drain_rss_mb", "%.0f", drainRSS)
	f.add("peak_rss_mb", "%.0f", max(accRSS, drainRSS))
	first := time.Unix(0, rc.firstUp.Load())
	wait, rate := time.Duration(0), 0.0
	if rc.firstUp.Load() != 0 {
		wait = first.Sub(up)
		if d := time.Unix(0, rc.last.Load()).Sub(first); d > 0 {
			rate = float64(delivered) / d.Seconds()
		}
	}
	f.add("drain_wait_ms", "%.0f", float64(wait)/float64(time.Millisecond))
	f.add("drain_rate", "%.0f", rate)
	f.add("lost", "%d", accepted-delivered)
	f.add("duplicates", "%d", rc.dups.Load())
	return f, rate
}

package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hookd/hookd"
)

// countingStats is a StatsStore that counts its reads. Each read moves
// the test's clock on by readTime, when set.
type countingStats struct {
	reads    atomic.Int64
	stats    hookd.QueueStats
	err      error
	clock    *atomic.Int64
	readTime time.Duration
}

func (c *countingStats) QueueStats(context.Context) (hookd.QueueStats, error) {
	c.reads.Add(1)
	if c.clock != nil {
		c.clock.Add(int64(c.readTime))
	}
	return c.stats, c.err
}

// gathered returns the value of every sample of the registry, by metric
// name and label values joined with ",".
func gathered(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "," + l.GetValue()
			}
			out[key] = value(m)
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return 0
}

// TestQueueGauges: the gauges show the store's summary, read at most once
// per gaugeTTL however often they are scraped, and are left out while the
// store cannot be read.
func TestQueueGauges(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	st := &countingStats{stats: hookd.QueueStats{Pending: 3, Failed: 2, OldestPending: now.Add(-90 * time.Second), DisabledEndpoints: 1}}
	reg := prometheus.NewRegistry()
	reg.MustRegister(newQueueGauges(st, func() time.Time { return time.Unix(0, clock.Load()) }, slog.New(slog.DiscardHandler)))

	got := gathered(t, reg)
	want := map[string]float64{
		"hookd_queue_depth,pending": 3, "hookd_queue_depth,failed": 2,
		"hookd_queue_oldest_pending_age_seconds": 90, "hookd_disabled_endpoints": 1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for range 10 {
		gathered(t, reg)
	}
	if n := st.reads.Load(); n != 1 {
		t.Fatalf("11 scrapes within %v read the store %d times, want 1", gaugeTTL, n)
	}
	clock.Add(int64(gaugeTTL))
	st.err = errors.New("database is locked")
	if got := gathered(t, reg); len(got) != 0 || st.reads.Load() != 2 {
		t.Fatalf("after %v with a failing store: %v, %d reads", gaugeTTL, got, st.reads.Load())
	}
}

// TestQueueGaugesSlowRead: a read that took 2 s serves scrapes for 40 s
// (gaugeCostShare times as long), not gaugeTTL; once reads are fast again
// the interval is gaugeTTL again.
func TestQueueGaugesSlowRead(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	st := &countingStats{stats: hookd.QueueStats{Pending: 1_000_000}, clock: &clock, readTime: 2 * time.Second}
	reg := prometheus.NewRegistry()
	reg.MustRegister(newQueueGauges(st, func() time.Time { return time.Unix(0, clock.Load()) }, slog.New(slog.DiscardHandler)))

	if got := gathered(t, reg); got["hookd_queue_depth,pending"] != 1_000_000 {
		t.Fatalf("first scrape: %v", got)
	}
	st.readTime = 0
	clock.Add(int64(39 * time.Second)) // 39 s after the read ended
	gathered(t, reg)
	if n := st.reads.Load(); n != 1 {
		t.Fatalf("39 s after a read of 2 s the store was read %d times, want 1", n)
	}
	clock.Add(int64(time.Second))
	gathered(t, reg)
	clock.Add(int64(gaugeTTL))
	gathered(t, reg)
	if n := st.reads.Load(); n != 3 {
		t.Fatalf("40 s after the slow read, then %v after a fast one: %d reads, want 3", gaugeTTL, n)
	}
}

// TestEndpointMetricsTopN: the first endpoints fill the top; the others
// count under "other"; at the next ranking the busiest take the top and
// the series of an endpoint that left it are deleted.
func TestEndpointMetricsTopN(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newEndpointMetrics(reg, 2)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for range 3 {
		m.observe("ep_a", true, time.Millisecond, time.Second, now)
	}
	m.observe("ep_b", false, time.Millisecond, 0, now)
	for range 5 {
		m.observe("ep_c", true, time.Millisecond, time.Second, now)
	}
	got := gathered(t, reg)
	if got["hookd_endpoint_attempts_total,ep_a,succeeded"] != 3 || got["hookd_endpoint_attempts_total,ep_b,failed"] != 1 ||
		got["hookd_endpoint_attempts_total,other,succeeded"] != 5 {
		t.Fatalf("before ranking: %v", got)
	}
	now = now.Add(rerankEvery)
	m.observe("ep_c", true, time.Millisecond, time.Second, now)
	got = gathered(t, reg)
	if got["hookd_endpoint_attempts_total,ep_c,succeeded"] != 1 || got["hookd_endpoint_attempts_total,ep_a,succeeded"] != 3 {
		t.Fatalf("after ranking: %v", got)
	}
	for _, k := range []string{"hookd_endpoint_attempts_total,ep_b,failed", "hookd_endpoint_attempt_duration_seconds,ep_b"} {
		if _, ok := got[k]; ok {
			t.Fatalf("ep_b left the top but keeps its series %s: %v", k, got)
		}
	}
	m.observe("ep_b", false, time.Millisecond, 0, now)
	if got = gathered(t, reg); got["hookd_endpoint_attempts_total,other,failed"] != 1 {
		t.Fatalf("ep_b, out of the top, must count under other: %v", got)
	}
}

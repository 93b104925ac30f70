package delivery

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookd/hookd"
)

// gaugeTTL is how long the store's queue summary serves scrapes before it
// is read again: scrapes, however frequent and from however many
// scrapers, read the store at most once per gaugeTTL.
const gaugeTTL = 5 * time.Second

// gaugeCostShare bounds the store time the summary takes: a read that took
// d serves scrapes for at least gaugeCostShare × d, so reading the queue
// never takes more than 1/gaugeCostShare of one store connection's time,
// however deep the queue (a million-delivery backlog takes seconds to
// count on SQLite).
const gaugeCostShare = 20

// gaugeTimeout bounds one read of the summary.
const gaugeTimeout = 5 * time.Second

// queueGauges exports the store's queue summary (hookd.StatsStore) at
// scrape time, from a cache of gaugeTTL. The numbers are the store's, so
// on several nodes every node shows the same values: aggregate them with
// max, not sum.
type queueGauges struct {
	store   hookd.StatsStore
	nowFunc func() time.Time
	logger  *slog.Logger

	depth    *prometheus.Desc
	oldest   *prometheus.Desc
	disabled *prometheus.Desc

	mu    sync.Mutex
	at    time.Time     // when stats were read; zero: never
	ttl   time.Duration // how long they serve: gaugeTTL, or more after a slow read
	stats hookd.QueueStats
	err   error
}

func newQueueGauges(store hookd.StatsStore, nowFunc func() time.Time, logger *slog.Logger) *queueGauges {
	return &queueGauges{
		store: store, nowFunc: nowFunc, logger: logger,
		depth: prometheus.NewDesc("hookd_queue_depth",
			"Deliveries waiting in the store, all nodes together, by status: pending (not yet tried or in flight) and failed (waiting for a retry).",
			[]string{"status"}, nil),
		oldest: prometheus.NewDesc("hookd_queue_oldest_pending_age_seconds",
			"Age of the oldest pending delivery in the store; 0 when none is pending.", nil, nil),
		disabled: prometheus.NewDesc("hookd_disabled_endpoints",
			"Endpoints that are disabled, by the engine or through the API.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (g *queueGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.depth
	ch <- g.oldest
	ch <- g.disabled
}

// Collect implements prometheus.Collector. When the store cannot be read
// the gauges are left out of the scrape (absent, rather than stale).
func (g *queueGauges) Collect(ch chan<- prometheus.Metric) {
	st, now, err := g.read()
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(g.depth, prometheus.GaugeValue, float64(st.Pending), hookd.StatusPending)
	ch <- prometheus.MustNewConstMetric(g.depth, prometheus.GaugeValue, float64(st.Failed), hookd.StatusFailed)
	age := 0.0
	if !st.OldestPending.IsZero() {
		age = max(now.Sub(st.OldestPending).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(g.oldest, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(g.disabled, prometheus.GaugeValue, float64(st.DisabledEndpoints))
}

// read returns the cached summary, reading the store when it is older
// than its time to live: gaugeTTL, or gaugeCostShare times the last
// read's duration when that is longer. A failed read is cached too, so a
// store in trouble is not asked more often.
func (g *queueGauges) read() (hookd.QueueStats, time.Time, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.nowFunc()
	if age := now.Sub(g.at); !g.at.IsZero() && age < g.ttl && age >= 0 {
		return g.stats, now, g.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), gaugeTimeout)
	defer cancel()
	g.stats, g.err = g.store.QueueStats(ctx)
	g.at = g.nowFunc()
	g.ttl = max(gaugeTTL, gaugeCostShare*g.at.Sub(now))
	if g.err != nil {
		g.logger.Warn("read queue stats for metrics", hookd.LogKeyError, g.err.Error())
	}
	return g.stats, g.at, g.err
}

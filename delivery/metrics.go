package delivery

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the engine's Prometheus instruments.
type metrics struct {
	published   prometheus.Counter
	attempts    *prometheus.CounterVec
	latency     prometheus.Histogram
	claims      prometheus.Counter
	batchSize   prometheus.Histogram
	commitTime  prometheus.Histogram
	disabled    prometheus.Counter
	refused     prometheus.Counter
	attemptsOK  prometheus.Counter
	attemptsBad prometheus.Counter
	// filterErrors counts endpoint filters that failed to evaluate (the
	// event was then not delivered to that endpoint).
	filterErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, depth func() float64, held func() float64) *metrics {
	m := &metrics{
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookd_events_published_total", Help: "Events committed: published through the API, by inbound routes, and endpoint.disabled events."}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookd_attempts_total", Help: "Delivery attempts by outcome (succeeded, failed, error)."}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hookd_delivery_latency_seconds", Help: "Time from an event's creation to its successful delivery.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12)}),
		claims: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookd_lease_claims_total", Help: "Deliveries claimed from the store."}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hookd_writer_batch_size", Help: "Writes per group-commit transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14)}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hookd_writer_commit_seconds", Help: "Duration of group-commit transactions.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		disabled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookd_endpoints_disabled_total", Help: "Endpoints disabled by the engine."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookd_publish_refused_total", Help: "Publishes refused because the engine was saturated."}),
		filterErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookd_filter_errors_total", Help: "Endpoint filters that failed to evaluate; the event was not delivered there."}),
	}
	m.attemptsOK = m.attempts.WithLabelValues("succeeded")
	m.attemptsBad = m.attempts.WithLabelValues("failed")
	if reg == nil {
		return m
	}
	reg.MustRegister(m.published, m.attempts, m.latency, m.claims, m.batchSize, m.commitTime, m.disabled, m.refused, m.filterErrors,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookd_lane_depth", Help: "Deliveries waiting in endpoint lanes on this node."}, depth),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookd_deliveries_held", Help: "Deliveries leased and held in memory by this node."}, held),
	)
	return m
}

func (m *metrics) observeBatch(n int, d time.Duration) {
	m.batchSize.Observe(float64(n))
	m.commitTime.Observe(d.Seconds())
}

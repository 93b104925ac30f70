package delivery

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookd/hookd"
)

// otherEndpoints is the endpoint label of every endpoint outside the top
// ones by volume.
const otherEndpoints = "other"

// rerankEvery is how often the endpoints with their own label are chosen
// again from the volume of attempts.
const rerankEvery = time.Minute

// endpointMetrics are the per-endpoint attempt metrics (Config.PerEndpointTop).
// Their cardinality is bounded: the top endpoints by volume of attempts
// have their own endpoint label, every other endpoint counts under
// endpoint="other". The top set is chosen again every rerankEvery from a
// volume that halves at each choice, so it follows the traffic; an
// endpoint that leaves it has its series deleted, and counts under
// "other" from then on.
type endpointMetrics struct {
	top      int
	attempts *prometheus.CounterVec
	duration *prometheus.HistogramVec
	latency  *prometheus.HistogramVec

	mu      sync.Mutex
	volume  map[string]float64         // attempts by endpoint id, decaying
	labeled map[string]bool            // the endpoints with their own label
	series  map[string]*endpointSeries // by label value: made on first use, dropped with the label
	rankAt  time.Time                  // when the top set is chosen next
}

// endpointSeries are the series of one label value, so that an attempt
// costs no label lookup. An attempt holding the series of a label that a
// rerank has just dropped records into series no longer exported, and
// brings none back.
type endpointSeries struct {
	succeeded, failed prometheus.Counter
	duration, latency prometheus.Observer
}

// newEndpointMetrics registers the per-endpoint metrics for the top
// endpoints; nil (nothing recorded) when top is 0 or reg is nil.
func newEndpointMetrics(reg prometheus.Registerer, top int) *endpointMetrics {
	if top <= 0 || reg == nil {
		return nil
	}
	m := &endpointMetrics{
		top: top,
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookd_endpoint_attempts_total",
			Help: `Delivery attempts by endpoint (the top endpoints by volume; the others under endpoint="other") and outcome (succeeded, failed).`,
		}, []string{"endpoint", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookd_endpoint_attempt_duration_seconds",
			Help:    `Duration of delivery attempts by endpoint (the top endpoints by volume; the others under endpoint="other").`,
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"endpoint"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookd_endpoint_delivery_latency_seconds",
			Help:    `Time from an event's creation to its successful delivery, by endpoint (the top endpoints by volume; the others under endpoint="other").`,
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12),
		}, []string{"endpoint"}),
		volume:  make(map[string]float64),
		labeled: make(map[string]bool),
		series:  make(map[string]*endpointSeries),
	}
	reg.MustRegister(m.attempts, m.duration, m.latency)
	return m
}

// observe records one attempt to the endpoint at now; latency is the
// delivery's latency when the attempt succeeded.
func (m *endpointMetrics) observe(endpoint string, ok bool, duration, latency time.Duration, now time.Time) {
	m.mu.Lock()
	sr := m.seriesOf(m.label(endpoint, now))
	m.mu.Unlock()
	if ok {
		sr.succeeded.Inc()
		sr.latency.Observe(latency.Seconds())
	} else {
		sr.failed.Inc()
	}
	sr.duration.Observe(duration.Seconds())
}

// seriesOf returns the series of a label value, made on first use. m.mu
// is held.
func (m *endpointMetrics) seriesOf(label string) *endpointSeries {
	sr := m.series[label]
	if sr == nil {
		sr = &endpointSeries{
			succeeded: m.attempts.WithLabelValues(label, "succeeded"),
			failed:    m.attempts.WithLabelValues(label, "failed"),
			duration:  m.duration.WithLabelValues(label),
			latency:   m.latency.WithLabelValues(label),
		}
		m.series[label] = sr
	}
	return sr
}

// label counts an attempt to the endpoint and returns its label value.
// m.mu is held.
func (m *endpointMetrics) label(endpoint string, now time.Time) string {
	m.volume[endpoint]++
	switch {
	case m.rankAt.IsZero():
		m.rankAt = now.Add(rerankEvery)
	case !now.Before(m.rankAt):
		m.rerank()
		m.rankAt = now.Add(rerankEvery)
	}
	if m.labeled[endpoint] {
		return endpoint
	}
	if len(m.labeled) < m.top { // room left: the first endpoints seen
		m.labeled[endpoint] = true
		return endpoint
	}
	return otherEndpoints
}

// rerank chooses the top endpoints by volume, deletes the series of those
// that left the top, and halves the volumes.
func (m *endpointMetrics) rerank() {
	ids := make([]string, 0, len(m.volume))
	for id := range m.volume {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(m.volume[b], m.volume[a]), cmp.Compare(a, b))
	})
	top := make(map[string]bool, m.top)
	for _, id := range ids[:min(len(ids), m.top)] {
		top[id] = true
	}
	for id := range m.labeled {
		if !top[id] {
			l := prometheus.Labels{"endpoint": id}
			m.attempts.DeletePartialMatch(l)
			m.duration.DeletePartialMatch(l)
			m.latency.DeletePartialMatch(l)
			delete(m.series, id)
		}
	}
	m.labeled = top
	for id, v := range m.volume {
		if v < 1 {
			delete(m.volume, id)
		} else {
			m.volume[id] = v / 2
		}
	}
}

// observe logs an attempt's outcome and records it in the per-endpoint
// metrics, when they are on.
func (e *Engine) observe(t *task, a *hookd.Attempt, oc outcome, upd *hookd.DeliveryUpdate, now time.Time) {
	e.logAttempt(t, a, oc, upd)
	if e.perEndpoint != nil {
		e.perEndpoint.observe(t.dlv.EndpointID, oc == outcomeSucceeded, a.Latency, now.Sub(t.ev.CreatedAt), now)
	}
}

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
	nowFunc  func() time.Time
	attempts *prometheus.CounterVec
	duration *prometheus.HistogramVec
	latency  *prometheus.HistogramVec

	mu      sync.Mutex
	volume  map[string]float64 // attempts by endpoint id, decaying
	labeled map[string]bool    // the endpoints with their own label
	rankAt  time.Time          // when the top set is chosen next
}

// newEndpointMetrics registers the per-endpoint metrics for the top
// endpoints; nil (nothing recorded) when top is 0 or reg is nil.
func newEndpointMetrics(reg prometheus.Registerer, top int) *endpointMetrics {
	if top <= 0 || reg == nil {
		return nil
	}
	m := &endpointMetrics{
		top:     top,
		nowFunc: time.Now,
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
	}
	reg.MustRegister(m.attempts, m.duration, m.latency)
	return m
}

// observe records one attempt to the endpoint; latency is the delivery's
// latency when the attempt succeeded. It holds m.mu throughout, so that a
// rerank cannot delete the series of the label chosen here before it is
// observed (which would bring back a series nobody deletes).
func (m *endpointMetrics) observe(endpoint string, ok bool, duration, latency time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	label := m.label(endpoint)
	outcome := "failed"
	if ok {
		outcome = "succeeded"
		m.latency.WithLabelValues(label).Observe(latency.Seconds())
	}
	m.attempts.WithLabelValues(label, outcome).Inc()
	m.duration.WithLabelValues(label).Observe(duration.Seconds())
}

// label counts an attempt to the endpoint and returns its label value.
// m.mu is held.
func (m *endpointMetrics) label(endpoint string) string {
	m.volume[endpoint]++
	now := m.nowFunc()
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
		e.perEndpoint.observe(t.dlv.EndpointID, oc == outcomeSucceeded, a.Latency, now.Sub(t.ev.CreatedAt))
	}
}

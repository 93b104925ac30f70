package receive

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookd/hookd"
)

// Outcomes of an inbound request besides the status of a rejection.
const (
	OutcomeAccepted  = "accepted"
	OutcomeDuplicate = "duplicate"
	OutcomeHandshake = "handshake"
)

// metrics counts inbound requests by source and outcome.
type metrics struct {
	requests *prometheus.CounterVec
	budget   prometheus.GaugeFunc
}

func newMetrics(reg prometheus.Registerer, budget *Budget) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookd_inbound_requests_total",
			Help: `Inbound requests by source and outcome: accepted, duplicate, handshake, or the status of a rejection ("401", "503", …); requests to no source count under source="".`,
		}, []string{"source", "outcome"}),
		budget: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookd_inbound_decompress_bytes_in_use",
			Help: "Bytes of the decompression budget reserved by requests in flight.",
		}, func() float64 { return float64(budget.InUse()) }),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.budget)
	}
	return m
}

// accepted counts and logs (at debug) a request hookd took.
func (s *Server) countAccepted(req *hookd.Request, outcome string) {
	s.metrics.requests.WithLabelValues(req.SourceID, outcome).Inc()
	s.cfg.Logger.Debug("inbound request "+outcome, "source", req.SourceID, "request", req.ID,
		"status", req.Status, "remote_ip", req.RemoteIP)
}

// countRejected counts and logs (at info) a rejected request: source,
// status and reason, never a header value or the body.
func (s *Server) countRejected(sourceID string, req *hookd.Request, reason string) {
	s.metrics.requests.WithLabelValues(sourceID, strconv.Itoa(req.Status)).Inc()
	s.cfg.Logger.LogAttrs(context.Background(), slog.LevelInfo, "inbound request rejected",
		slog.String("source", sourceID), slog.String("request", req.ID), slog.Int("status", req.Status),
		slog.String("code", req.Code), slog.String("reason", reason), slog.String("remote_ip", req.RemoteIP))
}

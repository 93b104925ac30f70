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
	routed   *prometheus.CounterVec
	budget   prometheus.GaugeFunc
}

func newMetrics(reg prometheus.Registerer, budget *Budget) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookd_inbound_requests_total",
			Help: `Inbound requests by source and outcome: accepted, duplicate, handshake, or the status of a rejection ("401", "503", …); requests to no source count under source="".`,
		}, []string{"source", "outcome"}),
		routed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookd_inbound_routed_total",
			Help: "Events accepted inbound requests gave rise to, by source and destination kind: forward or publish.",
		}, []string{"source", "kind"}),
		budget: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookd_inbound_decompress_bytes_in_use",
			Help: "Bytes of the decompression budget reserved by requests in flight.",
		}, func() float64 { return float64(budget.InUse()) }),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.routed, m.budget)
	}
	return m
}

// acceptedMsg is the log message of each outcome of a request hookd took.
var acceptedMsg = map[string]string{
	OutcomeAccepted:  hookd.LogMsgInboundAccepted,
	OutcomeDuplicate: hookd.LogMsgInboundDuplicate,
	OutcomeHandshake: hookd.LogMsgInboundHandshake,
}

// countAccepted counts and logs (at debug) a request hookd took.
func (s *Server) countAccepted(req *hookd.Request, outcome string) {
	s.metrics.requests.WithLabelValues(req.SourceID, outcome).Inc()
	if !s.cfg.Logger.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	s.cfg.Logger.LogAttrs(context.Background(), slog.LevelDebug, acceptedMsg[outcome],
		slog.String(hookd.LogKeySource, req.SourceID), slog.String(hookd.LogKeyRequest, req.ID),
		slog.String(hookd.LogKeyOutcome, outcome), slog.Int(hookd.LogKeyStatus, req.Status),
		slog.String(hookd.LogKeyRemoteIP, req.RemoteIP))
}

// countRouted counts the events an accepted request gave rise to.
func (s *Server) countRouted(sourceID string, forwards, publishes int) {
	if forwards > 0 {
		s.metrics.routed.WithLabelValues(sourceID, "forward").Add(float64(forwards))
	}
	if publishes > 0 {
		s.metrics.routed.WithLabelValues(sourceID, "publish").Add(float64(publishes))
	}
}

// countRejected counts and logs (at info) a rejected request: source,
// status and reason, never a header value or the body.
func (s *Server) countRejected(sourceID string, req *hookd.Request, reason string) {
	s.metrics.requests.WithLabelValues(sourceID, strconv.Itoa(req.Status)).Inc()
	s.cfg.Logger.LogAttrs(context.Background(), slog.LevelInfo, hookd.LogMsgInboundRejected,
		slog.String(hookd.LogKeySource, sourceID), slog.String(hookd.LogKeyRequest, req.ID),
		slog.Int(hookd.LogKeyStatus, req.Status), slog.String(hookd.LogKeyCode, req.Code),
		slog.String(hookd.LogKeyReason, reason), slog.String(hookd.LogKeyRemoteIP, req.RemoteIP))
}

package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/hookd/hookd"
)

// The engine's structured log lines. Their messages and keys are the
// constants of the root package (hookd.LogMsg…, hookd.LogKey…). A line
// names the tenant, endpoint, event and delivery by id; it never carries
// the endpoint's URL (a path can be a credential), a secret, a header
// value or a body.
//
// Lines of the hot path (successes, publishes) are at debug and check
// Enabled first, so that they cost nothing when debug is off.

// Reasons a delivery ends dead.
const (
	deadExhausted = "retry schedule exhausted"
	deadGone      = "the endpoint answered 410 Gone"
	deadDisabled  = "the endpoint is disabled or gone"
)

func (e *Engine) logEnabled(level slog.Level) bool {
	return e.cfg.Logger.Enabled(context.Background(), level)
}

// deliveryAttrs names the delivery of t.
func deliveryAttrs(t *task) []slog.Attr {
	return []slog.Attr{
		slog.String(hookd.LogKeyTenant, t.dlv.TenantID),
		slog.String(hookd.LogKeyEndpoint, t.dlv.EndpointID),
		slog.String(hookd.LogKeyEvent, t.ev.ID),
		slog.String(hookd.LogKeyEventType, t.ev.Type),
		slog.String(hookd.LogKeyDelivery, t.dlv.ID),
	}
}

// outcomeAttrs describe an attempt: its number, and its status or error.
func outcomeAttrs(attrs []slog.Attr, a *hookd.Attempt) []slog.Attr {
	attrs = append(attrs, slog.Int(hookd.LogKeyAttempt, a.Number))
	if a.Error != "" {
		return append(attrs, slog.String(hookd.LogKeyError, a.Error))
	}
	return append(attrs, slog.Int(hookd.LogKeyStatus, a.ResponseStatus))
}

// logAttempt logs the outcome of one attempt: a failure at warn with the
// time of the next attempt (none when the delivery ends), a success at
// debug.
func (e *Engine) logAttempt(t *task, a *hookd.Attempt, oc outcome, upd *hookd.DeliveryUpdate) {
	if oc == outcomeSucceeded {
		if !e.logEnabled(slog.LevelDebug) {
			return
		}
		attrs := append(outcomeAttrs(deliveryAttrs(t), a), slog.Int64(hookd.LogKeyDurationMS, a.Latency.Milliseconds()))
		e.cfg.Logger.LogAttrs(context.Background(), slog.LevelDebug, hookd.LogMsgAttemptSucceeded, attrs...)
		return
	}
	if !e.logEnabled(slog.LevelWarn) {
		return
	}
	attrs := append(outcomeAttrs(deliveryAttrs(t), a), slog.Int64(hookd.LogKeyDurationMS, a.Latency.Milliseconds()))
	if upd.Status == hookd.StatusFailed {
		attrs = append(attrs, slog.String(hookd.LogKeyNextRetry, upd.NextAttemptAt.UTC().Format(time.RFC3339)))
	}
	e.cfg.Logger.LogAttrs(context.Background(), slog.LevelWarn, hookd.LogMsgAttemptFailed, attrs...)
	if upd.Status == hookd.StatusDead {
		reason := deadExhausted
		if oc == outcomeGone {
			reason = deadGone
		}
		e.logDead(t, a.Number, reason)
	}
}

// logDead logs a delivery that ends without success.
func (e *Engine) logDead(t *task, attempts int, reason string) {
	if !e.logEnabled(slog.LevelWarn) {
		return
	}
	attrs := append(deliveryAttrs(t), slog.Int(hookd.LogKeyAttempt, attempts), slog.String(hookd.LogKeyReason, reason))
	e.cfg.Logger.LogAttrs(context.Background(), slog.LevelWarn, hookd.LogMsgDeliveryDead, attrs...)
}

// logDisabled logs an endpoint the engine turned off.
func (e *Engine) logDisabled(ep *hookd.Endpoint, reason string) {
	e.cfg.Logger.LogAttrs(context.Background(), slog.LevelWarn, hookd.LogMsgEndpointDisabled,
		slog.String(hookd.LogKeyTenant, ep.TenantID), slog.String(hookd.LogKeyEndpoint, ep.ID),
		slog.String(hookd.LogKeyActor, hookd.LogActorEngine), slog.String(hookd.LogKeyReason, reason))
}

// logPublished logs, at debug, an event stored with its deliveries;
// source and request name the inbound request that published it, "" for
// a publish through the API.
func (e *Engine) logPublished(ev *hookd.Event, deliveries int, source, request string) {
	if !e.logEnabled(slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String(hookd.LogKeyTenant, ev.TenantID), slog.String(hookd.LogKeyEvent, ev.ID),
		slog.String(hookd.LogKeyEventType, ev.Type), slog.Int(hookd.LogKeyDeliveries, deliveries),
	}
	if source != "" {
		attrs = append(attrs, slog.String(hookd.LogKeySource, source), slog.String(hookd.LogKeyRequest, request))
	}
	e.cfg.Logger.LogAttrs(context.Background(), slog.LevelDebug, hookd.LogMsgEventPublished, attrs...)
}

package delivery

import (
	"time"

	"github.com/hookd/hookd"
)

// work runs one worker: it takes runnable tasks and sends them until the
// dispatcher closes.
func (e *Engine) work() {
	select {
	case <-e.joined:
	case <-e.stop:
		return
	}
	for t := e.disp.take(); t != nil; t = e.disp.take() {
		e.attempt(t)
	}
}

// attempt sends one task and settles its outcome.
func (e *Engine) attempt(t *task) {
	if e.holdingLost(t.dlv.ID) { // another node took the lease over
		e.disp.done(t, true)
		return
	}
	tg := e.router.target(t.dlv.EndpointID)
	if tg == nil {
		tg = e.freshTarget(t.dlv.EndpointID) // it may be newer than this node's routes
	}
	if tg == nil || !tg.ep.Enabled {
		e.bury(t)
		return
	}
	if tg.mustTransform(t) && !e.transformTask(t, tg) {
		return
	}
	res := e.send(t, tg)
	res.attempt.Logs, t.logs = t.logs, ""
	if e.attemptCtx.Err() != nil {
		// Shutting down past the deadline: the attempt was cut short by
		// hookd, not the receiver. Record nothing; Close releases the
		// lease and the delivery is sent again.
		e.disp.done(t, true)
		return
	}
	e.settle(t, tg, res)
}

// bury ends a delivery whose endpoint is gone or disabled.
func (e *Engine) bury(t *task) {
	now := e.cfg.NowFunc()
	id := t.dlv.ID
	e.writer.record(&resultOp{update: &hookd.DeliveryUpdate{
		ID: id, Owner: e.cfg.NodeID, Status: hookd.StatusDead,
		Attempts: t.dlv.Attempts, NextAttemptAt: now, LastAttemptAt: t.dlv.LastAttemptAt, Release: true,
	}, doneFunc: func() { e.unhold(id) }})
	e.disp.done(t, true)
	e.logDead(t, t.dlv.Attempts, deadDisabled)
}

// settle records an attempt and moves its delivery to its next state.
func (e *Engine) settle(t *task, tg *target, res attemptResult) {
	a := res.attempt
	now := e.cfg.NowFunc()
	d := t.dlv
	d.Attempts, d.LastAttemptAt = a.Number, a.StartedAt
	upd := &hookd.DeliveryUpdate{ID: d.ID, Owner: e.cfg.NodeID, Attempts: d.Attempts, LastAttemptAt: a.StartedAt, NextAttemptAt: now}
	oc := outcomeRetry
	if a.Error == "" {
		oc = classify(a.ResponseStatus)
	}
	var near bool
	var delay time.Duration
	switch oc {
	case outcomeSucceeded:
		upd.Status, upd.Release = hookd.StatusSucceeded, true
		e.metrics.attemptsOK.Inc()
		e.metrics.latency.Observe(now.Sub(t.ev.CreatedAt).Seconds())
	case outcomeGone:
		upd.Status, upd.Release = hookd.StatusDead, true
		e.metrics.attemptsBad.Inc()
	default:
		e.metrics.attemptsBad.Inc()
		delay, near = e.scheduleRetry(upd, tg, res, now)
	}
	d.Status, d.NextAttemptAt = upd.Status, upd.NextAttemptAt
	e.observe(t, a, oc, upd, now)
	if t.reshaped {
		upd.Shape, t.reshaped = d.Shape, false
	}
	r := &resultOp{attempt: a, update: upd}
	if !near {
		// The delivery stays held until its outcome is committed, so that
		// the claimer cannot take it again in between and send it twice.
		id := d.ID
		r.doneFunc = func() { e.unhold(id) }
	}
	e.writer.record(r)
	e.disp.done(t, oc == outcomeSucceeded)
	if near {
		e.disp.later(t, delay)
	}
	if !res.transformFailed { // a broken transform says nothing of the endpoint's health
		e.track(tg, oc, now)
	}
}

// scheduleRetry fills in the next state of a failed delivery, and reports
// whether this node keeps it in memory for a near retry, after the
// returned delay. Far retries release the lease: any node claims them when
// due.
func (e *Engine) scheduleRetry(upd *hookd.DeliveryUpdate, tg *target, res attemptResult, now time.Time) (time.Duration, bool) {
	delay, ok := e.policy.next(tg.schedule, upd.Attempts, res.retryAfter)
	if !ok {
		upd.Status, upd.Release = hookd.StatusDead, true
		return 0, false
	}
	upd.Status, upd.NextAttemptAt = hookd.StatusFailed, now.Add(delay)
	if delay >= e.cfg.Lease || e.heldCount() > e.cfg.MaxHeld {
		upd.Release = true
		return 0, false
	}
	upd.LeaseUntil = upd.NextAttemptAt.Add(e.cfg.Lease)
	e.heldMu.Lock()
	if h := e.held[upd.ID]; h != nil {
		h.until = upd.LeaseUntil
	}
	e.heldMu.Unlock()
	return delay, true
}

// track keeps an endpoint's health: the start of its current run of
// failures, persisted on change, and disabling after 410 Gone or after
// failing for DisableAfter. The saves run on the engine's health saver
// (health.go), in order.
func (e *Engine) track(tg *target, oc outcome, now time.Time) {
	switch oc {
	case outcomeSucceeded:
		if tg.failingSince.Swap(0) != 0 {
			e.health.save(tg, hookd.EndpointHealth{}, time.Time{})
		}
	case outcomeGone:
		e.disable(tg, "the endpoint answered 410 Gone", now)
	default:
		since := tg.failingSince.Load()
		if since == 0 && tg.failingSince.CompareAndSwap(0, now.UnixNano()) {
			e.health.save(tg, hookd.EndpointHealth{FailingSince: now}, time.Time{})
		} else if since != 0 && now.Sub(time.Unix(0, since)) >= e.cfg.DisableAfter {
			e.disable(tg, failingReason(since), now)
		}
	}
}

// disable turns the endpoint off once, and tells its tenant with an
// endpoint.disabled event stored with the disable.
func (e *Engine) disable(tg *target, reason string, now time.Time) {
	if !tg.disabling.CompareAndSwap(false, true) {
		return
	}
	var since time.Time
	if ns := tg.failingSince.Load(); ns != 0 {
		since = time.Unix(0, ns)
	}
	e.health.save(tg, hookd.EndpointHealth{FailingSince: since, Disable: true, DisabledReason: reason}, now)
}

// failingReason is why an endpoint failing since the given unix ns is
// disabled.
func failingReason(since int64) string {
	return "the endpoint failed without success since " + time.Unix(0, since).UTC().Format(time.RFC3339)
}

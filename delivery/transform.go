package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/transform"
)

// mustTransform reports whether t still has to go through tg's
// transform: it runs once per delivery, and its result is stored.
func (tg *target) mustTransform(t *task) bool {
	if tg.transform == nil && tg.transformErr == nil {
		return false
	}
	return t.dlv.Shape == nil || !t.dlv.Shape.Transformed
}

// transformTask runs tg's transform on t before its first attempt, and
// reports whether t goes on to be sent. When it does, t's Shape is the
// transform's, stored with the outcome of the attempt, so that every
// retry sends the same request. Otherwise the outcome is recorded here:
// a failure is an attempt without a request that follows the retry
// schedule (fixing the code heals the delivery); a cancel ends it.
func (e *Engine) transformTask(t *task, tg *target) bool {
	now := e.cfg.NowFunc()
	out, err := e.runTransform(e.attemptCtx, t.ev, t.dlv.Shape, tg)
	if e.attemptCtx.Err() != nil {
		e.disp.done(t, true) // shutting down: the delivery is sent again later
		return false
	}
	if err != nil {
		a := newAttempt(t, tg, now)
		a.Error, a.Logs = err.Error(), out.Logs
		e.settle(t, tg, attemptResult{attempt: a, transformFailed: true})
		return false
	}
	sh := &hookd.Shape{Body: out.Body, Method: out.Method, Headers: out.Headers, Transformed: true}
	if sh.Body == nil {
		sh.Body = []byte{}
	}
	if out.Cancel {
		e.cancelTask(t, tg, sh, out.Logs, now)
		return false
	}
	t.dlv.Shape, t.reshaped, t.logs = sh, true, out.Logs
	return true
}

// runTransform runs tg's transform on the request a delivery of ev would
// send with shape (nil: the event's payload).
func (e *Engine) runTransform(ctx context.Context, ev *hookd.Event, shape *hookd.Shape, tg *target) (*transform.Output, error) {
	if tg.transformErr != nil {
		return &transform.Output{}, fmt.Errorf("transform: %s", hookd.ErrorMessage(tg.transformErr))
	}
	var tenant *hookd.Tenant
	if ev.TenantID != "" {
		tenant, _ = e.router.tenant(ctx, ev.TenantID) // metadata is best effort: a deleted tenant has none
	}
	probe := &task{dlv: &hookd.Delivery{Shape: shape}, ev: ev}
	in := &transform.Input{Event: ev, Tenant: tenant, Endpoint: tg.ep, Body: bodyOf(probe), Method: methodOf(probe, tg)}
	return tg.transform.Run(ctx, in, e.cfg.MaxBody)
}

// cancelTask ends a delivery its transform cancelled: nothing is sent;
// an attempt without a request keeps the transform's logs.
func (e *Engine) cancelTask(t *task, tg *target, sh *hookd.Shape, logs string, now time.Time) {
	a := newAttempt(t, tg, now)
	a.Error, a.Logs = "transform: cancelled the delivery; nothing was sent", logs
	id := t.dlv.ID
	t.dlv.Status, t.dlv.Shape = hookd.StatusCancelled, sh
	e.writer.record(&resultOp{attempt: a, update: &hookd.DeliveryUpdate{
		ID: id, Owner: e.cfg.NodeID, Status: hookd.StatusCancelled, Attempts: t.dlv.Attempts,
		NextAttemptAt: now, LastAttemptAt: t.dlv.LastAttemptAt, Release: true, Shape: sh,
	}, doneFunc: func() { e.unhold(id) }})
	e.disp.done(t, true)
}

// TestTransform runs code (ep's own transform when empty) on a sample
// event for ep, rendered as a delivery to ep would be, without storing or
// sending anything. A bad program is EINVALID at /code; a failing one is
// a result with Error set.
func (e *Engine) TestTransform(ctx context.Context, ep *hookd.Endpoint, code string, sample *hookd.Publish) (*hookd.TransformResult, error) {
	if code == "" {
		code = ep.Transform
	}
	if code == "" {
		return nil, hookd.Invalid("nothing to test", hookd.FieldError{Pointer: "/code", Message: "is required: the endpoint has no transform"})
	}
	tr, err := transform.Compile(code)
	if err != nil {
		return nil, hookd.Invalid("invalid transform", hookd.FieldError{Pointer: "/code", Message: hookd.ErrorMessage(err)})
	}
	if !hookd.ValidEventTypeName(sample.Type) {
		return nil, hookd.Invalid("invalid sample", hookd.FieldError{Pointer: "/event/type", Message: "must be a dotted event type name such as invoice.paid"})
	}
	data, err := hookd.CompactData(sample.Data)
	if err != nil {
		return nil, hookd.Invalid("invalid sample", hookd.FieldError{Pointer: "/event/data", Message: "must be JSON"})
	}
	ev, pl, err := e.newEvent(ctx, ep.TenantID, sample.Type, data)
	if err != nil {
		return nil, err
	}
	tg := newTarget(ep, &e.cfg)
	tg.transform, tg.transformErr = tr, nil
	pl.render(data, []*target{tg})
	out, err := e.runTransform(ctx, ev, pl.shape(tg), tg)
	res := &hookd.TransformResult{Headers: out.Headers, Method: out.Method, Cancel: out.Cancel, Logs: out.Logs, Duration: out.Duration}
	if err != nil {
		res.Error = err.Error()
		return res, nil
	}
	if hookd.MethodHasBody(out.Method) {
		res.Payload = out.Body
	}
	return res, nil
}

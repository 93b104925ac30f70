package delivery

import (
	"context"
	"fmt"
	"strings"

	"github.com/hookd/hookd"
)

// ForwardEventType is the type of the events that carry inbound requests
// to forward destinations. They belong to no tenant.
const ForwardEventType = "inbound.forward"

// Receive implements hookd.Engine.
func (e *Engine) Receive(ctx context.Context, in *hookd.Inbound) error {
	e.gate.RLock()
	defer e.gate.RUnlock()
	if e.closed {
		return hookd.Errorf(hookd.EUNAVAILABLE, "hookd is shutting down")
	}
	w := &hookd.RequestWrite{Request: in.Request, Key: in.Key}
	var tasks []*task
	size := int64(len(in.Request.Body))
	for i, f := range in.Forwards {
		ew, ts, err := e.forwardWrite(f)
		if err != nil {
			return fmt.Errorf("forward %d: %w", i, err)
		}
		ew.Event.Trace = e.cfg.tracer.contextOf(ctx, f.Trace)
		w.Events, tasks = append(w.Events, ew), append(tasks, ts...)
		size += int64(len(ew.Event.Payload))
	}
	for _, p := range in.Publishes {
		ew, ts, err := e.publishWrite(ctx, p)
		if err != nil {
			return err
		}
		ew.Event.Trace = e.cfg.tracer.contextOf(ctx, p.Trace)
		w.Events, tasks = append(w.Events, ew), append(tasks, ts...)
		size += int64(len(ew.Event.Payload))
	}
	if err := e.commit(ctx, &writeOp{request: w, bytes: size}); err != nil {
		return err
	}
	if in.Duplicate = w.Duplicate; in.Duplicate {
		return nil
	}
	in.EventIDs = in.EventIDs[:0]
	for _, ew := range w.Events {
		in.EventIDs = append(in.EventIDs, ew.Event.ID)
	}
	e.hold(tasks)
	pubs := w.Events[len(in.Forwards):] // forwards first, then the published events
	e.metrics.published.Add(float64(len(pubs)))
	for _, ew := range pubs {
		e.logPublished(ew.Event, len(ew.Deliveries), in.Request.SourceID, in.Request.ID)
	}
	return nil
}

// forwardWrite makes the event and the delivery of one forward.
func (e *Engine) forwardWrite(f hookd.Forward) (*hookd.EventWrite, []*task, error) {
	tg := e.router.target(f.TargetID)
	if tg == nil {
		return nil, nil, hookd.Errorf(hookd.EINVALID, "no forward destination %q", f.TargetID)
	}
	now := e.cfg.NowFunc().UTC().Truncate(1e6)
	ev := &hookd.Event{
		ID:          hookd.NewID(hookd.PrefixEvent),
		Type:        ForwardEventType,
		Payload:     f.Body,
		Data:        f.Body,
		ContentType: f.ContentType,
		Headers:     f.Headers,
		Query:       f.Query,
		CreatedAt:   now,
	}
	ew, tasks := e.eventWrite(ev, []*target{tg}, nil)
	return ew, tasks, nil
}

// publishWrite makes an event published by an inbound request with its
// deliveries, as Publish would, without an idempotency key: the request's
// own de-duplication covers it.
func (e *Engine) publishWrite(ctx context.Context, p *hookd.Publish) (*hookd.EventWrite, []*task, error) {
	data, method, err := e.checkPublish(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	ev, pl, targets, err := e.prepare(ctx, p, data)
	if err != nil {
		return nil, nil, err
	}
	ev.Method = method
	ew, tasks := e.eventWrite(ev, targets, pl)
	return ew, tasks, nil
}

// withQuery adds a forwarded request's query string to a destination
// URL, after the URL's own parameters.
func withQuery(u, query string) string {
	if query == "" {
		return u
	}
	if strings.Contains(u, "?") {
		return u + "&" + query
	}
	return u + "?" + query
}

package delivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"

	"github.com/hookd/hookd"
)

// Publish implements hookd.Engine.
func (e *Engine) Publish(ctx context.Context, p *hookd.Publish) (res *hookd.PublishResult, err error) {
	ctx, end := e.cfg.tracer.publish(ctx, p)
	defer func() { end(res, err) }()
	e.gate.RLock()
	defer e.gate.RUnlock()
	if e.closed {
		return nil, hookd.Errorf(hookd.EUNAVAILABLE, "hookd is shutting down")
	}
	data, method, err := e.checkPublish(ctx, p)
	if err != nil {
		return nil, err
	}
	fp := fingerprint(p, data)
	if p.IdempotencyKey == "" {
		return e.publish(ctx, p, data, method, nil)
	}
	scope := eventScope(p.TenantID)
	release, err := e.reserveKeys(idemKey{scope, p.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	defer release()
	if res, err := e.earlier(ctx, scope, p, fp); res != nil || !hookd.IsNotFound(err) {
		return res, err
	}
	key := &hookd.IdempotencyKey{Scope: scope, Key: p.IdempotencyKey, Fingerprint: fp}
	res, err = e.publish(ctx, p, data, method, key)
	if errors.Is(err, errDuplicate) { // another node took the key meanwhile
		return e.earlier(ctx, scope, p, fp)
	}
	return res, err
}

// errDuplicate says a commit found the idempotency key taken.
var errDuplicate = errors.New("idempotency key taken")

// checkPublish validates the request and returns its compact data and the
// delivery method of its type. The type, the key and the data's syntax
// are reported together; the catalog is asked once they hold.
func (e *Engine) checkPublish(ctx context.Context, p *hookd.Publish) (data []byte, method string, err error) {
	if !hookd.ValidTenantID(p.TenantID) {
		return nil, "", hookd.TenantNotFound(p.TenantID)
	}
	var fe []hookd.FieldError
	switch {
	case p.Type == "":
		fe = append(fe, hookd.FieldError{Pointer: "/type", Message: "is required"})
	case !hookd.ValidEventTypeName(p.Type):
		fe = append(fe, hookd.FieldError{Pointer: "/type", Message: "must be a dotted event type name such as invoice.paid"})
	}
	if p.IdempotencyKey != "" && !hookd.ValidIdempotencyKey(p.IdempotencyKey) {
		fe = append(fe, hookd.FieldError{Pointer: "/id", Message: "must match " + hookd.IdempotencyKeyPattern})
	}
	if len(p.Data) == 0 {
		fe = append(fe, hookd.FieldError{Pointer: "/data", Message: "is required"})
	} else if data, err = hookd.CompactData(p.Data); err != nil {
		fe = append(fe, hookd.ErrorFields(err)...)
	}
	if len(fe) > 0 {
		return nil, "", hookd.Invalid("invalid event", fe...)
	}
	if e.cfg.CheckFunc != nil {
		if method, err = e.cfg.CheckFunc(ctx, p.Type, data); err != nil {
			return nil, "", err
		}
	}
	if _, err := e.router.tenant(ctx, p.TenantID); err != nil {
		return nil, "", err
	}
	return data, method, nil
}

// fingerprint identifies a publish request's content, to tell a repeat
// from a different request under the same key.
func fingerprint(p *hookd.Publish, data []byte) []byte {
	h := sha256.New()
	h.Write([]byte(p.Type))
	h.Write([]byte{0})
	h.Write([]byte(p.EndpointID))
	h.Write([]byte{0})
	h.Write(data)
	return h.Sum(nil)
}

// eventScope is the idempotency scope of a tenant's events.
func eventScope(tenant string) string { return "evt:" + tenant }

// idemKey is an idempotency key in its scope.
type idemKey struct{ scope, key string }

// reserveKeys marks keys as being committed on this node: all of them, or
// none when one is busy (ECONFLICT). The returned function frees them.
func (e *Engine) reserveKeys(keys ...idemKey) (func(), error) {
	ks := make([]string, len(keys))
	for i, k := range keys {
		ks[i] = k.scope + "\x00" + k.key
	}
	e.keysMu.Lock()
	defer e.keysMu.Unlock()
	for i, k := range ks {
		if _, busy := e.keys[k]; busy {
			return nil, hookd.Errorf(hookd.ECONFLICT, "a request with idempotency key %q is still being processed", keys[i].key)
		}
	}
	for _, k := range ks {
		e.keys[k] = struct{}{}
	}
	return func() {
		e.keysMu.Lock()
		for _, k := range ks {
			delete(e.keys, k)
		}
		e.keysMu.Unlock()
	}, nil
}

// earlier returns the result of the earlier publish that holds the key,
// EMISMATCH when its content differs, or ENOTFOUND when there is none.
func (e *Engine) earlier(ctx context.Context, scope string, p *hookd.Publish, fp []byte) (*hookd.PublishResult, error) {
	k, err := e.store.GetIdempotencyKey(ctx, scope, p.IdempotencyKey, e.cfg.NowFunc().Add(-e.cfg.IdempotencyTTL))
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(k.Fingerprint, fp) {
		return nil, &hookd.Error{Code: hookd.EMISMATCH,
			Message: "idempotency key " + p.IdempotencyKey + " was used with a different request"}
	}
	ev, err := e.store.GetEvent(ctx, p.TenantID, k.RefID)
	if err != nil {
		return nil, err
	}
	return &hookd.PublishResult{Event: ev, Duplicate: true}, nil
}

// publish stores the event with its deliveries and dispatches them.
func (e *Engine) publish(ctx context.Context, p *hookd.Publish, data []byte, method string, key *hookd.IdempotencyKey) (*hookd.PublishResult, error) {
	ev, pl, targets, err := e.prepare(ctx, p, data)
	if err != nil {
		return nil, err
	}
	ev.IdempotencyKey, ev.Method = p.IdempotencyKey, method
	ev.Trace = e.cfg.tracer.contextOf(ctx, p.Trace)
	if key != nil {
		key.RefID, key.CreatedAt = ev.ID, ev.CreatedAt
	}
	ew, tasks := e.eventWrite(ev, targets, pl)
	ew.Key = key
	if err := e.commit(ctx, &writeOp{event: ew, bytes: int64(len(ev.Payload))}); err != nil {
		if hookd.ErrorCode(err) == hookd.EUNAVAILABLE {
			e.metrics.refused.Inc()
		}
		return nil, err
	}
	if ew.Duplicate {
		return nil, errDuplicate
	}
	e.metrics.published.Inc()
	e.logPublished(ev, len(ew.Deliveries), "", "")
	e.hold(tasks)
	return &hookd.PublishResult{Event: ev, Deliveries: len(ew.Deliveries)}, nil
}

// targetsFor returns the endpoints an event goes to.
func (e *Engine) targetsFor(ctx context.Context, p *hookd.Publish) ([]*target, error) {
	r, err := e.router.routes(ctx)
	if err != nil {
		return nil, err
	}
	if p.EndpointID == "" {
		return r.match(p.TenantID, p.Type), nil
	}
	tg := r.byID[p.EndpointID]
	if tg == nil || tg.ep.TenantID != p.TenantID {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "endpoint %q not found", p.EndpointID)
	}
	return []*target{tg}, nil
}

// prepare makes the event of a publish with the targets it goes to (those
// whose filter admits it, unless the publish names its endpoint), and
// renders its payload for them (see payloads).
func (e *Engine) prepare(ctx context.Context, p *hookd.Publish, data []byte) (*hookd.Event, *payloads, []*target, error) {
	targets, err := e.targetsFor(ctx, p)
	if err != nil {
		return nil, nil, nil, err
	}
	ev, pl, err := e.newEvent(ctx, p.TenantID, p.Type, data)
	if err != nil {
		return nil, nil, nil, err
	}
	if p.EndpointID == "" {
		targets = e.filtered(targets, ev, pl.tenant)
	}
	pl.render(data, targets)
	return ev, pl, targets, nil
}

// newEvent makes an event, without its payload yet (payloads.render).
func (e *Engine) newEvent(ctx context.Context, tenant, typ string, data []byte) (*hookd.Event, *payloads, error) {
	tn, err := e.router.tenant(ctx, tenant)
	if err != nil {
		return nil, nil, err
	}
	now := e.cfg.NowFunc().UTC().Truncate(1e6)
	ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: tenant, Type: typ, CreatedAt: now, Data: data}
	return ev, &payloads{ev: ev, tenant: tn}, nil
}

// eventWrite makes one delivery per target. While this node has room they
// are leased to it and dispatched from memory after the commit; beyond
// that they are stored free, for the claimer to take when there is room,
// except those whose endpoint's lane takes them at once (dispatcher
// takesMore): slow or failing endpoints filling the room must not stall
// the healthy ones.
// pl renders what each delivery sends; nil: the event's payload as it is
// (a forwarded request).
func (e *Engine) eventWrite(ev *hookd.Event, targets []*target, pl *payloads) (*hookd.EventWrite, []*task) {
	return e.leasedWrite(ev, targets, pl, e.heldCount()+len(targets) <= e.cfg.MaxHeld, nil)
}

// leasedWrite is eventWrite, told whether this node has room to lease;
// without room it still leases the deliveries whose lane takes them at
// once, one per endpoint in a write: over records the endpoints a batch
// has already leased to beyond the room (nil for a single event).
func (e *Engine) leasedWrite(ev *hookd.Event, targets []*target, pl *payloads, lease bool, over map[string]bool) (*hookd.EventWrite, []*task) {
	ew := &hookd.EventWrite{Event: ev, Deliveries: make([]*hookd.Delivery, 0, len(targets))}
	until := ev.CreatedAt.Add(e.cfg.Lease)
	var tasks []*task
	for _, tg := range targets {
		d := &hookd.Delivery{
			ID:            hookd.NewID(hookd.PrefixDelivery),
			EventID:       ev.ID,
			EndpointID:    tg.ep.ID,
			TenantID:      ev.TenantID,
			Status:        hookd.StatusPending,
			NextAttemptAt: ev.CreatedAt,
			CreatedAt:     ev.CreatedAt,
			UpdatedAt:     ev.CreatedAt,
		}
		if pl != nil {
			d.Shape = pl.shape(tg)
		}
		if lease || e.leaseOver(tg.ep.ID, over) {
			d.LeaseOwner, d.LeaseUntil = e.cfg.NodeID, until
			tasks = append(tasks, &task{dlv: d, ev: ev, leaseUntil: until})
		}
		ew.Deliveries = append(ew.Deliveries, d)
	}
	return ew, tasks
}

// leaseOver reports whether a delivery to endpoint is leased although the
// node has no room: its lane sends it at once, and this write leased no
// other delivery to endpoint beyond the room (over, when not nil).
func (e *Engine) leaseOver(endpoint string, over map[string]bool) bool {
	if over[endpoint] || !e.disp.takesMore(endpoint) {
		return false
	}
	if over != nil {
		over[endpoint] = true
	}
	return true
}

// SendTest implements hookd.Engine.
func (e *Engine) SendTest(ctx context.Context, t *hookd.TestEvent) (*hookd.PublishResult, error) {
	ep, err := e.store.GetEndpoint(ctx, t.TenantID, t.EndpointID)
	if err != nil {
		return nil, err
	}
	if !ep.Enabled {
		return nil, hookd.Invalid("endpoint is disabled", hookd.FieldError{Pointer: "/enabled", Message: "enable the endpoint to test it"})
	}
	typ, data := t.Type, t.Data
	if typ == "" {
		typ = hookd.TestEventType
	}
	if len(data) == 0 || string(data) == "null" {
		if typ != hookd.TestEventType {
			return nil, hookd.Invalid("invalid test event", hookd.FieldError{Pointer: "/data", Message: "is required for a type other than " + hookd.TestEventType})
		}
		data, _ = json.Marshal(map[string]string{"endpoint_id": ep.ID, "message": "hookd test event"})
	}
	e.router.invalidate()
	return e.Publish(ctx, &hookd.Publish{TenantID: t.TenantID, Type: typ, Data: data, EndpointID: ep.ID})
}

// Requeue implements hookd.Engine.
func (e *Engine) Requeue(ctx context.Context, f hookd.RequeueFilter) (int, error) {
	now := e.cfg.NowFunc()
	claimed, err := e.store.Requeue(ctx, f, e.cfg.NodeID, now, now.Add(e.cfg.Lease))
	if err != nil {
		return 0, err
	}
	e.hold(e.tasksOf(claimed))
	return len(claimed), nil
}

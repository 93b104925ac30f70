package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/hookd/hookd"
)

// maxEventDetail bounds the deliveries, and the attempts, that GET of one
// event lists.
const maxEventDetail = 1000

func (s *Server) eventRoutes() {
	const base = "/v1/tenants/{tenant}/events"
	s.handle("POST "+base, s.publish)
	s.handle(batchRoute, s.idempotent(s.publishBatch))
	s.handle("GET "+base, s.listEvents)
	s.handle("GET "+base+"/{id}", s.getEvent)
	s.handle("POST "+base+"/{id}/retry", s.idempotent(s.retryEvent))
}

func eventOut(e *hookd.Event) Event {
	return Event{ID: e.ID, Tenant: e.TenantID, Type: e.Type, Data: e.Data, CreatedAt: e.CreatedAt}
}

func deliveryOut(d *hookd.Delivery) Delivery {
	out := Delivery{ID: d.ID, EventID: d.EventID, EndpointID: d.EndpointID, Status: DeliveryStatus(d.Status),
		AttemptCount: d.Attempts, Attempts: []Attempt{}, LastAttemptAt: optTime(d.LastAttemptAt), CreatedAt: d.CreatedAt}
	if d.Status == hookd.StatusPending || d.Status == hookd.StatusFailed {
		out.NextAttemptAt = optTime(d.NextAttemptAt)
	}
	if sh := d.Shape; sh != nil {
		req := &DeliveryRequest{Method: sh.Method, Headers: sh.Headers, Transformed: sh.Transformed}
		switch {
		case sh.Body == nil:
		case json.Valid(sh.Body):
			req.Body = sh.Body
		default: // not JSON (an empty body): shown as a string
			req.Body, _ = json.Marshal(string(sh.Body))
		}
		if req.Headers == nil {
			req.Headers = map[string]string{}
		}
		out.Request = req
	}
	return out
}

// publish stores an event and answers 202 once it is durable. The body's
// "id" or the Idempotency-Key header is the idempotency key (both, when
// different, are 400); a repeat answers the first event again.
func (s *Server) publish(w http.ResponseWriter, r *http.Request) error {
	var in PublishInput
	b, err := readBody(r)
	if err != nil {
		return err
	}
	if b == nil {
		return errorf(hookd.EMALFORMED, "a JSON request body is required")
	}
	if err := decodePublish(b, &in); err != nil {
		return err
	}
	key, err := publishKey(in.ID, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	var fe []hookd.FieldError
	if in.Type == "" {
		fe = append(fe, hookd.FieldError{Pointer: "/type", Message: "is required"})
	}
	if nullToNil(in.Data) == nil {
		fe = append(fe, hookd.FieldError{Pointer: "/data", Message: "is required"})
	}
	if len(fe) > 0 {
		return hookd.Invalid("invalid event", fe...)
	}
	res, err := s.engine.Publish(r.Context(), &hookd.Publish{
		TenantID: r.PathValue("tenant"), Type: in.Type, Data: in.Data, IdempotencyKey: key,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, eventOut(res.Event))
}

// publishKey returns the idempotency key of a publish from the body's id
// and the header.
func publishKey(bodyID, header string) (string, error) {
	switch {
	case bodyID != "" && header != "" && bodyID != header:
		return "", errorf(hookd.EMALFORMED, "the body's id and the Idempotency-Key header differ: send one, or the same in both")
	case bodyID != "":
		if !hookd.ValidIdempotencyKey(bodyID) {
			return "", invalid("/id", "must match "+hookd.IdempotencyKeyPattern)
		}
		return bodyID, nil
	case header != "" && !hookd.ValidIdempotencyKey(header):
		return "", invalid(idempotencyKeyPointer, "must match "+hookd.IdempotencyKeyPattern)
	}
	return header, nil
}

// listEvents lists a tenant's events, newest first, filtered by
// ?type= (repeatable), ?after= and ?before= (RFC 3339).
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	tenant := r.PathValue("tenant")
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := hookd.EventFilter{TenantID: tenant, Types: q["type"], Page: p}
	for _, t := range f.Types {
		if !hookd.ValidEventTypeName(t) {
			return invalid("/query/type", "must be an event type name such as invoice.paid")
		}
	}
	if f.After, err = timeParam(q, "after"); err != nil {
		return err
	}
	if f.Before, err = timeParam(q, "before"); err != nil {
		return err
	}
	if _, err := s.store.GetTenant(r.Context(), tenant); err != nil {
		return err
	}
	es, next, err := s.store.ListEvents(r.Context(), f)
	if err != nil {
		return listError(err)
	}
	return writeJSON(w, http.StatusOK, mapList(es, next, eventOut))
}

// getEvent answers the event with its deliveries and their attempts.
func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) error {
	ctx, tenant, id := r.Context(), r.PathValue("tenant"), r.PathValue("id")
	ev, err := s.store.GetEvent(ctx, tenant, id)
	if err != nil {
		return err
	}
	dls, err := collect(ctx, func(p hookd.Page) ([]*hookd.Delivery, string, error) {
		return s.store.ListDeliveries(ctx, hookd.DeliveryFilter{TenantID: tenant, EventID: id, Page: p})
	})
	if err != nil {
		return err
	}
	atts, err := collect(ctx, func(p hookd.Page) ([]*hookd.Attempt, string, error) {
		return s.store.ListAttempts(ctx, hookd.AttemptFilter{TenantID: tenant, EventID: id, Page: p})
	})
	if err != nil {
		return err
	}
	out := EventDetail{Event: eventOut(ev), Payload: string(ev.Payload), ContentType: ev.ContentType,
		Deliveries: make([]Delivery, 0, len(dls))}
	if out.ContentType == "" {
		out.ContentType = "application/json"
	}
	byDelivery := map[string][]Attempt{}
	for _, a := range atts {
		byDelivery[a.DeliveryID] = append(byDelivery[a.DeliveryID], attemptOut(a))
	}
	for _, d := range dls {
		do := deliveryOut(d)
		if d.Shape != nil && d.Shape.DataOnly && d.Shape.Body == nil && len(ev.Data) > 0 {
			do.Request.Body = ev.Data // a raw endpoint's: the data alone
		}
		if as := byDelivery[d.ID]; as != nil {
			do.Attempts = as
		}
		out.Deliveries = append(out.Deliveries, do)
	}
	return writeJSON(w, http.StatusOK, out)
}

// collect reads a listing page by page, up to maxEventDetail items.
func collect[T any](ctx context.Context, list func(hookd.Page) ([]T, string, error)) ([]T, error) {
	var out []T
	p := hookd.Page{Limit: hookd.MaxPageLimit}
	for len(out) < maxEventDetail {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		items, next, err := list(p)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" {
			break
		}
		p.Cursor = next
	}
	return out[:min(len(out), maxEventDetail)], nil
}

// retryEvent re-queues the event's failed and dead deliveries: with a
// body, those to one endpoint, and succeeded ones too when asked. A retry
// of one endpoint's delivery that takes nothing says why (409).
func (s *Server) retryEvent(w http.ResponseWriter, r *http.Request) error {
	tenant, id := r.PathValue("tenant"), r.PathValue("id")
	var in RetryEventInput
	if err := decodeBody(r, &in, false); err != nil {
		return err
	}
	if _, err := s.store.GetEvent(r.Context(), tenant, id); err != nil {
		return err
	}
	n, err := s.engine.Requeue(r.Context(), hookd.RequeueFilter{TenantID: tenant, EventID: id,
		EndpointID: in.EndpointID, Succeeded: in.IncludeSucceeded})
	if err != nil {
		return err
	}
	if n == 0 && in.EndpointID != "" {
		return s.whyNotRetried(r.Context(), tenant, id, &in)
	}
	return writeJSON(w, http.StatusAccepted, Queued{Queued: n})
}

// whyNotRetried explains why the event's delivery to an endpoint was not
// re-queued.
func (s *Server) whyNotRetried(ctx context.Context, tenant, event string, in *RetryEventInput) error {
	ds, _, err := s.store.ListDeliveries(ctx, hookd.DeliveryFilter{TenantID: tenant, EventID: event,
		EndpointID: in.EndpointID, Page: hookd.Page{Limit: 1}})
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		return errorf(hookd.ENOTFOUND, "event %s has no delivery to endpoint %s", event, in.EndpointID)
	}
	switch d := ds[0]; d.Status {
	case hookd.StatusPending:
		return errorf(hookd.ECONFLICT, "delivery %s is still being delivered: nothing to retry", d.ID)
	case hookd.StatusSucceeded:
		if !in.IncludeSucceeded {
			return errorf(hookd.ECONFLICT, "delivery %s succeeded: set include_succeeded to send it again", d.ID)
		}
	case hookd.StatusCancelled:
		return errorf(hookd.ECONFLICT, "delivery %s was cancelled by the endpoint's transform, which refused to send it: "+
			"publish the event again to run the transform anew", d.ID)
	}
	return errorf(hookd.ECONFLICT, "delivery %s is held by a node that is sending it: retry later", ds[0].ID)
}

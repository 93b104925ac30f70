package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hookd/hookd"
)

const (
	eventCols = `id, tenant_id, type, payload, data_start, data_len, data, idempotency_key, method, content_type,
	headers, created_at, query, trace_parent, trace_state`
	deliveryCols = `id, event_id, endpoint_id, tenant_id, status, attempts, next_attempt_at, last_attempt_at,
	lease_owner, lease_until, created_at, updated_at, body, shape`
	attemptCols = `id, delivery_id, event_id, endpoint_id, tenant_id, number, started_at, latency, url,
	request_headers, response_status, response_body, error, logs`
	requestCols = `id, source_id, received_at, method, path, query, headers, body, remote_ip, status,
	accepted, code, reason, verified, dedupe_key, duplicate_of, auth_user`
	keyCols = `scope, key, ref_id, fingerprint, created_at`
)

func scanEvent(r scanner) (*hookd.Event, error) {
	var (
		e        hookd.Event
		start, n int32
		apart    []byte
		headers  []byte
	)
	err := r.Scan(&e.ID, &e.TenantID, &e.Type, &e.Payload, &start, &n, &apart, &e.IdempotencyKey,
		&e.Method, &e.ContentType, &headers, &e.CreatedAt, &e.Query, &e.Trace.Parent, &e.Trace.State)
	if err != nil {
		return nil, err
	}
	if err := decodeJSON(headers, &e.Headers); err != nil {
		return nil, fmt.Errorf("event %s: headers: %w", e.ID, err)
	}
	e.CreatedAt = e.CreatedAt.UTC()
	switch {
	case apart != nil:
		e.Data = apart
	case n > 0 && start >= 0 && int(start+n) <= len(e.Payload):
		// A full slice expression, so that appending to Data cannot
		// overwrite the payload.
		e.Data = e.Payload[start : start+n : start+n]
	}
	if e.Payload == nil {
		e.Payload = []byte{}
	}
	return &e, nil
}

func scanDelivery(r scanner) (*hookd.Delivery, error) {
	var (
		d                 hookd.Delivery
		owner             *string
		next, last, until pgtype.Timestamptz
		body, shape       []byte
	)
	err := r.Scan(&d.ID, &d.EventID, &d.EndpointID, &d.TenantID, &d.Status, &d.Attempts, &next, &last,
		&owner, &until, &d.CreatedAt, &d.UpdatedAt, &body, &shape)
	if err != nil {
		return nil, err
	}
	if d.Shape, err = hookd.ParseShape(body, shape); err != nil {
		return nil, fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	if owner != nil {
		d.LeaseOwner = *owner
		d.LeaseUntil = fromTS(until)
	}
	d.NextAttemptAt, d.LastAttemptAt = fromTS(next), fromTS(last)
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, nil
}

func scanAttempt(r scanner) (*hookd.Attempt, error) {
	var (
		a       hookd.Attempt
		started pgtype.Timestamptz
		latency int64
		headers []byte
	)
	err := r.Scan(&a.ID, &a.DeliveryID, &a.EventID, &a.EndpointID, &a.TenantID, &a.Number, &started, &latency,
		&a.URL, &headers, &a.ResponseStatus, &a.ResponseBody, &a.Error, &a.Logs)
	if err != nil {
		return nil, err
	}
	a.StartedAt, a.Latency = fromTS(started), time.Duration(latency)
	if err := decodeJSON(headers, &a.RequestHeaders); err != nil {
		return nil, fmt.Errorf("attempt %s: headers: %w", a.ID, err)
	}
	return &a, nil
}

// GetEvent returns the tenant's event, or ENOTFOUND.
func (s *Store) GetEvent(ctx context.Context, tenantID, id string) (*hookd.Event, error) {
	e, err := scanEvent(s.pool.QueryRow(ctx,
		`SELECT `+eventCols+` FROM events WHERE id = $1 AND tenant_id = $2`, id, tenantID))
	if err != nil {
		return nil, wrap(notFound(err, "event %q not found", id), "get event")
	}
	return e, nil
}

// ListEvents lists the events f selects, newest first. An empty TenantID
// does not filter.
func (s *Store) ListEvents(ctx context.Context, f hookd.EventFilter) ([]*hookd.Event, string, error) {
	var w where
	if f.TenantID != "" {
		w.add("tenant_id = ?", f.TenantID)
	}
	if len(f.Types) > 0 {
		w.add("type = ANY(?)", f.Types)
	}
	if !f.After.IsZero() {
		w.add("created_at >= ?", ts(f.After))
	}
	if !f.Before.IsZero() {
		w.add("created_at < ?", ts(f.Before))
	}
	if err := w.page("id", f.Page); err != nil {
		return nil, "", err
	}
	size := f.Size()
	es, err := list(ctx, s.pool, scanEvent,
		`SELECT `+eventCols+` FROM events`+w.String()+` ORDER BY id DESC LIMIT `+w.next(), append(w.args, size+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	es, next := hookd.NextPage(es, size, func(e *hookd.Event) string { return e.ID })
	return es, next, nil
}

// GetDelivery returns the delivery, or ENOTFOUND.
func (s *Store) GetDelivery(ctx context.Context, id string) (*hookd.Delivery, error) {
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE id = $1`, id))
	if err != nil {
		return nil, wrap(notFound(err, "delivery %q not found", id), "get delivery")
	}
	return d, nil
}

// ListDeliveries lists the deliveries f selects, newest first.
func (s *Store) ListDeliveries(ctx context.Context, f hookd.DeliveryFilter) ([]*hookd.Delivery, string, error) {
	w := deliveryWhere(f)
	if err := w.page("id", f.Page); err != nil {
		return nil, "", err
	}
	size := f.Size()
	ds, err := list(ctx, s.pool, scanDelivery,
		`SELECT `+deliveryCols+` FROM deliveries`+w.String()+` ORDER BY id DESC LIMIT `+w.next(), append(w.args, size+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	ds, next := hookd.NextPage(ds, size, func(d *hookd.Delivery) string { return d.ID })
	return ds, next, nil
}

// CountDeliveries counts the deliveries f selects.
func (s *Store) CountDeliveries(ctx context.Context, f hookd.DeliveryFilter) (int64, error) {
	w := deliveryWhere(f)
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries`+w.String(), w.args...).Scan(&n)
	return n, wrap(err, "count deliveries")
}

// deliveryWhere is the condition of a delivery listing, without its page.
func deliveryWhere(f hookd.DeliveryFilter) *where {
	var w where
	w.eq([]string{"event_id", "endpoint_id", "tenant_id", "status"},
		[]string{f.EventID, f.EndpointID, f.TenantID, f.Status})
	w.narrow(f.Statuses, f.EventTypes, f.Since, f.Until)
	return &w
}

// narrow adds the conditions deliveries listings and requeues share: any of
// the states, events of any of the types, created in [since, until).
func (w *where) narrow(states, types []string, since, until time.Time) {
	if len(states) > 0 {
		w.add("status = ANY(?)", states)
	}
	if len(types) > 0 {
		w.add("EXISTS (SELECT 1 FROM events e WHERE e.id = deliveries.event_id AND e.type = ANY(?))", types)
	}
	if !since.IsZero() {
		w.add("created_at >= ?", ts(since))
	}
	if !until.IsZero() {
		w.add("created_at < ?", ts(until))
	}
}

// ListAttempts lists the attempts f selects, newest first.
func (s *Store) ListAttempts(ctx context.Context, f hookd.AttemptFilter) ([]*hookd.Attempt, string, error) {
	var w where
	if f.DeliveryID == "" && f.EventID != "" {
		w.add("delivery_id IN (SELECT id FROM deliveries WHERE event_id = ?)", f.EventID)
	}
	w.eq([]string{"delivery_id", "event_id", "endpoint_id", "tenant_id"},
		[]string{f.DeliveryID, f.EventID, f.EndpointID, f.TenantID})
	if err := w.page("id", f.Page); err != nil {
		return nil, "", err
	}
	size := f.Size()
	as, err := list(ctx, s.pool, scanAttempt,
		`SELECT `+attemptCols+` FROM attempts`+w.String()+` ORDER BY id DESC LIMIT `+w.next(), append(w.args, size+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list attempts: %w", err)
	}
	as, next := hookd.NextPage(as, size, func(a *hookd.Attempt) string { return a.ID })
	return as, next, nil
}

// GetIdempotencyKey returns the key created after notBefore, or ENOTFOUND.
func (s *Store) GetIdempotencyKey(ctx context.Context, scope, key string, notBefore time.Time) (*hookd.IdempotencyKey, error) {
	var k hookd.IdempotencyKey
	err := s.pool.QueryRow(ctx, `SELECT `+keyCols+` FROM idempotency_keys
		WHERE scope = $1 AND key = $2 AND created_at > $3`, scope, key, lowerBound(notBefore)).
		Scan(&k.Scope, &k.Key, &k.RefID, &k.Fingerprint, &k.CreatedAt)
	if err != nil {
		return nil, wrap(notFound(err, "idempotency key %q not found", key), "get idempotency key")
	}
	k.CreatedAt = k.CreatedAt.UTC()
	return &k, nil
}

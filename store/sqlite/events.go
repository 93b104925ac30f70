package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/hookd/hookd"
)

func scanEvent(r scanner) (*hookd.Event, error) {
	var (
		e        hookd.Event
		start, n int
		apart    []byte
		headers  []byte
		created  int64
	)
	err := r.Scan(&e.ID, &e.TenantID, &e.Type, &e.Payload, &start, &n, &apart, &e.IdempotencyKey,
		&e.Method, &e.ContentType, &headers, &created, &e.Query, &e.Trace.Parent, &e.Trace.State)
	if err != nil {
		return nil, err
	}
	if err := decodeJSON(headers, &e.Headers); err != nil {
		return nil, fmt.Errorf("event %s: headers: %w", e.ID, err)
	}
	e.CreatedAt = fromMicros(created)
	switch {
	case apart != nil:
		e.Data = apart
	case n > 0 && start >= 0 && start+n <= len(e.Payload):
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
		d                                   hookd.Delivery
		owner                               *string
		next, last, until, created, updated int64
		body, shape                         []byte
	)
	err := r.Scan(&d.ID, &d.EventID, &d.EndpointID, &d.TenantID, &d.Status, &d.Attempts, &next, &last,
		&owner, &until, &created, &updated, &body, &shape)
	if err != nil {
		return nil, err
	}
	if d.Shape, err = hookd.ParseShape(body, shape); err != nil {
		return nil, fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	if owner != nil {
		d.LeaseOwner = *owner
		d.LeaseUntil = fromMicros(until)
	}
	d.NextAttemptAt, d.LastAttemptAt = fromMicros(next), fromMicros(last)
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &d, nil
}

func scanAttempt(r scanner) (*hookd.Attempt, error) {
	var (
		a                hookd.Attempt
		started, latency int64
		headers          []byte
	)
	err := r.Scan(&a.ID, &a.DeliveryID, &a.EventID, &a.EndpointID, &a.TenantID, &a.Number, &started, &latency,
		&a.URL, &headers, &a.ResponseStatus, &a.ResponseBody, &a.Error, &a.Logs)
	if err != nil {
		return nil, err
	}
	a.StartedAt, a.Latency = fromMicros(started), time.Duration(latency)
	if err := decodeJSON(headers, &a.RequestHeaders); err != nil {
		return nil, fmt.Errorf("attempt %s: headers: %w", a.ID, err)
	}
	return &a, nil
}

// GetEvent returns the tenant's event, or ENOTFOUND.
func (s *Store) GetEvent(ctx context.Context, tenantID, id string) (*hookd.Event, error) {
	e, err := scanEvent(s.rdb.QueryRowContext(ctx,
		`SELECT `+eventCols+` FROM events WHERE id = ? AND tenant_id = ?`, id, tenantID))
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
		w.in("type", f.Types)
	}
	if !f.After.IsZero() {
		w.add("created_at >= ?", micros(f.After))
	}
	if !f.Before.IsZero() {
		w.add("created_at < ?", micros(f.Before))
	}
	if err := w.page("id", f.Page); err != nil {
		return nil, "", err
	}
	size := f.Size()
	es, err := list(ctx, s.rdb, scanEvent,
		`SELECT `+eventCols+` FROM events`+w.String()+` ORDER BY id DESC LIMIT ?`, append(w.args, size+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	es, next := hookd.NextPage(es, size, func(e *hookd.Event) string { return e.ID })
	return es, next, nil
}

// GetDelivery returns the delivery, or ENOTFOUND.
func (s *Store) GetDelivery(ctx context.Context, id string) (*hookd.Delivery, error) {
	d, err := scanDelivery(s.rdb.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE id = ?`, id))
	if err != nil {
		return nil, wrap(notFound(err, "delivery %q not found", id), "get delivery")
	}
	return d, nil
}

// filter adds "col = ?" for each non-empty value, in order of selectivity:
// only the first is left to use an index ("+col" keeps SQLite from using
// one for the others, which it would otherwise pick at random).
func (w *where) filter(cols []string, vals []string) {
	indexed := false
	for i, v := range vals {
		if v == "" {
			continue
		}
		col := cols[i]
		if indexed {
			col = "+" + col
		}
		indexed = true
		w.add(col+" = ?", v)
	}
}

// ListDeliveries lists the deliveries f selects, newest first.
func (s *Store) ListDeliveries(ctx context.Context, f hookd.DeliveryFilter) ([]*hookd.Delivery, string, error) {
	w := deliveryWhere(f)
	if err := w.page("id", f.Page); err != nil {
		return nil, "", err
	}
	size := f.Size()
	ds, err := list(ctx, s.rdb, scanDelivery,
		`SELECT `+deliveryCols+` FROM deliveries`+w.String()+` ORDER BY id DESC LIMIT ?`, append(w.args, size+1)...)
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
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM deliveries`+w.String(), w.args...).Scan(&n)
	return n, wrap(err, "count deliveries")
}

// deliveryWhere is the condition of a delivery listing, without its page.
func deliveryWhere(f hookd.DeliveryFilter) *where {
	var w where
	w.filter([]string{"event_id", "endpoint_id", "tenant_id"}, []string{f.EventID, f.EndpointID, f.TenantID})
	if f.Status != "" {
		w.add("+status = ?", f.Status)
	}
	w.narrow(f.Statuses, f.EventTypes, f.Since, f.Until)
	return &w
}

// narrow adds the conditions deliveries listings and requeues share: any of
// the states, events of any of the types, created in [since, until).
func (w *where) narrow(states, types []string, since, until time.Time) {
	if len(states) > 0 {
		w.in("+status", states)
	}
	if len(types) > 0 {
		args := anys(nil, types)
		w.add(`EXISTS (SELECT 1 FROM events e WHERE e.id = deliveries.event_id AND e.type IN (`+
			placeholders(len(types))+`))`, args...)
	}
	if !since.IsZero() {
		w.add("created_at >= ?", micros(since))
	}
	if !until.IsZero() {
		w.add("created_at < ?", micros(until))
	}
}

// ListAttempts lists the attempts f selects, newest first.
func (s *Store) ListAttempts(ctx context.Context, f hookd.AttemptFilter) ([]*hookd.Attempt, string, error) {
	var w where
	if f.DeliveryID == "" && f.EventID != "" {
		w.add("delivery_id IN (SELECT id FROM deliveries WHERE event_id = ?)", f.EventID)
	}
	w.filter([]string{"delivery_id", "event_id", "endpoint_id", "tenant_id"},
		[]string{f.DeliveryID, f.EventID, f.EndpointID, f.TenantID})
	if err := w.page("id", f.Page); err != nil {
		return nil, "", err
	}
	size := f.Size()
	as, err := list(ctx, s.rdb, scanAttempt,
		`SELECT `+attemptCols+` FROM attempts`+w.String()+` ORDER BY id DESC LIMIT ?`, append(w.args, size+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list attempts: %w", err)
	}
	as, next := hookd.NextPage(as, size, func(a *hookd.Attempt) string { return a.ID })
	return as, next, nil
}

// GetIdempotencyKey returns the key created after notBefore, or ENOTFOUND.
func (s *Store) GetIdempotencyKey(ctx context.Context, scope, key string, notBefore time.Time) (*hookd.IdempotencyKey, error) {
	var (
		k       hookd.IdempotencyKey
		created int64
	)
	err := s.rdb.QueryRowContext(ctx, `SELECT `+keyCols+` FROM idempotency_keys
		WHERE scope = ? AND key = ? AND created_at > ?`, scope, key, micros(notBefore)).
		Scan(&k.Scope, &k.Key, &k.RefID, &k.Fingerprint, &created)
	if err != nil {
		return nil, wrap(notFound(err, "idempotency key %q not found", key), "get idempotency key")
	}
	k.CreatedAt = fromMicros(created)
	return &k, nil
}

package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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

// writeStmts are the statements of the hot write path, prepared once on
// the write connection and bound to each transaction.
type writeStmts struct {
	events, deliveries, attempts, requests, updates *inserter
	key                                             *sql.Stmt
}

func (w *writeStmts) prepare(ctx context.Context, db *sql.DB) error {
	var err error
	for _, p := range []struct {
		dst         **inserter
		table, cols string
	}{
		{&w.events, "events", eventCols},
		{&w.deliveries, "deliveries", deliveryCols},
		{&w.attempts, "attempts", attemptCols},
		{&w.requests, "requests", requestCols},
	} {
		if *p.dst, err = newInserter(ctx, db, p.table, p.cols); err != nil {
			return err
		}
	}
	// A lapsed key (created at or before ?6) is taken over; a live one is
	// left alone, and RowsAffected tells which happened.
	w.key, err = db.PrepareContext(ctx, `INSERT INTO idempotency_keys (`+keyCols+`) VALUES (?1, ?2, ?3, ?4, ?5)
		ON CONFLICT (scope, key) DO UPDATE SET ref_id = excluded.ref_id,
			fingerprint = excluded.fingerprint, created_at = excluded.created_at
		WHERE idempotency_keys.created_at <= ?6`)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	// Each row applies only while its owner holds the lease; a zero until
	// keeps the lease's end as it is. SQLite plans it as a scan of v with a
	// primary-key lookup of each delivery.
	w.updates, err = newBulk(ctx, db, 12, func(rows string) string {
		return `WITH v (id, owner, status, attempts, next_at, last_at, release, until, now, shaped, body, shape)
			AS (VALUES ` + rows + `)
			UPDATE deliveries SET status = v.status, attempts = v.attempts,
				body = CASE WHEN v.shaped THEN v.body ELSE deliveries.body END,
				shape = CASE WHEN v.shaped THEN v.shape ELSE deliveries.shape END,
				next_attempt_at = v.next_at, last_attempt_at = v.last_at,
				lease_owner = CASE WHEN v.release THEN NULL ELSE deliveries.lease_owner END,
				lease_until = CASE WHEN v.release THEN 0 WHEN v.until = 0 THEN deliveries.lease_until ELSE v.until END,
				updated_at = v.now
			FROM v WHERE deliveries.id = v.id AND deliveries.lease_owner = v.owner`
	})
	if err != nil {
		return fmt.Errorf("prepare update: %w", err)
	}
	return nil
}

func (w *writeStmts) close() error {
	errs := []error{w.events.close(), w.deliveries.close(), w.attempts.close(), w.requests.close(), w.updates.close()}
	if w.key != nil {
		errs = append(errs, w.key.Close())
	}
	return errors.Join(errs...)
}

// Commit writes the batch in one transaction. Empty IDs get new ones; zero
// CreatedAt (and StartedAt, ReceivedAt) times become now; a delivery's
// empty EventID, TenantID and Status default to its event's and pending.
// Duplicate flags are set only when the batch committed.
func (s *Store) Commit(ctx context.Context, b *hookd.Batch) error {
	c := &committer{
		ctx:       ctx,
		now:       s.now(),
		keysAfter: micros(b.KeysAfter),
		taken:     make(map[[2]string]bool),
		evDup:     make([]bool, len(b.Events)),
		rqDup:     make([]bool, len(b.Requests)),
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		c.tx, c.st = tx, &s.stmts
		if err := c.run(b); err != nil {
			return err
		}
		if err := c.flush(); err != nil {
			return err
		}
		return c.update(b.Updates)
	})
	if err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	for i, w := range b.Events {
		w.Duplicate = c.evDup[i]
	}
	for i, w := range b.Requests {
		w.Duplicate = c.rqDup[i]
	}
	return nil
}

// committer writes one batch within one transaction. New rows are
// gathered as bind arguments and inserted together by flush, events first
// so that their deliveries' foreign keys hold.
type committer struct {
	ctx       context.Context
	tx        *sql.Tx
	st        *writeStmts
	now       time.Time
	keysAfter int64
	taken     map[[2]string]bool // keys taken earlier in this batch
	evDup     []bool
	rqDup     []bool

	events, deliveries, attempts, requests []any
}

// flush inserts the gathered rows.
func (c *committer) flush() error {
	for _, f := range []struct {
		what string
		in   *inserter
		args []any
	}{
		{"events", c.st.events, c.events},
		{"deliveries", c.st.deliveries, c.deliveries},
		{"requests", c.st.requests, c.requests},
		{"attempts", c.st.attempts, c.attempts},
	} {
		if err := f.in.exec(c.ctx, c.tx, f.args); err != nil {
			return conflict(fmt.Errorf("insert %s: %w", f.what, err), "one of the %s exists", f.what)
		}
	}
	return nil
}

func (c *committer) run(b *hookd.Batch) error {
	for i, w := range b.Events {
		if w == nil || w.Event == nil {
			return hookd.Errorf(hookd.EINVALID, "event write %d has no event", i)
		}
		c.defaultEvent(w.Event)
		if w.Key != nil {
			ok, err := c.takeKey(w.Key, w.Event.ID)
			if err != nil {
				return err
			}
			if !ok {
				c.evDup[i] = true
				continue
			}
		}
		if err := c.writeEvent(w); err != nil {
			return err
		}
	}
	for i, w := range b.Requests {
		dup, err := c.writeRequest(w)
		if err != nil {
			return err
		}
		c.rqDup[i] = dup
	}
	for _, a := range b.Attempts {
		if err := c.writeAttempt(a); err != nil {
			return err
		}
	}
	return nil
}

func (c *committer) defaultEvent(e *hookd.Event) {
	if e.ID == "" {
		e.ID = hookd.NewID(hookd.PrefixEvent)
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = c.now
	}
}

// takeKey takes an idempotency key for refID, and reports false when a
// live record holds it. The key's RefID and CreatedAt default to refID and
// now, and are set on k only when it was taken.
func (c *committer) takeKey(k *hookd.IdempotencyKey, refID string) (bool, error) {
	id := [2]string{k.Scope, k.Key}
	if c.taken[id] {
		return false, nil
	}
	ref, created := k.RefID, k.CreatedAt
	if ref == "" {
		ref = refID
	}
	if created.IsZero() {
		created = c.now
	}
	res, err := c.tx.StmtContext(c.ctx, c.st.key).ExecContext(c.ctx, k.Scope, k.Key, ref, blob(k.Fingerprint), micros(created), c.keysAfter)
	if err != nil {
		return false, fmt.Errorf("take idempotency key: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	c.taken[id] = true
	k.RefID, k.CreatedAt = ref, created
	return true, nil
}

func (c *committer) writeEvent(w *hookd.EventWrite) error {
	e := w.Event
	start, n, apart := dataSpan(e.Payload, e.Data)
	payload := e.Payload
	if payload == nil {
		payload = []byte{}
	}
	headers, err := encodeMap(e.Headers)
	if err != nil {
		return fmt.Errorf("event %s: headers: %w", e.ID, err)
	}
	c.events = append(c.events, e.ID, e.TenantID, e.Type, payload, start, n, blob(apart),
		e.IdempotencyKey, e.Method, e.ContentType, headers, micros(e.CreatedAt), e.Query, e.Trace.Parent, e.Trace.State)
	for _, d := range w.Deliveries {
		if err := c.writeDelivery(e, d); err != nil {
			return err
		}
	}
	return nil
}

// dataSpan locates data within payload. Data is normally the payload's
// tail before the closing brace (the envelope) or the whole payload (raw);
// data found nowhere in payload is returned to be stored apart.
func dataSpan(payload, data []byte) (start, n int, apart []byte) {
	if len(data) == 0 {
		return 0, 0, nil
	}
	if i := len(payload) - 1 - len(data); i >= 0 && bytes.Equal(payload[i:i+len(data)], data) {
		return i, len(data), nil
	}
	if i := bytes.LastIndex(payload, data); i >= 0 {
		return i, len(data), nil
	}
	return 0, 0, data
}

func (c *committer) writeDelivery(e *hookd.Event, d *hookd.Delivery) error {
	if d.ID == "" {
		d.ID = hookd.NewID(hookd.PrefixDelivery)
	}
	if d.EventID == "" {
		d.EventID = e.ID
	}
	if d.TenantID == "" {
		d.TenantID = e.TenantID
	}
	if d.Status == "" {
		d.Status = hookd.StatusPending
	}
	if !hookd.ValidDeliveryStatus(d.Status) {
		return hookd.Errorf(hookd.EINVALID, "delivery %s: invalid status %q", d.ID, d.Status)
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = c.now
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.CreatedAt
	}
	c.deliveries = append(c.deliveries, d.ID, d.EventID, d.EndpointID, d.TenantID, d.Status, d.Attempts,
		micros(d.NextAttemptAt), micros(d.LastAttemptAt), nullString(d.LeaseOwner), leaseUntil(d.LeaseOwner, d.LeaseUntil),
		micros(d.CreatedAt), micros(d.UpdatedAt))
	body, shape := encodeShape(d.Shape)
	c.deliveries = append(c.deliveries, body, shape)
	return nil
}

// leaseUntil is the stored end of a lease: 0 for a free delivery, so that
// the claim index can order by max(next_attempt_at, lease_until).
func leaseUntil(owner string, until time.Time) int64 {
	if owner == "" {
		return 0
	}
	return micros(until)
}

// writeRequest writes an inbound request with its events, and reports
// whether its key was held (nothing written).
func (c *committer) writeRequest(w *hookd.RequestWrite) (bool, error) {
	if w == nil || w.Request == nil {
		return false, hookd.Errorf(hookd.EINVALID, "request write has no request")
	}
	r := w.Request
	if r.ID == "" {
		r.ID = hookd.NewID(hookd.PrefixRequest)
	}
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = c.now
	}
	if w.Key != nil {
		ok, err := c.takeKey(w.Key, r.ID)
		if err != nil || !ok {
			return !ok, err
		}
	}
	headers, err := encodeMap(r.Headers)
	if err != nil {
		return false, fmt.Errorf("request %s: headers: %w", r.ID, err)
	}
	c.requests = append(c.requests, r.ID, r.SourceID, micros(r.ReceivedAt), r.Method, r.Path, r.Query,
		headers, blob(r.Body), r.RemoteIP, r.Status, boolInt(r.Accepted), r.Code, r.Reason, r.Verified,
		r.DedupeKey, r.DuplicateOf, nullText(r.User))
	for i, ew := range w.Events {
		if ew == nil || ew.Event == nil {
			return false, hookd.Errorf(hookd.EINVALID, "request %s: event write %d has no event", r.ID, i)
		}
		c.defaultEvent(ew.Event)
		if err := c.writeEvent(ew); err != nil {
			return false, err
		}
	}
	return false, nil
}

func (c *committer) writeAttempt(a *hookd.Attempt) error {
	if a.ID == "" {
		a.ID = hookd.NewID(hookd.PrefixAttempt)
	}
	if a.StartedAt.IsZero() {
		a.StartedAt = c.now
	}
	headers, err := encodeMap(a.RequestHeaders)
	if err != nil {
		return fmt.Errorf("attempt %s: headers: %w", a.ID, err)
	}
	c.attempts = append(c.attempts, a.ID, a.DeliveryID, a.EventID, a.EndpointID, a.TenantID, a.Number,
		micros(a.StartedAt), int64(a.Latency), a.URL, headers, a.ResponseStatus, blob(a.ResponseBody), a.Error, a.Logs)
	return nil
}

// update applies the delivery updates, each only while its Owner holds
// the lease.
func (c *committer) update(us []*hookd.DeliveryUpdate) error {
	if len(us) == 0 {
		return nil
	}
	// Each update carries the whole new state, so only the last one of a
	// delivery counts; one row per delivery keeps UPDATE … FROM exact.
	last := make(map[string]int, len(us))
	for i, u := range us {
		if !hookd.ValidDeliveryStatus(u.Status) {
			return hookd.Errorf(hookd.EINVALID, "delivery update %s: invalid status %q", u.ID, u.Status)
		}
		last[u.ID] = i
	}
	args := make([]any, 0, len(last)*12)
	now := micros(c.now)
	for i, u := range us {
		if last[u.ID] != i {
			continue
		}
		body, shape := encodeShape(u.Shape)
		args = append(args, u.ID, u.Owner, u.Status, u.Attempts, micros(u.NextAttemptAt), micros(u.LastAttemptAt),
			u.Release, micros(u.LeaseUntil), now, u.Shape != nil, body, shape)
	}
	if err := c.st.updates.exec(c.ctx, c.tx, args); err != nil {
		return fmt.Errorf("update deliveries: %w", err)
	}
	return nil
}

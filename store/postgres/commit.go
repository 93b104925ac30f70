package postgres

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

// Commit writes the batch in one transaction of a few statements whatever
// its size: one INSERT per table and one UPDATE of the deliveries, each
// over arrays of all their rows, pipelined in one round trip. A batch
// without idempotency keys is one implicit transaction (a pipeline ends
// with one Sync, and commits then or not at all): one round trip in all. A
// batch with keys takes them first, in one statement, in an explicit
// transaction, since what else it writes depends on which it got.
//
// Empty IDs get new ones; zero CreatedAt (and StartedAt, ReceivedAt) times
// become now; a delivery's empty EventID, TenantID and Status default to
// its event's and pending. Duplicate flags, and the RefID and CreatedAt of
// keys taken, are set only when the batch committed.
func (s *Store) Commit(ctx context.Context, b *hookd.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	c := &committer{now: s.now(), keysAfter: b.KeysAfter}
	err := c.prepare(b)
	switch {
	case err != nil:
	case !c.hasKeys():
		if err = c.gather(b, nil); err == nil {
			err = c.send(ctx, s.pool, s.token, b)
		}
	default:
		err = s.write(ctx, func(tx pgx.Tx) error {
			taken, err := c.takeKeys(ctx, tx)
			if err != nil {
				return err
			}
			if err := c.gather(b, taken); err != nil {
				return err
			}
			return c.send(ctx, tx, s.token, b)
		})
	}
	if err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	c.settle(b)
	return nil
}

// keyRef is an idempotency key a write of the batch asks for, with the
// values it takes it with.
type keyRef struct {
	k       *hookd.IdempotencyKey
	ref     string
	created time.Time
	first   bool // the first write of the batch asking for this key
	taken   bool // set by gather: this write holds the key
}

// committer turns one batch into column arrays.
type committer struct {
	now       time.Time
	keysAfter time.Time
	evKeys    []*keyRef // by event write; nil for none
	rqKeys    []*keyRef // by request write
	evDup     []bool
	rqDup     []bool

	events   eventRows
	dlvs     deliveryRows
	requests requestRows
	attempts attemptRows
	due      bool // the batch stores deliveries another node may claim now
}

// prepare fills in defaults, checks what the store cannot, and lists the
// keys to take.
func (c *committer) prepare(b *hookd.Batch) error {
	c.evKeys, c.evDup = make([]*keyRef, len(b.Events)), make([]bool, len(b.Events))
	c.rqKeys, c.rqDup = make([]*keyRef, len(b.Requests)), make([]bool, len(b.Requests))
	seen := map[[2]string]bool{}
	ref := func(k *hookd.IdempotencyKey, id string) *keyRef {
		r := &keyRef{k: k, ref: k.RefID, created: k.CreatedAt}
		if r.ref == "" {
			r.ref = id
		}
		if r.created.IsZero() {
			r.created = c.now
		}
		r.first = !seen[[2]string{k.Scope, k.Key}]
		seen[[2]string{k.Scope, k.Key}] = true
		return r
	}
	for i, w := range b.Events {
		if w == nil || w.Event == nil {
			return hookd.Errorf(hookd.EINVALID, "event write %d has no event", i)
		}
		c.defaultEvent(w.Event)
		if w.Key != nil {
			c.evKeys[i] = ref(w.Key, w.Event.ID)
		}
	}
	for i, w := range b.Requests {
		if w == nil || w.Request == nil {
			return hookd.Errorf(hookd.EINVALID, "request write %d has no request", i)
		}
		c.defaultRequest(w.Request)
		if w.Key != nil {
			c.rqKeys[i] = ref(w.Key, w.Request.ID)
		}
	}
	return c.check(b)
}

// check refuses states that are not delivery states, before anything is
// sent.
func (c *committer) check(b *hookd.Batch) error {
	for _, u := range b.Updates {
		if !hookd.ValidDeliveryStatus(u.Status) {
			return hookd.Errorf(hookd.EINVALID, "delivery update %s: invalid status %q", u.ID, u.Status)
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

func (c *committer) defaultRequest(r *hookd.Request) {
	if r.ID == "" {
		r.ID = hookd.NewID(hookd.PrefixRequest)
	}
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = c.now
	}
}

// takeKeySQL takes the keys given as arrays: a new key is inserted, a
// lapsed one (created at or before $6) taken over, a live one left alone.
// It returns the keys it took.
const takeKeySQL = `INSERT INTO idempotency_keys (` + keyCols + `)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::timestamptz[])
	ON CONFLICT (scope, key) DO UPDATE SET ref_id = excluded.ref_id,
		fingerprint = excluded.fingerprint, created_at = excluded.created_at
	WHERE idempotency_keys.created_at <= $6
	RETURNING scope, key`

// takeKeys takes, in one statement, the first request in the batch for
// each key, and returns the keys taken. The rows go in key order, so that
// two nodes taking overlapping keys lock them in the same order and
// cannot deadlock.
func (c *committer) takeKeys(ctx context.Context, tx pgx.Tx) (map[[2]string]bool, error) {
	var refs []*keyRef
	for _, r := range append(slices.Clone(c.evKeys), c.rqKeys...) {
		if r != nil && r.first {
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		return nil, nil
	}
	slices.SortFunc(refs, func(a, b *keyRef) int {
		if n := strings.Compare(a.k.Scope, b.k.Scope); n != 0 {
			return n
		}
		return strings.Compare(a.k.Key, b.k.Key)
	})
	scopes, keys, refIDs := make([]string, len(refs)), make([]string, len(refs)), make([]string, len(refs))
	fps, created := make([][]byte, len(refs)), make([]time.Time, len(refs))
	for i, r := range refs {
		scopes[i], keys[i], refIDs[i], fps[i], created[i] = r.k.Scope, r.k.Key, r.ref, r.k.Fingerprint, r.created.UTC()
	}
	rows, err := tx.Query(ctx, takeKeySQL, scopes, keys, refIDs, fps, created, lowerBound(c.keysAfter))
	if err != nil {
		return nil, fmt.Errorf("take idempotency keys: %w", err)
	}
	taken := map[[2]string]bool{}
	var scope, key string
	_, err = pgx.ForEachRow(rows, []any{&scope, &key}, func() error {
		taken[[2]string{scope, key}] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("take idempotency keys: %w", err)
	}
	return taken, nil
}

// hasKeys reports whether a write of the batch asks for an idempotency
// key.
func (c *committer) hasKeys() bool {
	for _, r := range append(slices.Clone(c.evKeys), c.rqKeys...) {
		if r != nil {
			return true
		}
	}
	return false
}

// holds reports whether the write asking for r holds its key.
func holds(r *keyRef, taken map[[2]string]bool) bool {
	r.taken = r.first && taken[[2]string{r.k.Scope, r.k.Key}]
	return r.taken
}

// gather collects the rows to write, leaving out the writes whose keys
// are held by others.
func (c *committer) gather(b *hookd.Batch, taken map[[2]string]bool) error {
	for i, w := range b.Events {
		if r := c.evKeys[i]; r != nil && !holds(r, taken) {
			c.evDup[i] = true
			continue
		}
		if err := c.addEvent(w); err != nil {
			return err
		}
	}
	for i, w := range b.Requests {
		if r := c.rqKeys[i]; r != nil && !holds(r, taken) {
			c.rqDup[i] = true
			continue
		}
		if err := c.addRequest(w); err != nil {
			return err
		}
	}
	for _, a := range b.Attempts {
		if err := c.attempts.add(a, c.now); err != nil {
			return err
		}
	}
	for _, u := range b.Updates {
		if u.Release && (u.Status == hookd.StatusPending || u.Status == hookd.StatusFailed) && !u.NextAttemptAt.After(c.now) {
			c.due = true
		}
	}
	return nil
}

func (c *committer) addEvent(w *hookd.EventWrite) error {
	if err := c.events.add(w.Event); err != nil {
		return err
	}
	for _, d := range w.Deliveries {
		if err := c.addDelivery(w.Event, d); err != nil {
			return err
		}
	}
	return nil
}

func (c *committer) addDelivery(e *hookd.Event, d *hookd.Delivery) error {
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
	if d.LeaseOwner == "" && (d.Status == hookd.StatusPending || d.Status == hookd.StatusFailed) {
		c.due = true
	}
	c.dlvs.add(d)
	return nil
}

// addRequest adds an inbound request with its events; their own keys are
// ignored.
func (c *committer) addRequest(w *hookd.RequestWrite) error {
	if err := c.requests.add(w.Request); err != nil {
		return err
	}
	for i, ew := range w.Events {
		if ew == nil || ew.Event == nil {
			return hookd.Errorf(hookd.EINVALID, "request %s: event write %d has no event", w.Request.ID, i)
		}
		c.defaultEvent(ew.Event)
		if err := c.addEvent(ew); err != nil {
			return err
		}
	}
	return nil
}

// batcher is what the pool and a transaction share to pipeline
// statements.
type batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// send queues the inserts, the updates and the notification in one batch,
// sent in one round trip: within q's transaction if q is one, else as an
// implicit transaction of its own. It returns once the batch committed.
func (c *committer) send(ctx context.Context, q batcher, token string, b *hookd.Batch) error {
	var (
		batch pgx.Batch
		whats []string
	)
	queue := func(what, sql string, args ...any) {
		batch.Queue(sql, args...)
		whats = append(whats, what)
	}
	if c.events.len() > 0 {
		queue("events", insertEventsSQL, c.events.args()...)
	}
	if c.dlvs.len() > 0 {
		queue("deliveries", insertDeliveriesSQL, c.dlvs.args()...)
	}
	if c.requests.len() > 0 {
		queue("requests", insertRequestsSQL, c.requests.args()...)
	}
	if c.attempts.len() > 0 {
		queue("attempts", insertAttemptsSQL, c.attempts.args()...)
	}
	for _, round := range updateRounds(b.Updates) {
		queue("delivery updates", updateDeliveriesSQL, round.args(c.now)...)
	}
	if c.due {
		queue("notify", `SELECT pg_notify($1, $2)`, dueChannel, token)
	}
	br := q.SendBatch(ctx, &batch)
	for _, what := range whats {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return conflict(fmt.Errorf("write %s: %w", what, err), "one of the %s exists", what)
		}
	}
	return br.Close()
}

// settle reports the outcome of a committed batch on its writes.
func (c *committer) settle(b *hookd.Batch) {
	for i, w := range b.Events {
		w.Duplicate = c.evDup[i]
	}
	for i, w := range b.Requests {
		w.Duplicate = c.rqDup[i]
	}
	for _, r := range append(c.evKeys, c.rqKeys...) {
		if r != nil && r.taken {
			r.k.RefID, r.k.CreatedAt = r.ref, r.created
		}
	}
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

package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hookd/hookd"
)

// The rows of a batch go to the server column by column, as arrays that
// one INSERT … SELECT FROM unnest(…) turns back into rows: one statement
// per table, whatever the number of rows, and binary arrays rather than
// thousands of parameters.

const insertEventsSQL = `INSERT INTO events (` + eventCols + `)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::int4[], $6::int4[], $7::bytea[],
		$8::text[], $9::text[], $10::text[], $11::json[], $12::timestamptz[], $13::text[],
		$14::text[], $15::text[])`

// eventRows are the columns of new events.
type eventRows struct {
	ids, tenants, types   []string
	payloads, aparts      [][]byte
	starts, lens          []int32
	keys, methods, ctypes []string
	headers               []*string
	created               []time.Time
	queries               []string
	traces, states        []string
}

func (r *eventRows) len() int { return len(r.ids) }

func (r *eventRows) add(e *hookd.Event) error {
	headers, err := encodeMap(e.Headers)
	if err != nil {
		return fmt.Errorf("event %s: headers: %w", e.ID, err)
	}
	start, n, apart := dataSpan(e.Payload, e.Data)
	payload := e.Payload
	if payload == nil {
		payload = []byte{}
	}
	r.ids, r.tenants, r.types = append(r.ids, e.ID), append(r.tenants, e.TenantID), append(r.types, e.Type)
	r.payloads, r.aparts = append(r.payloads, payload), append(r.aparts, apart)
	r.starts, r.lens = append(r.starts, int32(start)), append(r.lens, int32(n))
	r.keys, r.methods = append(r.keys, e.IdempotencyKey), append(r.methods, e.Method)
	r.ctypes, r.headers = append(r.ctypes, e.ContentType), append(r.headers, headers)
	r.created, r.queries = append(r.created, e.CreatedAt.UTC()), append(r.queries, safeText(e.Query))
	r.traces, r.states = append(r.traces, safeText(e.Trace.Parent)), append(r.states, safeText(e.Trace.State))
	return nil
}

func (r *eventRows) args() []any {
	return []any{r.ids, r.tenants, r.types, r.payloads, r.starts, r.lens, r.aparts, r.keys, r.methods,
		r.ctypes, r.headers, r.created, r.queries, r.traces, r.states}
}

const insertDeliveriesSQL = `INSERT INTO deliveries (` + deliveryCols + `)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int4[],
		$7::timestamptz[], $8::timestamptz[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[],
		$13::bytea[], $14::json[])`

// deliveryRows are the columns of new deliveries.
type deliveryRows struct {
	ids, events, endpoints, tenants, statuses []string
	attempts                                  []int32
	next, last, until                         []pgtype.Timestamptz
	owners                                    []*string
	created, updated                          []time.Time
	bodies                                    [][]byte
	shapes                                    []*string
}

func (r *deliveryRows) len() int { return len(r.ids) }

func (r *deliveryRows) add(d *hookd.Delivery) {
	r.ids, r.events = append(r.ids, d.ID), append(r.events, d.EventID)
	r.endpoints, r.tenants = append(r.endpoints, d.EndpointID), append(r.tenants, d.TenantID)
	r.statuses, r.attempts = append(r.statuses, d.Status), append(r.attempts, int32(d.Attempts))
	r.next, r.last = append(r.next, ts(d.NextAttemptAt)), append(r.last, ts(d.LastAttemptAt))
	until := ts(d.LeaseUntil)
	if d.LeaseOwner == "" {
		until = pgtype.Timestamptz{} // a free delivery has no lease end
	}
	r.owners, r.until = append(r.owners, nullString(d.LeaseOwner)), append(r.until, until)
	r.created, r.updated = append(r.created, d.CreatedAt.UTC()), append(r.updated, d.UpdatedAt.UTC())
	body, shape := encodeShape(d.Shape)
	r.bodies, r.shapes = append(r.bodies, body), append(r.shapes, shape)
}

func (r *deliveryRows) args() []any {
	return []any{r.ids, r.events, r.endpoints, r.tenants, r.statuses, r.attempts, r.next, r.last,
		r.owners, r.until, r.created, r.updated, r.bodies, r.shapes}
}

const insertRequestsSQL = `INSERT INTO requests (` + requestCols + `)
	SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
		$7::json[], $8::bytea[], $9::text[], $10::int4[], $11::bool[], $12::text[], $13::text[], $14::text[],
		$15::text[], $16::text[], $17::text[])`

// requestRows are the columns of new inbound requests.
type requestRows struct {
	ids, sources             []string
	received                 []time.Time
	methods, paths, queries  []string
	headers                  []*string
	bodies                   [][]byte
	remotes                  []string
	statuses                 []int32
	accepted                 []bool
	codes, reasons, verified []string
	dedupes, duplicates      []string
	users                    []*string
}

func (r *requestRows) len() int { return len(r.ids) }

func (r *requestRows) add(q *hookd.Request) error {
	headers, err := encodeMap(q.Headers)
	if err != nil {
		return fmt.Errorf("request %s: headers: %w", q.ID, err)
	}
	r.ids, r.sources, r.received = append(r.ids, q.ID), append(r.sources, q.SourceID), append(r.received, q.ReceivedAt.UTC())
	r.methods, r.paths = append(r.methods, safeText(q.Method)), append(r.paths, safeText(q.Path))
	r.queries, r.headers = append(r.queries, safeText(q.Query)), append(r.headers, headers)
	r.bodies, r.remotes = append(r.bodies, q.Body), append(r.remotes, safeText(q.RemoteIP))
	r.statuses, r.accepted = append(r.statuses, int32(q.Status)), append(r.accepted, q.Accepted)
	r.codes, r.reasons = append(r.codes, safeText(q.Code)), append(r.reasons, safeText(q.Reason))
	r.verified, r.dedupes = append(r.verified, safeText(q.Verified)), append(r.dedupes, safeText(q.DedupeKey))
	r.duplicates, r.users = append(r.duplicates, safeText(q.DuplicateOf)), append(r.users, userText(q.User))
	return nil
}

func (r *requestRows) args() []any {
	return []any{r.ids, r.sources, r.received, r.methods, r.paths, r.queries, r.headers, r.bodies, r.remotes,
		r.statuses, r.accepted, r.codes, r.reasons, r.verified, r.dedupes, r.duplicates, r.users}
}

const insertAttemptsSQL = `INSERT INTO attempts (` + attemptCols + `)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int4[],
		$7::timestamptz[], $8::int8[], $9::text[], $10::json[], $11::int4[], $12::bytea[], $13::text[], $14::text[])`

// attemptRows are the columns of new attempts.
type attemptRows struct {
	ids, dlvs, events, endpoints, tenants []string
	numbers                               []int32
	started                               []pgtype.Timestamptz
	latencies                             []int64
	urls                                  []string
	headers                               []*string
	statuses                              []int32
	bodies                                [][]byte
	errs, logs                            []string
}

func (r *attemptRows) len() int { return len(r.ids) }

func (r *attemptRows) add(a *hookd.Attempt, now time.Time) error {
	if a.ID == "" {
		a.ID = hookd.NewID(hookd.PrefixAttempt)
	}
	if a.StartedAt.IsZero() {
		a.StartedAt = now
	}
	headers, err := encodeMap(a.RequestHeaders)
	if err != nil {
		return fmt.Errorf("attempt %s: headers: %w", a.ID, err)
	}
	r.ids, r.dlvs, r.events = append(r.ids, a.ID), append(r.dlvs, a.DeliveryID), append(r.events, a.EventID)
	r.endpoints, r.tenants = append(r.endpoints, a.EndpointID), append(r.tenants, a.TenantID)
	r.numbers, r.started = append(r.numbers, int32(a.Number)), append(r.started, ts(a.StartedAt))
	r.latencies, r.urls = append(r.latencies, int64(a.Latency)), append(r.urls, safeText(a.URL))
	r.headers, r.statuses = append(r.headers, headers), append(r.statuses, int32(a.ResponseStatus))
	r.bodies, r.errs = append(r.bodies, a.ResponseBody), append(r.errs, safeText(a.Error))
	r.logs = append(r.logs, safeText(a.Logs))
	return nil
}

func (r *attemptRows) args() []any {
	return []any{r.ids, r.dlvs, r.events, r.endpoints, r.tenants, r.numbers, r.started, r.latencies, r.urls,
		r.headers, r.statuses, r.bodies, r.errs, r.logs}
}

// updateDeliveriesSQL applies delivery updates given as arrays, each only
// while its owner holds the lease. The rows are locked in id order first,
// so that this statement and a concurrent renewal of the same node's
// leases lock them in the same order and cannot deadlock; the lock step
// carries the new values, so that the update joins each row once. A NULL
// until keeps the lease's end as it is.
const updateDeliveriesSQL = `WITH u AS MATERIALIZED (
		SELECT u.* FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::timestamptz[],
			$6::timestamptz[], $7::bool[], $8::timestamptz[], $10::bool[], $11::bytea[], $12::json[])
			AS u(id, owner, status, attempts, next_at, last_at, release, until, shaped, body, shape)
		JOIN deliveries d ON d.id = u.id AND d.lease_owner = u.owner
		ORDER BY d.id FOR UPDATE OF d
	)
	UPDATE deliveries d SET status = u.status, attempts = u.attempts, next_attempt_at = u.next_at,
		last_attempt_at = u.last_at,
		body = CASE WHEN u.shaped THEN u.body ELSE d.body END,
		shape = CASE WHEN u.shaped THEN u.shape ELSE d.shape END,
		lease_owner = CASE WHEN u.release THEN NULL ELSE d.lease_owner END,
		lease_until = CASE WHEN u.release THEN NULL ELSE COALESCE(u.until, d.lease_until) END,
		updated_at = $9
	FROM u WHERE d.id = u.id AND d.lease_owner = u.owner`

// updateRows are the columns of delivery updates.
type updateRows struct {
	ids, owners, statuses []string
	attempts              []int32
	next, last, until     []pgtype.Timestamptz
	release, shaped       []bool
	bodies                [][]byte
	shapes                []*string
}

func (r *updateRows) add(u *hookd.DeliveryUpdate) {
	r.ids, r.owners, r.statuses = append(r.ids, u.ID), append(r.owners, u.Owner), append(r.statuses, u.Status)
	r.attempts = append(r.attempts, int32(u.Attempts))
	r.next, r.last = append(r.next, ts(u.NextAttemptAt)), append(r.last, ts(u.LastAttemptAt))
	r.until, r.release = append(r.until, ts(u.LeaseUntil)), append(r.release, u.Release)
	body, shape := encodeShape(u.Shape)
	r.shaped = append(r.shaped, u.Shape != nil)
	r.bodies, r.shapes = append(r.bodies, body), append(r.shapes, shape)
}

func (r *updateRows) args(now time.Time) []any {
	return []any{r.ids, r.owners, r.statuses, r.attempts, r.next, r.last, r.release, r.until, now,
		r.shaped, r.bodies, r.shapes}
}

// updateRounds splits updates into rounds in which each delivery appears
// once, in batch order: the k-th update of a delivery goes in round k. One
// statement applies a round; applied in order, the rounds give the same
// result as applying the updates one by one.
func updateRounds(us []*hookd.DeliveryUpdate) []*updateRows {
	var rounds []*updateRows
	seen := make(map[string]int, len(us))
	for _, u := range us {
		k := seen[u.ID]
		seen[u.ID] = k + 1
		if k == len(rounds) {
			rounds = append(rounds, &updateRows{})
		}
		rounds[k].add(u)
	}
	return rounds
}

package postgres

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

// dueExpr is when a delivery still to be sent becomes claimable: the key
// of the deliveries_due index, written exactly as there so that the
// planner uses it.
const dueExpr = `COALESCE(GREATEST(next_attempt_at, lease_until), '-infinity'::timestamptz)`

// claimSQL leases the due, free deliveries in one statement. FOR UPDATE
// SKIP LOCKED passes over rows another claim (or a commit) has locked
// meanwhile, so concurrent claims neither wait for each other nor take the
// same delivery. The WHERE clause is evaluated again on each row once
// locked, so a row freed or renewed meanwhile is judged as it is now.
var claimSQL = `WITH picked AS (
		SELECT id FROM deliveries
		WHERE status IN ('pending', 'failed') AND ` + dueExpr + ` <= $3
		ORDER BY ` + dueExpr + `, id
		LIMIT $4
		FOR UPDATE SKIP LOCKED
	)
	UPDATE deliveries d SET lease_owner = $1, lease_until = $2, updated_at = $3
	FROM picked WHERE d.id = picked.id
	RETURNING ` + dDeliveryCols

// dDeliveryCols are deliveryCols qualified by the alias d.
var dDeliveryCols = prefixed("d.", deliveryCols)

// ClaimDeliveries leases up to c.Limit due, free deliveries to c.Owner,
// oldest due first, and returns them with their events.
func (s *Store) ClaimDeliveries(ctx context.Context, c hookd.Claim) ([]*hookd.Claimed, error) {
	if c.Limit <= 0 {
		return nil, nil
	}
	ds, err := list(ctx, s.pool, scanDelivery, claimSQL, c.Owner, ts(c.Until), ts(c.Now), c.Limit)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	out, err := withEvents(ctx, s.pool, ds)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// withEvents pairs deliveries with their events, ordered by next attempt
// time then id. Deliveries of one event share its *hookd.Event. Events
// never change once written, so they are read after the claim committed;
// a delivery whose event is gone by then (its tenant was deleted) is
// dropped with it.
func withEvents(ctx context.Context, q querier, ds []*hookd.Delivery) ([]*hookd.Claimed, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	sort.Slice(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if !a.NextAttemptAt.Equal(b.NextAttemptAt) {
			return a.NextAttemptAt.Before(b.NextAttemptAt)
		}
		return a.ID < b.ID
	})
	ids := make([]string, 0, len(ds))
	for _, d := range ds {
		ids = append(ids, d.EventID)
	}
	es, err := list(ctx, q, scanEvent, `SELECT `+eventCols+` FROM events WHERE id = ANY($1)`, dedupe(ids))
	if err != nil {
		return nil, fmt.Errorf("load events: %w", err)
	}
	events := make(map[string]*hookd.Event, len(es))
	for _, e := range es {
		events[e.ID] = e
	}
	out := make([]*hookd.Claimed, 0, len(ds))
	for _, d := range ds {
		if e := events[d.EventID]; e != nil {
			out = append(out, &hookd.Claimed{Delivery: d, Event: e})
		}
	}
	return out, nil
}

// lockOwnedSQL selects and locks, in id order, the deliveries among $2
// that $1 holds. Statements that change several leased rows lock them
// through it, so that they lock in one order and cannot deadlock.
const lockOwnedSQL = `SELECT id FROM deliveries WHERE id = ANY($2) AND lease_owner = $1 ORDER BY id FOR UPDATE`

// RenewLeases extends to until the leases owner holds among ids, and
// returns the ids renewed, in the order given.
func (s *Store) RenewLeases(ctx context.Context, owner string, ids []string, until time.Time) ([]string, error) {
	ids = dedupe(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	got, err := list(ctx, s.pool, scanID, `WITH locked AS MATERIALIZED (`+lockOwnedSQL+`)
		UPDATE deliveries d SET lease_until = $3 FROM locked
		WHERE d.id = locked.id AND d.lease_owner = $1 RETURNING d.id`, owner, ids, ts(until))
	if err != nil {
		return nil, fmt.Errorf("renew leases: %w", err)
	}
	renewed := make(map[string]bool, len(got))
	for _, id := range got {
		renewed[id] = true
	}
	return slices.DeleteFunc(ids, func(id string) bool { return !renewed[id] }), nil
}

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

func scanID(r scanner) (string, error) {
	var id string
	err := r.Scan(&id)
	return id, err
}

// ReleaseLeases frees the leases owner holds among ids, and tells the
// other nodes when that made deliveries claimable.
func (s *Store) ReleaseLeases(ctx context.Context, owner string, ids []string) error {
	ids = dedupe(ids)
	if len(ids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `WITH locked AS MATERIALIZED (`+lockOwnedSQL+`),
		released AS (
			UPDATE deliveries d SET lease_owner = NULL, lease_until = NULL FROM locked
			WHERE d.id = locked.id AND d.lease_owner = $1 RETURNING d.status
		)
		SELECT pg_notify($3, $4) FROM (
			SELECT 1 FROM released WHERE status IN ('pending', 'failed') LIMIT 1) AS due`,
		owner, ids, dueChannel, s.token)
	return wrap(err, "release leases")
}

// requeueStates is the SQL list of the states f may take back.
func requeueStates(f hookd.RequeueFilter) string {
	if f.Succeeded {
		return "('failed', 'dead', 'succeeded')"
	}
	return "('failed', 'dead')"
}

// Requeue makes the failed and dead deliveries f selects pending, due at
// now and leased to owner until until, and returns them with their
// events. A delivery a live node holds (a near retry in its memory) is
// left to it, so that it is not sent twice. Rows are locked in id order,
// like every other writer of deliveries, whichever rows a limit picks.
func (s *Store) Requeue(ctx context.Context, f hookd.RequeueFilter, owner string, now, until time.Time) ([]*hookd.Claimed, error) {
	if f.TenantID == "" {
		return nil, hookd.Errorf(hookd.EINVALID, "requeue needs a tenant")
	}
	w := where{args: []any{ts(now), owner, ts(until)}}
	w.eq([]string{"id", "event_id", "endpoint_id", "tenant_id"}, []string{f.DeliveryID, f.EventID, f.EndpointID, f.TenantID})
	w.add("status IN " + requeueStates(f))
	w.add("(lease_owner IS NULL OR lease_until <= $1)") // a live node's near retry is its own
	w.narrow(f.Statuses, f.EventTypes, f.Since, f.Until)
	if f.Before != "" {
		w.add("id < ?", f.Before)
	}
	pick := `SELECT id FROM deliveries` + w.String()
	if f.Limit > 0 {
		pick = `SELECT id FROM deliveries WHERE id IN (` + pick + ` ORDER BY id DESC LIMIT ` + w.next() + `)`
		w.args = append(w.args, f.Limit)
	}
	var out []*hookd.Claimed
	err := s.write(ctx, func(tx pgx.Tx) error {
		ds, err := list(ctx, tx, scanDelivery, `WITH locked AS MATERIALIZED (`+pick+` ORDER BY id FOR UPDATE)
			UPDATE deliveries d SET status = 'pending', next_attempt_at = $1, lease_owner = $2,
				lease_until = $3, updated_at = $1
			FROM locked WHERE d.id = locked.id AND d.status IN `+requeueStates(f)+`
				AND (d.lease_owner IS NULL OR d.lease_until <= $1)
			RETURNING `+dDeliveryCols, w.args...)
		if err != nil {
			return err
		}
		out, err = withEvents(ctx, tx, ds)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("requeue: %w", err)
	}
	return out, nil
}

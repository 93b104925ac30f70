package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/hookd/hookd"
)

// chunk bounds the ids bound in one statement.
const chunk = 500

// claimSQL leases the due, free deliveries in one statement. A free
// delivery has lease_until 0 and a lapsed one lease_until <= now, so
// max(next_attempt_at, lease_until) <= now says "due and free", and the
// deliveries_due index serves both the filter and the order.
const claimSQL = `UPDATE deliveries SET lease_owner = ?1, lease_until = ?2, updated_at = ?3
	WHERE id IN (
		SELECT id FROM deliveries
		WHERE status IN ('pending', 'failed') AND max(next_attempt_at, lease_until) <= ?3
		ORDER BY max(next_attempt_at, lease_until), id
		LIMIT ?4)
	RETURNING ` + deliveryCols

// ClaimDeliveries leases up to c.Limit due, free deliveries to c.Owner,
// oldest due first, and returns them with their events. Claims are
// serialised on the write connection, so two never return one delivery.
func (s *Store) ClaimDeliveries(ctx context.Context, c hookd.Claim) ([]*hookd.Claimed, error) {
	if c.Limit <= 0 {
		return nil, nil
	}
	var out []*hookd.Claimed
	err := s.write(ctx, func(tx *sql.Tx) error {
		ds, err := list(ctx, tx, scanDelivery, claimSQL, c.Owner, micros(c.Until), micros(c.Now), c.Limit)
		if err != nil {
			return err
		}
		out, err = withEvents(ctx, tx, ds)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// withEvents pairs deliveries with their events, ordered by next attempt
// time then id.
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
	events, err := loadEvents(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*hookd.Claimed, 0, len(ds))
	for _, d := range ds {
		e, ok := events[d.EventID]
		if !ok {
			return nil, fmt.Errorf("delivery %s: event %s is missing", d.ID, d.EventID)
		}
		out = append(out, &hookd.Claimed{Delivery: d, Event: e})
	}
	return out, nil
}

// loadEvents returns the events with the given ids, by id. Deliveries of
// one event share its *hookd.Event.
func loadEvents(ctx context.Context, q querier, ids []string) (map[string]*hookd.Event, error) {
	ids = dedupe(ids)
	out := make(map[string]*hookd.Event, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		es, err := list(ctx, q, scanEvent,
			`SELECT `+eventCols+` FROM events WHERE id IN (`+placeholders(n)+`)`, anys(nil, ids[:n])...)
		if err != nil {
			return nil, fmt.Errorf("load events: %w", err)
		}
		for _, e := range es {
			out[e.ID] = e
		}
		ids = ids[n:]
	}
	return out, nil
}

// dedupe returns ids without repeats, in first-seen order.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// RenewLeases extends to until the leases owner holds among ids, and
// returns the ids renewed, in the order given.
func (s *Store) RenewLeases(ctx context.Context, owner string, ids []string, until time.Time) ([]string, error) {
	renewed := make(map[string]bool, len(ids))
	err := s.write(ctx, func(tx *sql.Tx) error {
		return forChunks(dedupe(ids), func(part []string) error {
			got, err := list(ctx, tx, scanID, `UPDATE deliveries SET lease_until = ?
				WHERE lease_owner = ? AND id IN (`+placeholders(len(part))+`) RETURNING id`,
				anys([]any{micros(until), owner}, part)...)
			for _, id := range got {
				renewed[id] = true
			}
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("renew leases: %w", err)
	}
	out := make([]string, 0, len(renewed))
	for _, id := range dedupe(ids) {
		if renewed[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// ReleaseLeases frees the leases owner holds among ids.
func (s *Store) ReleaseLeases(ctx context.Context, owner string, ids []string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return forChunks(dedupe(ids), func(part []string) error {
			_, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_owner = NULL, lease_until = 0
				WHERE lease_owner = ? AND id IN (`+placeholders(len(part))+`)`, anys([]any{owner}, part)...)
			return err
		})
	})
	return wrap(err, "release leases")
}

// forChunks calls fn with successive parts of ids of at most chunk ids.
func forChunks(ids []string, fn func([]string) error) error {
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		if err := fn(ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func scanID(r scanner) (string, error) {
	var id string
	err := r.Scan(&id)
	return id, err
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
// left to it, so that it is not sent twice.
func (s *Store) Requeue(ctx context.Context, f hookd.RequeueFilter, owner string, now, until time.Time) ([]*hookd.Claimed, error) {
	if f.TenantID == "" {
		return nil, hookd.Errorf(hookd.EINVALID, "requeue needs a tenant")
	}
	var w where
	w.filter([]string{"id", "event_id", "endpoint_id", "tenant_id"}, []string{f.DeliveryID, f.EventID, f.EndpointID, f.TenantID})
	w.add("status IN " + requeueStates(f))
	w.add("(lease_owner IS NULL OR lease_until <= ?)", micros(now)) // a live node's near retry is its own
	w.narrow(f.Statuses, f.EventTypes, f.Since, f.Until)
	if f.Before != "" {
		w.add("id < ?", f.Before)
	}
	cond := w.String()
	if f.Limit > 0 {
		cond = ` WHERE id IN (SELECT id FROM deliveries` + cond + ` ORDER BY id DESC LIMIT ?)`
		w.args = append(w.args, f.Limit)
	}
	args := append([]any{micros(now), owner, micros(until)}, w.args...)
	var out []*hookd.Claimed
	err := s.write(ctx, func(tx *sql.Tx) error {
		ds, err := list(ctx, tx, scanDelivery, `UPDATE deliveries SET status = 'pending', next_attempt_at = ?1,
			lease_owner = ?2, lease_until = ?3, updated_at = ?1`+cond+
			` RETURNING `+deliveryCols, args...)
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

package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hookd/hookd"
)

// chunk bounds the rows one purge transaction deletes, so that purging
// never holds many locks for long beside the group commits of every node.
const chunk = 500

// Purge deletes, a chunk per transaction: events older than
// p.EventsBefore whose deliveries have all ended, with their deliveries
// and attempts, and bulk retries that ended before it; requests older
// than p.RequestsBefore; idempotency keys
// created before p.KeysBefore. It returns the number of rows deleted from
// all those tables together, also when it fails partway. Several nodes may
// purge at once.
func (s *Store) Purge(ctx context.Context, p hookd.Purge) (int64, error) {
	var total int64
	if !p.EventsBefore.IsZero() {
		n, err := s.purgeEvents(ctx, p.EventsBefore)
		total += n
		if err != nil {
			return total, fmt.Errorf("purge events: %w", err)
		}
	}
	if !p.EventsBefore.IsZero() {
		n, err := s.purgeRows(ctx, `DELETE FROM retry_jobs WHERE id IN (
			SELECT id FROM retry_jobs WHERE status <> 'running' AND finished_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, p.EventsBefore)
		total += n
		if err != nil {
			return total, fmt.Errorf("purge retry jobs: %w", err)
		}
	}
	if !p.RequestsBefore.IsZero() {
		n, err := s.purgeRows(ctx, `DELETE FROM requests WHERE id IN (
			SELECT id FROM requests WHERE received_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, p.RequestsBefore)
		total += n
		if err != nil {
			return total, fmt.Errorf("purge requests: %w", err)
		}
	}
	if !p.KeysBefore.IsZero() {
		n, err := s.purgeRows(ctx, `DELETE FROM idempotency_keys WHERE (scope, key) IN (
			SELECT scope, key FROM idempotency_keys WHERE created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, p.KeysBefore)
		total += n
		if err != nil {
			return total, fmt.Errorf("purge idempotency keys: %w", err)
		}
	}
	return total, nil
}

// purgeRows runs a chunked DELETE (bound to before and a limit) until it
// deletes less than a chunk.
func (s *Store) purgeRows(ctx context.Context, query string, before time.Time) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, query, ts(before), chunk)
		if err != nil {
			return total, unavailable(err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < chunk {
			return total, nil
		}
	}
}

// purgeEvents deletes ended events created before before, a chunk per
// transaction, walking events_created from a cursor so that events kept
// (with deliveries still going) are looked at once.
func (s *Store) purgeEvents(ctx context.Context, before time.Time) (int64, error) {
	var (
		total   int64
		afterAt = pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
		afterID string
	)
	for {
		var (
			n   int64
			ids []string
		)
		err := s.write(ctx, func(tx pgx.Tx) error {
			var last time.Time
			var err error
			ids, last, err = purgeable(ctx, tx, before, afterAt, afterID)
			if err != nil || len(ids) == 0 {
				return err
			}
			afterAt, afterID = ts(last), ids[len(ids)-1]
			n, err = deleteEvents(ctx, tx, ids)
			return err
		})
		total += n
		if err != nil || len(ids) < chunk {
			return total, err
		}
	}
}

// purgeable returns up to a chunk of ids of events created before before
// and after the cursor that look ended, with the created_at of the last.
func purgeable(ctx context.Context, tx pgx.Tx, before time.Time, afterAt pgtype.Timestamptz, afterID string) ([]string, time.Time, error) {
	rows, err := tx.Query(ctx, `SELECT id, created_at FROM events e
		WHERE created_at < $1 AND (created_at, id) > ($2, $3)
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'failed'))
		ORDER BY created_at, id LIMIT $4`, ts(before), afterAt, afterID, chunk)
	if err != nil {
		return nil, time.Time{}, err
	}
	var (
		ids  []string
		id   string
		at   time.Time
		last time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &at}, func() error {
		ids, last = append(ids, id), at
		return nil
	})
	return ids, last, err
}

// deleteEvents deletes the events with their deliveries and attempts. It
// locks their deliveries first and keeps the events that a concurrent
// requeue made pending again since purgeable looked.
func deleteEvents(ctx context.Context, tx pgx.Tx, ids []string) (int64, error) {
	rows, err := tx.Query(ctx, `WITH locked AS MATERIALIZED (
			SELECT event_id, status FROM deliveries WHERE event_id = ANY($1) ORDER BY id FOR UPDATE)
		SELECT e FROM unnest($1::text[]) AS e
		WHERE NOT EXISTS (SELECT 1 FROM locked WHERE event_id = e AND status IN ('pending', 'failed'))`, ids)
	if err != nil {
		return 0, err
	}
	ended, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	var total int64
	for _, q := range []string{
		`DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_id = ANY($1))`,
		`DELETE FROM deliveries WHERE event_id = ANY($1)`,
		`DELETE FROM events WHERE id = ANY($1)`,
	} {
		tag, err := tx.Exec(ctx, q, ended)
		if err != nil {
			return total, err
		}
		total += tag.RowsAffected()
	}
	return total, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"

	"github.com/hookd/hookd"
)

// Purge deletes, in chunks of a few hundred rows per transaction so that
// the group commit never waits long behind it: events older than
// p.EventsBefore whose deliveries have all ended, with their deliveries
// and attempts, and bulk retries that ended before it; requests older than p.RequestsBefore; idempotency keys
// created before p.KeysBefore. It returns the number of rows deleted from
// all those tables together, also when it fails partway.
func (s *Store) Purge(ctx context.Context, p hookd.Purge) (int64, error) {
	var total int64
	if !p.EventsBefore.IsZero() {
		n, err := s.purgeEvents(ctx, micros(p.EventsBefore))
		total += n
		if err != nil {
			return total, fmt.Errorf("purge events: %w", err)
		}
	}
	if !p.EventsBefore.IsZero() {
		n, err := s.purgeRows(ctx, `DELETE FROM retry_jobs WHERE id IN (
			SELECT id FROM retry_jobs WHERE status <> 'running' AND finished_at < ? LIMIT ?)`, micros(p.EventsBefore))
		total += n
		if err != nil {
			return total, fmt.Errorf("purge retry jobs: %w", err)
		}
	}
	if !p.RequestsBefore.IsZero() {
		n, err := s.purgeRows(ctx, `DELETE FROM requests WHERE rowid IN (
			SELECT rowid FROM requests WHERE received_at < ? LIMIT ?)`, micros(p.RequestsBefore))
		total += n
		if err != nil {
			return total, fmt.Errorf("purge requests: %w", err)
		}
	}
	if !p.KeysBefore.IsZero() {
		n, err := s.purgeRows(ctx, `DELETE FROM idempotency_keys WHERE (scope, key) IN (
			SELECT scope, key FROM idempotency_keys WHERE created_at < ? LIMIT ?)`, micros(p.KeysBefore))
		total += n
		if err != nil {
			return total, fmt.Errorf("purge idempotency keys: %w", err)
		}
	}
	return total, nil
}

// purgeRows runs a chunked DELETE (bound to before and a limit) until it
// deletes less than a chunk.
func (s *Store) purgeRows(ctx context.Context, query string, before int64) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.write(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, query, before, chunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < chunk {
			return total, nil
		}
	}
}

// purgeEvents deletes ended events created before before, a chunk per
// transaction, walking events_created from a cursor so that events kept
// (with deliveries still going) are looked at once.
func (s *Store) purgeEvents(ctx context.Context, before int64) (int64, error) {
	var (
		total     int64
		afterAt   int64 = math.MinInt64
		afterID   string
		exhausted bool
	)
	for !exhausted {
		var n int64
		err := s.write(ctx, func(tx *sql.Tx) error {
			ids, lastAt, err := purgeable(ctx, tx, before, afterAt, afterID)
			if err != nil || len(ids) == 0 {
				exhausted = true
				return err
			}
			exhausted = len(ids) < chunk
			afterAt, afterID = lastAt, ids[len(ids)-1]
			n, err = deleteEvents(ctx, tx, ids)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// purgeable returns up to a chunk of ids of ended events created before
// before and after the cursor, with the created_at of the last one.
func purgeable(ctx context.Context, tx *sql.Tx, before, afterAt int64, afterID string) ([]string, int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, created_at FROM events e
		WHERE created_at < ? AND (created_at, id) > (?, ?)
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'failed'))
		ORDER BY created_at, id LIMIT ?`, before, afterAt, afterID, chunk)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var (
		ids  []string
		last int64
	)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id, &last); err != nil {
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	return ids, last, rows.Err()
}

// deleteEvents deletes the events with their deliveries and attempts.
func deleteEvents(ctx context.Context, tx *sql.Tx, ids []string) (int64, error) {
	var total int64
	in := placeholders(len(ids))
	for _, q := range []string{
		`DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_id IN (` + in + `))`,
		`DELETE FROM deliveries WHERE event_id IN (` + in + `)`,
		`DELETE FROM events WHERE id IN (` + in + `)`,
	} {
		res, err := tx.ExecContext(ctx, q, anys(nil, ids)...)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

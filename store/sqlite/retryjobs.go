package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookd/hookd"
)

const retryJobCols = `id, tenant_id, filter, status, total, queued, cursor, error, lease_owner, lease_until,
	created_at, updated_at, finished_at`

// jobFilter is how a bulk retry's filter is stored.
type jobFilter struct {
	EndpointID string   `json:"endpoint_id,omitempty"`
	EventID    string   `json:"event_id,omitempty"`
	Since      int64    `json:"since,omitempty"` // unix microseconds
	Until      int64    `json:"until,omitempty"`
	Statuses   []string `json:"statuses,omitempty"`
	EventTypes []string `json:"event_types,omitempty"`
}

func encodeJobFilter(f hookd.RequeueFilter) string {
	b, _ := json.Marshal(jobFilter{EndpointID: f.EndpointID, EventID: f.EventID, Since: micros(f.Since),
		Until: micros(f.Until), Statuses: f.Statuses, EventTypes: f.EventTypes})
	return string(b)
}

func decodeJobFilter(tenant, s string) (hookd.RequeueFilter, error) {
	var jf jobFilter
	if err := json.Unmarshal([]byte(s), &jf); err != nil {
		return hookd.RequeueFilter{}, fmt.Errorf("decode retry job filter: %w", err)
	}
	return hookd.RequeueFilter{TenantID: tenant, EndpointID: jf.EndpointID, EventID: jf.EventID,
		Since: fromMicros(jf.Since), Until: fromMicros(jf.Until), Statuses: jf.Statuses, EventTypes: jf.EventTypes}, nil
}

func scanRetryJob(r scanner) (*hookd.RetryJob, error) {
	var (
		j                                 hookd.RetryJob
		filter                            string
		owner                             *string
		until, created, updated, finished int64
	)
	err := r.Scan(&j.ID, &j.TenantID, &filter, &j.Status, &j.Total, &j.Queued, &j.Cursor, &j.Error,
		&owner, &until, &created, &updated, &finished)
	if err != nil {
		return nil, err
	}
	if owner != nil {
		j.LeaseOwner, j.LeaseUntil = *owner, fromMicros(until)
	}
	j.CreatedAt, j.UpdatedAt, j.FinishedAt = fromMicros(created), fromMicros(updated), fromMicros(finished)
	j.Filter, err = decodeJobFilter(j.TenantID, filter)
	return &j, err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateRetryJob stores a new bulk retry.
func (s *Store) CreateRetryJob(ctx context.Context, j *hookd.RetryJob) error {
	now := fromMicros(micros(s.now()))
	c := *j
	if c.ID == "" {
		c.ID = hookd.NewID(hookd.PrefixRetryJob)
	}
	if c.Status == "" {
		c.Status = hookd.RetryJobRunning
	}
	c.CreatedAt, c.UpdatedAt = now, now
	err := s.write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM tenants WHERE id = ?`, c.TenantID).Scan(&one)
		if err != nil {
			return tenantNotFound(err, c.TenantID)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO retry_jobs (`+retryJobCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.TenantID, encodeJobFilter(c.Filter), c.Status, c.Total, c.Queued, c.Cursor, c.Error,
			nullable(c.LeaseOwner), micros(c.LeaseUntil), micros(now), micros(now), micros(c.FinishedAt))
		return conflict(err, "retry job %q exists", c.ID)
	})
	if err != nil {
		return fmt.Errorf("create retry job: %w", err)
	}
	*j = c
	return nil
}

// GetRetryJob returns the tenant's bulk retry, or ENOTFOUND.
func (s *Store) GetRetryJob(ctx context.Context, tenantID, id string) (*hookd.RetryJob, error) {
	j, err := scanRetryJob(s.rdb.QueryRowContext(ctx,
		`SELECT `+retryJobCols+` FROM retry_jobs WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if err != nil {
		return nil, wrap(notFound(err, "retry job %q not found", id), "get retry job")
	}
	return j, nil
}

// ClaimRetryJob leases the oldest running job that no live node runs.
// Claims are serialised on the write connection.
func (s *Store) ClaimRetryJob(ctx context.Context, owner string, now, until time.Time) (*hookd.RetryJob, error) {
	var j *hookd.RetryJob
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		j, err = scanRetryJob(tx.QueryRowContext(ctx, `UPDATE retry_jobs SET lease_owner = ?1, lease_until = ?2,
				updated_at = ?3
			WHERE id = (SELECT id FROM retry_jobs WHERE status = 'running'
				AND (lease_owner IS NULL OR lease_until <= ?3) ORDER BY created_at, id LIMIT 1)
			RETURNING `+retryJobCols, owner, micros(until), micros(now)))
		return notFound(err, "no retry job to run")
	})
	if err != nil {
		return nil, wrap(err, "claim retry job")
	}
	return j, nil
}

// SaveRetryJob writes a job's progress while its owner holds the lease.
func (s *Store) SaveRetryJob(ctx context.Context, j *hookd.RetryJob) error {
	now := fromMicros(micros(s.now()))
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE retry_jobs SET status = ?, queued = ?, cursor = ?, error = ?,
				lease_until = ?, finished_at = ?, updated_at = ?
			WHERE id = ? AND lease_owner = ?`,
			j.Status, j.Queued, j.Cursor, j.Error, micros(j.LeaseUntil), micros(j.FinishedAt), micros(now),
			j.ID, j.LeaseOwner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, hookd.Stale("retry job", j.ID))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save retry job: %w", err)
	}
	j.UpdatedAt = now
	return nil
}

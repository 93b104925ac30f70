package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hookd/hookd"
)

const retryJobCols = `id, tenant_id, filter, status, total, queued, cursor, error, lease_owner, lease_until,
	created_at, updated_at, finished_at`

// jobFilter is how a bulk retry's filter is stored.
type jobFilter struct {
	EndpointID string     `json:"endpoint_id,omitempty"`
	EventID    string     `json:"event_id,omitempty"`
	Since      *time.Time `json:"since,omitempty"`
	Until      *time.Time `json:"until,omitempty"`
	Statuses   []string   `json:"statuses,omitempty"`
	EventTypes []string   `json:"event_types,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func encodeJobFilter(f hookd.RequeueFilter) string {
	b, _ := json.Marshal(jobFilter{EndpointID: f.EndpointID, EventID: f.EventID, Since: optTime(f.Since),
		Until: optTime(f.Until), Statuses: f.Statuses, EventTypes: f.EventTypes})
	return string(b)
}

func decodeJobFilter(tenant string, b []byte) (hookd.RequeueFilter, error) {
	var jf jobFilter
	if err := json.Unmarshal(b, &jf); err != nil {
		return hookd.RequeueFilter{}, fmt.Errorf("decode retry job filter: %w", err)
	}
	f := hookd.RequeueFilter{TenantID: tenant, EndpointID: jf.EndpointID, EventID: jf.EventID,
		Statuses: jf.Statuses, EventTypes: jf.EventTypes}
	if jf.Since != nil {
		f.Since = jf.Since.UTC()
	}
	if jf.Until != nil {
		f.Until = jf.Until.UTC()
	}
	return f, nil
}

func scanRetryJob(r scanner) (*hookd.RetryJob, error) {
	var (
		j                                 hookd.RetryJob
		filter                            []byte
		owner                             *string
		until, created, updated, finished pgtype.Timestamptz
	)
	err := r.Scan(&j.ID, &j.TenantID, &filter, &j.Status, &j.Total, &j.Queued, &j.Cursor, &j.Error,
		&owner, &until, &created, &updated, &finished)
	if err != nil {
		return nil, err
	}
	if owner != nil {
		j.LeaseOwner, j.LeaseUntil = *owner, fromTS(until)
	}
	j.CreatedAt, j.UpdatedAt, j.FinishedAt = fromTS(created), fromTS(updated), fromTS(finished)
	j.Filter, err = decodeJobFilter(j.TenantID, filter)
	return &j, err
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateRetryJob stores a new bulk retry.
func (s *Store) CreateRetryJob(ctx context.Context, j *hookd.RetryJob) error {
	now := s.now()
	c := *j
	if c.ID == "" {
		c.ID = hookd.NewID(hookd.PrefixRetryJob)
	}
	if c.Status == "" {
		c.Status = hookd.RetryJobRunning
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO retry_jobs (`+retryJobCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)`,
		c.ID, c.TenantID, encodeJobFilter(c.Filter), c.Status, c.Total, c.Queued, c.Cursor, c.Error,
		nullable(c.LeaseOwner), ts(c.LeaseUntil), ts(now), ts(c.FinishedAt))
	if pgCode(err) == codeForeignKeyViolation {
		err = hookd.TenantNotFound(c.TenantID)
	}
	if err != nil {
		return fmt.Errorf("create retry job: %w", conflict(err, "retry job %q exists", c.ID))
	}
	c.CreatedAt, c.UpdatedAt = fromTS(ts(now)), fromTS(ts(now))
	*j = c
	return nil
}

// GetRetryJob returns the tenant's bulk retry, or ENOTFOUND.
func (s *Store) GetRetryJob(ctx context.Context, tenantID, id string) (*hookd.RetryJob, error) {
	j, err := scanRetryJob(s.pool.QueryRow(ctx,
		`SELECT `+retryJobCols+` FROM retry_jobs WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return nil, wrap(notFound(err, "retry job %q not found", id), "get retry job")
	}
	return j, nil
}

// ClaimRetryJob leases the oldest running job that no live node runs;
// SKIP LOCKED keeps two nodes from taking the same one.
func (s *Store) ClaimRetryJob(ctx context.Context, owner string, now, until time.Time) (*hookd.RetryJob, error) {
	var j *hookd.RetryJob
	err := s.write(ctx, func(tx pgx.Tx) error {
		var err error
		j, err = scanRetryJob(tx.QueryRow(ctx, `UPDATE retry_jobs SET lease_owner = $1, lease_until = $2,
				updated_at = $3
			WHERE id = (SELECT id FROM retry_jobs WHERE status = 'running'
				AND (lease_owner IS NULL OR lease_until <= $3) ORDER BY created_at, id LIMIT 1
				FOR UPDATE SKIP LOCKED)
			RETURNING `+retryJobCols, owner, ts(until), ts(now)))
		return notFound(err, "no retry job to run")
	})
	if err != nil {
		return nil, wrap(err, "claim retry job")
	}
	return j, nil
}

// SaveRetryJob writes a job's progress while its owner holds the lease.
func (s *Store) SaveRetryJob(ctx context.Context, j *hookd.RetryJob) error {
	now := s.now()
	err := execOne(ctx, s.pool, `UPDATE retry_jobs SET status = $1, queued = $2, cursor = $3, error = $4,
			lease_until = $5, finished_at = $6, updated_at = $7
		WHERE id = $8 AND lease_owner = $9`, hookd.Stale("retry job", j.ID),
		j.Status, j.Queued, j.Cursor, j.Error, ts(j.LeaseUntil), ts(j.FinishedAt), ts(now), j.ID, j.LeaseOwner)
	if err != nil {
		return fmt.Errorf("save retry job: %w", err)
	}
	j.UpdatedAt = fromTS(ts(now))
	return nil
}

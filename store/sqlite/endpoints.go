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

const endpointCols = `id, tenant_id, url, description, event_types, headers, sig_scheme, sig_header, sig_prefix,
	payload, timeout, rate_limit, max_concurrency, retry_schedule, enabled, disabled_reason, failing_since,
	metadata, secrets, created_at, updated_at, template, transform, filter, method`

// secretRecord is how a hookd.Secret is kept in the secrets JSON column.
type secretRecord struct {
	Value     string `json:"value"`
	CreatedAt int64  `json:"created_at"`
	ExpiresAt int64  `json:"expires_at,omitempty"`
}

func (s *Store) scanEndpoint(r scanner) (*hookd.Endpoint, error) {
	var (
		e                                    hookd.Endpoint
		types, headers, sched, meta, secrets []byte
		tpl                                  []byte
		timeout, failing, created, updated   int64
	)
	err := r.Scan(&e.ID, &e.TenantID, &e.URL, &e.Description, &types, &headers,
		&e.Signature.Scheme, &e.Signature.Header, &e.Signature.Prefix, &e.Payload, &timeout,
		&e.RateLimit, &e.MaxConcurrency, &sched, &e.Enabled, &e.DisabledReason, &failing,
		&meta, &secrets, &created, &updated, &tpl, &e.Transform, &e.Filter, &e.Method)
	if err != nil {
		return nil, err
	}
	e.Timeout = time.Duration(timeout)
	e.FailingSince, e.CreatedAt, e.UpdatedAt = fromMicros(failing), fromMicros(created), fromMicros(updated)
	e.Metadata, e.Template = rawJSON(meta), rawJSON(tpl)
	if secrets, err = s.unseal(secrets, "endpoint-secrets:"+e.ID); err != nil {
		return nil, fmt.Errorf("endpoint %s: secrets: %w", e.ID, err)
	}
	if err := decodeEndpointJSON(&e, types, headers, sched, secrets); err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", e.ID, err)
	}
	return &e, nil
}

func decodeEndpointJSON(e *hookd.Endpoint, types, headers, sched, secrets []byte) error {
	if err := decodeJSON(types, &e.EventTypes); err != nil {
		return fmt.Errorf("event types: %w", err)
	}
	if err := decodeJSON(headers, &e.Headers); err != nil {
		return fmt.Errorf("headers: %w", err)
	}
	var ns []int64
	if err := decodeJSON(sched, &ns); err != nil {
		return fmt.Errorf("retry schedule: %w", err)
	}
	for _, d := range ns {
		e.RetrySchedule = append(e.RetrySchedule, time.Duration(d))
	}
	var recs []secretRecord
	if err := decodeJSON(secrets, &recs); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	for _, r := range recs {
		e.Secrets = append(e.Secrets, hookd.Secret{Value: r.Value, CreatedAt: fromMicros(r.CreatedAt), ExpiresAt: fromMicros(r.ExpiresAt)})
	}
	return nil
}

// endpointArgs returns the bind arguments of endpointCols.
func (s *Store) endpointArgs(e *hookd.Endpoint) ([]any, error) {
	types, err := encodeJSON(e.EventTypes)
	if err != nil {
		return nil, fmt.Errorf("event types: %w", err)
	}
	headers, err := encodeMap(e.Headers)
	if err != nil {
		return nil, fmt.Errorf("headers: %w", err)
	}
	ns := make([]int64, len(e.RetrySchedule))
	for i, d := range e.RetrySchedule {
		ns[i] = int64(d)
	}
	sched, _ := encodeJSON(ns)
	recs := make([]secretRecord, len(e.Secrets))
	for i, sec := range e.Secrets {
		recs[i] = secretRecord{Value: sec.Value, CreatedAt: micros(sec.CreatedAt), ExpiresAt: micros(sec.ExpiresAt)}
	}
	var plain []byte
	if len(recs) > 0 {
		plain, _ = json.Marshal(recs)
	}
	secrets, err := s.seal(plain, "endpoint-secrets:"+e.ID)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return []any{e.ID, e.TenantID, e.URL, e.Description, types, headers,
		e.Signature.Scheme, e.Signature.Header, e.Signature.Prefix, e.Payload, int64(e.Timeout),
		e.RateLimit, e.MaxConcurrency, sched, boolInt(e.Enabled), e.DisabledReason, micros(e.FailingSince),
		text(e.Metadata), secrets, micros(e.CreatedAt), micros(e.UpdatedAt),
		text(e.Template), e.Transform, e.Filter, e.Method}, nil
}

// CreateEndpoint adds an endpoint. An empty ID gets a new one; CreatedAt
// and UpdatedAt are set. It fails with ENOTFOUND for an unknown tenant and
// ECONFLICT for a taken ID.
func (s *Store) CreateEndpoint(ctx context.Context, e *hookd.Endpoint) error {
	now := s.now()
	c := *e
	if c.ID == "" {
		c.ID = hookd.NewID(hookd.PrefixEndpoint)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	args, err := s.endpointArgs(&c)
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM tenants WHERE id = ?`, c.TenantID).Scan(&one)
		if err != nil {
			return tenantNotFound(err, c.TenantID)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO endpoints (`+endpointCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		return conflict(err, "endpoint %q exists", c.ID)
	})
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	e.ID, e.CreatedAt, e.UpdatedAt = c.ID, now, now
	return nil
}

// GetEndpoint returns the tenant's endpoint, or ENOTFOUND.
func (s *Store) GetEndpoint(ctx context.Context, tenantID, id string) (*hookd.Endpoint, error) {
	e, err := s.scanEndpoint(s.rdb.QueryRowContext(ctx,
		`SELECT `+endpointCols+` FROM endpoints WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if err != nil {
		return nil, wrap(notFound(err, "endpoint %q not found", id), "get endpoint")
	}
	return e, nil
}

// ListEndpoints lists a tenant's endpoints, newest first.
func (s *Store) ListEndpoints(ctx context.Context, tenantID string, p hookd.Page) ([]*hookd.Endpoint, string, error) {
	var w where
	w.add("tenant_id = ?", tenantID)
	if err := w.page("id", p); err != nil {
		return nil, "", err
	}
	size := p.Size()
	es, err := list(ctx, s.rdb, s.scanEndpoint,
		`SELECT `+endpointCols+` FROM endpoints`+w.String()+` ORDER BY id DESC LIMIT ?`, append(w.args, size+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list endpoints: %w", err)
	}
	es, next := hookd.NextPage(es, size, func(e *hookd.Endpoint) string { return e.ID })
	return es, next, nil
}

// AllEndpoints returns every endpoint, by tenant and id.
func (s *Store) AllEndpoints(ctx context.Context) ([]*hookd.Endpoint, error) {
	es, err := list(ctx, s.rdb, s.scanEndpoint, `SELECT `+endpointCols+` FROM endpoints ORDER BY tenant_id, id`)
	return es, wrap(err, "all endpoints")
}

// UpdateEndpoint implements hookd.EndpointStore: an update of the endpoint
// as it was read (Stale otherwise), which leaves FailingSince to the
// engine unless it enables the endpoint. It sets UpdatedAt, fills CreatedAt
// from the store, and fails with ENOTFOUND.
func (s *Store) UpdateEndpoint(ctx context.Context, e *hookd.Endpoint) error {
	now := s.now()
	c := *e
	c.UpdatedAt = now
	args, err := s.endpointArgs(&c)
	if err != nil {
		return fmt.Errorf("update endpoint: %w", err)
	}
	args = append(args, micros(e.UpdatedAt))
	var created int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE endpoints SET url = ?3, description = ?4, event_types = ?5,
				headers = ?6, sig_scheme = ?7, sig_header = ?8, sig_prefix = ?9, payload = ?10, timeout = ?11,
				rate_limit = ?12, max_concurrency = ?13, retry_schedule = ?14, enabled = ?15,
				disabled_reason = ?16, failing_since = CASE WHEN ?15 AND NOT enabled THEN ?17 ELSE failing_since END,
				metadata = ?18, secrets = ?19, updated_at = ?21,
				template = ?22, transform = ?23, filter = ?24, method = ?25
			WHERE id = ?1 AND tenant_id = ?2 AND (?26 = 0 OR updated_at = ?26)
			RETURNING created_at`, args...).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			var one int
			if tx.QueryRowContext(ctx, `SELECT 1 FROM endpoints WHERE id = ? AND tenant_id = ?`, e.ID, e.TenantID).Scan(&one) == nil {
				return hookd.Stale("endpoint", e.ID)
			}
		}
		return notFound(err, "endpoint %q not found", e.ID)
	})
	if err != nil {
		return fmt.Errorf("update endpoint: %w", err)
	}
	e.CreatedAt, e.UpdatedAt = fromMicros(created), now
	return nil
}

// disableEndpointSQL disables an endpoint: ?1 failing_since, ?2 id,
// ?3 tenant, ?4 disabled_reason, ?5 updated_at.
const disableEndpointSQL = `UPDATE endpoints SET failing_since = ?1, enabled = 0, disabled_reason = ?4, updated_at = ?5
	WHERE id = ?2 AND tenant_id = ?3`

// SetEndpointHealth writes FailingSince and, with h.Disable, disables the
// endpoint with h.DisabledReason (which also sets UpdatedAt), with
// h.Announce in the same transaction (announce.go); it never enables one.
// Other fields stay as they are. It fails with ENOTFOUND.
func (s *Store) SetEndpointHealth(ctx context.Context, tenantID, id string, h hookd.EndpointHealth) error {
	if h.Disable && h.Announce != nil {
		return s.disableAnnounced(ctx, tenantID, id, h)
	}
	query := `UPDATE endpoints SET failing_since = ?1 WHERE id = ?2 AND tenant_id = ?3`
	if h.Disable {
		// Only this form sets enabled, so that bookkeeping of failures
		// alone does not bump the change sequence (see the trigger).
		query = disableEndpointSQL
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		args := []any{micros(h.FailingSince), id, tenantID}
		if h.Disable {
			args = append(args, h.DisabledReason, micros(s.now()))
		}
		return execOne(ctx, tx, query, hookd.Errorf(hookd.ENOTFOUND, "endpoint %q not found", id), args...)
	})
	return wrap(err, "set endpoint health")
}

// DeleteEndpoint deletes the tenant's endpoint, or fails with ENOTFOUND.
// Its deliveries stay, as the record of what was sent.
func (s *Store) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `DELETE FROM endpoints WHERE id = ? AND tenant_id = ?`,
			hookd.Errorf(hookd.ENOTFOUND, "endpoint %q not found", id), id, tenantID)
	})
	return wrap(err, "delete endpoint")
}

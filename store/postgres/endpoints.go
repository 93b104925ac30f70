package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hookd/hookd"
)

const endpointCols = `id, tenant_id, url, description, event_types, headers, sig_scheme, sig_header, sig_prefix,
	payload, timeout, rate_limit, max_concurrency, retry_schedule, enabled, disabled_reason, failing_since,
	metadata, secrets, created_at, updated_at, template, transform, filter, method`

// secretRecord is how a hookd.Secret is kept in the secrets json column.
type secretRecord struct {
	Value     string     `json:"value"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func (s *Store) scanEndpoint(r scanner) (*hookd.Endpoint, error) {
	var (
		e                      hookd.Endpoint
		headers, meta, secrets []byte
		tpl                    []byte
		sched                  []int64
		timeout                int64
		failing                pgtype.Timestamptz
	)
	err := r.Scan(&e.ID, &e.TenantID, &e.URL, &e.Description, &e.EventTypes, &headers,
		&e.Signature.Scheme, &e.Signature.Header, &e.Signature.Prefix, &e.Payload, &timeout,
		&e.RateLimit, &e.MaxConcurrency, &sched, &e.Enabled, &e.DisabledReason, &failing,
		&meta, &secrets, &e.CreatedAt, &e.UpdatedAt, &tpl, &e.Transform, &e.Filter, &e.Method)
	if err != nil {
		return nil, err
	}
	e.Timeout = time.Duration(timeout)
	e.FailingSince = fromTS(failing)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	e.Metadata, e.Template = rawJSON(meta), rawJSON(tpl)
	for _, d := range sched {
		e.RetrySchedule = append(e.RetrySchedule, time.Duration(d))
	}
	if err := decodeJSON(headers, &e.Headers); err != nil {
		return nil, fmt.Errorf("endpoint %s: headers: %w", e.ID, err)
	}
	if secrets, err = s.unseal(secrets, "endpoint-secrets:"+e.ID); err != nil {
		return nil, fmt.Errorf("endpoint %s: secrets: %w", e.ID, err)
	}
	var recs []secretRecord
	if err := decodeJSON(secrets, &recs); err != nil {
		return nil, fmt.Errorf("endpoint %s: secrets: %w", e.ID, err)
	}
	for _, r := range recs {
		sec := hookd.Secret{Value: r.Value, CreatedAt: r.CreatedAt.UTC()}
		if r.ExpiresAt != nil {
			sec.ExpiresAt = r.ExpiresAt.UTC()
		}
		e.Secrets = append(e.Secrets, sec)
	}
	return &e, nil
}

// endpointArgs returns the bind arguments of endpointCols.
func (s *Store) endpointArgs(e *hookd.Endpoint) ([]any, error) {
	headers, err := encodeMap(e.Headers)
	if err != nil {
		return nil, fmt.Errorf("headers: %w", err)
	}
	var sched []int64
	for _, d := range e.RetrySchedule {
		sched = append(sched, int64(d))
	}
	recs := make([]secretRecord, len(e.Secrets))
	for i, sec := range e.Secrets {
		recs[i] = secretRecord{Value: sec.Value, CreatedAt: sec.CreatedAt.UTC().Truncate(time.Microsecond)}
		if !sec.ExpiresAt.IsZero() {
			exp := sec.ExpiresAt.UTC().Truncate(time.Microsecond)
			recs[i].ExpiresAt = &exp
		}
	}
	var plain []byte
	if len(recs) > 0 {
		if plain, err = json.Marshal(recs); err != nil {
			return nil, fmt.Errorf("secrets: %w", err)
		}
	}
	secrets, err := s.seal(plain, "endpoint-secrets:"+e.ID)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	var types []string
	if len(e.EventTypes) > 0 {
		types = e.EventTypes
	}
	return []any{e.ID, e.TenantID, e.URL, e.Description, types, headers,
		e.Signature.Scheme, e.Signature.Header, e.Signature.Prefix, e.Payload, int64(e.Timeout),
		e.RateLimit, e.MaxConcurrency, sched, e.Enabled, e.DisabledReason, ts(e.FailingSince),
		jsonText(e.Metadata), secrets, e.CreatedAt, e.UpdatedAt,
		jsonText(e.Template), e.Transform, e.Filter, e.Method}, nil
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
	_, err = s.pool.Exec(ctx, `INSERT INTO endpoints (`+endpointCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
			$22, $23, $24, $25)`, args...)
	if pgCode(err) == codeForeignKeyViolation {
		err = hookd.TenantNotFound(c.TenantID)
	}
	if err != nil {
		return fmt.Errorf("create endpoint: %w", conflict(err, "endpoint %q exists", c.ID))
	}
	e.ID, e.CreatedAt, e.UpdatedAt = c.ID, now, now
	return nil
}

// GetEndpoint returns the tenant's endpoint, or ENOTFOUND.
func (s *Store) GetEndpoint(ctx context.Context, tenantID, id string) (*hookd.Endpoint, error) {
	e, err := s.scanEndpoint(s.pool.QueryRow(ctx,
		`SELECT `+endpointCols+` FROM endpoints WHERE id = $1 AND tenant_id = $2`, id, tenantID))
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
	es, err := list(ctx, s.pool, s.scanEndpoint,
		`SELECT `+endpointCols+` FROM endpoints`+w.String()+` ORDER BY id DESC LIMIT `+w.next(), append(w.args, size+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list endpoints: %w", err)
	}
	es, next := hookd.NextPage(es, size, func(e *hookd.Endpoint) string { return e.ID })
	return es, next, nil
}

// AllEndpoints returns every endpoint, by tenant and id.
func (s *Store) AllEndpoints(ctx context.Context) ([]*hookd.Endpoint, error) {
	es, err := list(ctx, s.pool, s.scanEndpoint, `SELECT `+endpointCols+` FROM endpoints ORDER BY tenant_id, id`)
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
	shape := args[21:]
	args = append(append(args[:19:19], now, ts(e.UpdatedAt)), shape...) // CreatedAt is kept
	var created time.Time
	err = s.pool.QueryRow(ctx, `UPDATE endpoints SET url = $3, description = $4, event_types = $5,
			headers = $6, sig_scheme = $7, sig_header = $8, sig_prefix = $9, payload = $10, timeout = $11,
			rate_limit = $12, max_concurrency = $13, retry_schedule = $14, enabled = $15,
			disabled_reason = $16, failing_since = CASE WHEN $15 AND NOT enabled THEN $17 ELSE failing_since END,
			metadata = $18, secrets = $19, updated_at = $20,
			template = $22, transform = $23, filter = $24, method = $25
		WHERE id = $1 AND tenant_id = $2 AND ($21::timestamptz IS NULL OR updated_at = $21)
		RETURNING created_at`, args...).Scan(&created)
	if errors.Is(err, pgx.ErrNoRows) {
		var one int
		if s.pool.QueryRow(ctx, `SELECT 1 FROM endpoints WHERE id = $1 AND tenant_id = $2`, e.ID, e.TenantID).Scan(&one) == nil {
			err = hookd.Stale("endpoint", e.ID)
		}
	}
	if err != nil {
		return fmt.Errorf("update endpoint: %w", notFound(err, "endpoint %q not found", e.ID))
	}
	e.CreatedAt, e.UpdatedAt = created.UTC(), now
	return nil
}

// SetEndpointHealth writes FailingSince and, with h.Disable, disables the
// endpoint with h.DisabledReason (which also sets UpdatedAt), with
// h.Announce in the same transaction (announce.go); it never enables one. Other fields stay as they are. It fails with ENOTFOUND.
func (s *Store) SetEndpointHealth(ctx context.Context, tenantID, id string, h hookd.EndpointHealth) error {
	query := `UPDATE endpoints SET failing_since = $1 WHERE id = $2 AND tenant_id = $3`
	args := []any{ts(h.FailingSince), id, tenantID}
	if h.Disable {
		// Only this form sets enabled, so that bookkeeping of failures
		// alone does not bump the change sequence (see the trigger).
		query = `UPDATE endpoints SET failing_since = $1, enabled = false, disabled_reason = $4, updated_at = $5
			WHERE id = $2 AND tenant_id = $3`
		args = append(args, h.DisabledReason, s.now())
	}
	if h.Disable && h.Announce != nil {
		return s.disableAnnounced(ctx, query, id, tenantID, args, h.Announce)
	}
	err := execOne(ctx, s.pool, query, hookd.Errorf(hookd.ENOTFOUND, "endpoint %q not found", id), args...)
	return wrap(err, "set endpoint health")
}

// DeleteEndpoint deletes the tenant's endpoint, or fails with ENOTFOUND.
// Its deliveries stay, as the record of what was sent.
func (s *Store) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	err := execOne(ctx, s.pool, `DELETE FROM endpoints WHERE id = $1 AND tenant_id = $2`,
		hookd.Errorf(hookd.ENOTFOUND, "endpoint %q not found", id), id, tenantID)
	return wrap(err, "delete endpoint")
}

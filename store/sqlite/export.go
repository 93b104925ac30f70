package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"iter"
	"slices"

	"github.com/hookd/hookd"
)

var (
	_ hookd.Exporter = (*Store)(nil)
	_ hookd.Importer = (*Store)(nil)
)

// knownKind reports whether k is a hookd.Kind, so that its name may be
// used as a table name in a statement.
func knownKind(k hookd.Kind) bool { return slices.Contains(hookd.Kinds(), k) }

// Count returns the number of rows of kind.
func (s *Store) Count(ctx context.Context, kind hookd.Kind) (int64, error) {
	if !knownKind(kind) {
		return 0, hookd.Errorf(hookd.EINVALID, "unknown kind %q", kind)
	}
	var n int64
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM `+string(kind)).Scan(&n)
	return n, wrap(err, "count "+string(kind))
}

// Export yields the rows of kind in pages of at most size rows, by key.
func (s *Store) Export(ctx context.Context, kind hookd.Kind, size int) iter.Seq2[*hookd.Records, error] {
	size = max(size, 1)
	id := func(id string) []any { return []any{id} }
	switch kind {
	case hookd.KindTenants:
		return exportKind(ctx, s.rdb, size, kind, tenantCols, "id", scanTenant,
			func(t *hookd.Tenant) []any { return id(t.ID) }, func(r *hookd.Records, v []*hookd.Tenant) { r.Tenants = v })
	case hookd.KindEventTypes:
		return exportKind(ctx, s.rdb, size, kind, eventTypeCols, "name", scanEventType,
			func(t *hookd.EventType) []any { return id(t.Name) }, func(r *hookd.Records, v []*hookd.EventType) { r.EventTypes = v })
	case hookd.KindStoreSecrets:
		return exportKind(ctx, s.rdb, size, kind, `name, value, created_at`, "name", s.scanStoreSecret,
			func(v *hookd.StoreSecret) []any { return id(v.Name) }, func(r *hookd.Records, v []*hookd.StoreSecret) { r.StoreSecrets = v })
	case hookd.KindAPIKeys:
		return exportKind(ctx, s.rdb, size, kind, apiKeyCols+`, hash, legacy`, "id", scanAPIKeyRecord,
			func(k *hookd.APIKeyRecord) []any { return id(k.ID) }, func(r *hookd.Records, v []*hookd.APIKeyRecord) { r.APIKeys = v })
	case hookd.KindPortalTokens:
		return exportKind(ctx, s.rdb, size, kind, portalCols, "id", scanPortalRecord,
			func(t *hookd.PortalTokenRecord) []any { return id(t.ID) }, func(r *hookd.Records, v []*hookd.PortalTokenRecord) { r.PortalTokens = v })
	case hookd.KindEndpoints:
		return exportKind(ctx, s.rdb, size, kind, endpointCols, "id", s.scanEndpoint,
			func(e *hookd.Endpoint) []any { return id(e.ID) }, func(r *hookd.Records, v []*hookd.Endpoint) { r.Endpoints = v })
	case hookd.KindSources:
		return exportKind(ctx, s.rdb, size, kind, sourceCols, "id", s.scanSource,
			func(v *hookd.Source) []any { return id(v.ID) }, func(r *hookd.Records, v []*hookd.Source) { r.Sources = v })
	case hookd.KindRetryJobs:
		return exportKind(ctx, s.rdb, size, kind, retryJobCols, "id", scanRetryJob,
			func(j *hookd.RetryJob) []any { return id(j.ID) }, func(r *hookd.Records, v []*hookd.RetryJob) { r.RetryJobs = v })
	}
	return s.exportHot(ctx, kind, size)
}

// exportHot is Export of the kinds the group commit writes.
func (s *Store) exportHot(ctx context.Context, kind hookd.Kind, size int) iter.Seq2[*hookd.Records, error] {
	id := func(id string) []any { return []any{id} }
	switch kind {
	case hookd.KindEvents:
		return exportKind(ctx, s.rdb, size, kind, eventCols, "id", scanEvent,
			func(e *hookd.Event) []any { return id(e.ID) }, func(r *hookd.Records, v []*hookd.Event) { r.Events = v })
	case hookd.KindDeliveries:
		return exportKind(ctx, s.rdb, size, kind, deliveryCols, "id", scanDelivery,
			func(d *hookd.Delivery) []any { return id(d.ID) }, func(r *hookd.Records, v []*hookd.Delivery) { r.Deliveries = v })
	case hookd.KindAttempts:
		return exportKind(ctx, s.rdb, size, kind, attemptCols, "id", scanAttempt,
			func(a *hookd.Attempt) []any { return id(a.ID) }, func(r *hookd.Records, v []*hookd.Attempt) { r.Attempts = v })
	case hookd.KindIdempotencyKeys:
		return exportKind(ctx, s.rdb, size, kind, keyCols, "scope, key", s.scanKey,
			func(k *hookd.IdempotencyKey) []any { return []any{k.Scope, k.Key} },
			func(r *hookd.Records, v []*hookd.IdempotencyKey) { r.IdempotencyKeys = v })
	case hookd.KindRequests:
		return exportKind(ctx, s.rdb, size, kind, requestCols, "id", scanRequest,
			func(q *hookd.Request) []any { return id(q.ID) }, func(r *hookd.Records, v []*hookd.Request) { r.Requests = v })
	}
	return func(yield func(*hookd.Records, error) bool) {
		yield(nil, hookd.Errorf(hookd.EINVALID, "unknown kind %q", kind))
	}
}

// exportKind yields the rows of one table in pages, walking its primary
// key (keys, comma-separated) upwards; key returns a row's key values.
func exportKind[T any](ctx context.Context, q querier, size int, kind hookd.Kind, cols, keys string,
	scan func(scanner) (T, error), key func(T) []any, put func(*hookd.Records, []T)) iter.Seq2[*hookd.Records, error] {
	return func(yield func(*hookd.Records, error) bool) {
		var after []any
		for {
			query, args := `SELECT `+cols+` FROM `+string(kind), []any{}
			if after != nil {
				query += ` WHERE (` + keys + `) > (` + placeholders(len(after)) + `)`
				args = append(args, after...)
			}
			rows, err := list(ctx, q, scan, query+` ORDER BY `+keys+` LIMIT ?`, append(args, size)...)
			if err != nil {
				yield(nil, wrap(err, "export "+string(kind)))
				return
			}
			if len(rows) == 0 {
				return
			}
			r := &hookd.Records{}
			put(r, rows)
			if !yield(r, nil) || len(rows) < size {
				return
			}
			after = key(rows[len(rows)-1])
		}
	}
}

func (s *Store) scanStoreSecret(r scanner) (*hookd.StoreSecret, error) {
	var (
		v       hookd.StoreSecret
		sealed  []byte
		created int64
	)
	if err := r.Scan(&v.Name, &sealed, &created); err != nil {
		return nil, err
	}
	plain, err := s.unseal(sealed, sealedColumns[2].adPrefix+v.Name)
	if err != nil {
		return nil, fmt.Errorf("store secret %s: %w", v.Name, err)
	}
	v.Value, v.CreatedAt = plain, fromMicros(created)
	return &v, nil
}

func scanAPIKeyRecord(r scanner) (*hookd.APIKeyRecord, error) {
	var rec hookd.APIKeyRecord
	k, err := scanAPIKey(scanFunc(func(dst ...any) error {
		return r.Scan(append(dst, &rec.Hash, &rec.Legacy)...)
	}))
	if err != nil {
		return nil, err
	}
	rec.APIKey = *k
	return &rec, nil
}

const portalCols = `hash, id, tenant_id, capabilities, expires_at, created_at`

func scanPortalRecord(r scanner) (*hookd.PortalTokenRecord, error) {
	var (
		t                hookd.PortalTokenRecord
		caps             string
		expires, created int64
	)
	if err := r.Scan(&t.Hash, &t.ID, &t.TenantID, &caps, &expires, &created); err != nil {
		return nil, err
	}
	t.ExpiresAt, t.CreatedAt = fromMicros(expires), fromMicros(created)
	if err := json.Unmarshal([]byte(caps), &t.Capabilities); err != nil {
		return nil, fmt.Errorf("portal token %s: capabilities: %w", t.ID, err)
	}
	return &t, nil
}

// scanKey reads an idempotency key, with the reply kept for an API
// request opened.
func (s *Store) scanKey(r scanner) (*hookd.IdempotencyKey, error) {
	var (
		k       hookd.IdempotencyKey
		created int64
	)
	if err := r.Scan(&k.Scope, &k.Key, &k.RefID, &k.Fingerprint, &created); err != nil {
		return nil, err
	}
	k.CreatedAt = fromMicros(created)
	return &k, s.openKeptReply(&k)
}

// Clear deletes every row of every kind but the default tenant and the
// store secrets, in one transaction.
func (s *Store) Clear(ctx context.Context) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		kinds := hookd.Kinds()
		for i := len(kinds) - 1; i >= 0; i-- {
			query := `DELETE FROM ` + string(kinds[i])
			switch kinds[i] {
			case hookd.KindStoreSecrets:
				continue
			case hookd.KindTenants:
				query += ` WHERE id <> '` + hookd.DefaultTenant + `'`
			}
			if _, err := tx.ExecContext(ctx, query); err != nil {
				return fmt.Errorf("%s: %w", kinds[i], err)
			}
		}
		return nil
	})
	return wrap(err, "clear store")
}

// importStmt is the statement that writes one row of a kind other than
// those of the group commit.
var importStmt = map[hookd.Kind]string{
	hookd.KindTenants: `INSERT INTO tenants (` + tenantCols + `) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET metadata = excluded.metadata, created_at = excluded.created_at,
			updated_at = excluded.updated_at`,
	hookd.KindEventTypes: `INSERT INTO event_types (` + eventTypeCols + `) VALUES (` + placeholders(9) + `)`,
	hookd.KindStoreSecrets: `INSERT INTO store_secrets (name, value, created_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at`,
	hookd.KindAPIKeys:         `INSERT INTO api_keys (` + apiKeyCols + `, hash, legacy) VALUES (` + placeholders(10) + `)`,
	hookd.KindPortalTokens:    `INSERT INTO portal_tokens (` + portalCols + `) VALUES (` + placeholders(6) + `)`,
	hookd.KindEndpoints:       `INSERT INTO endpoints (` + endpointCols + `) VALUES (` + placeholders(25) + `)`,
	hookd.KindSources:         `INSERT INTO sources (` + sourceCols + `) VALUES (` + placeholders(5) + `)`,
	hookd.KindRetryJobs:       `INSERT INTO retry_jobs (` + retryJobCols + `) VALUES (` + placeholders(13) + `)`,
	hookd.KindIdempotencyKeys: `INSERT INTO idempotency_keys (` + keyCols + `) VALUES (` + placeholders(5) + `)`,
}

// Import writes r in one transaction, rows as they are.
func (s *Store) Import(ctx context.Context, r *hookd.Records) error {
	rows, hashKey, err := s.importRows(r)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		for _, k := range hookd.Kinds() {
			for _, args := range rows[k] {
				if _, err := tx.ExecContext(ctx, importStmt[k], args...); err != nil {
					return conflict(fmt.Errorf("%s: %w", k, err), "one of the %s exists", k)
				}
			}
		}
		return s.importHot(ctx, tx, r)
	})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if hashKey != nil {
		s.hashKey = hashKey
	}
	return nil
}

// importRows returns the bind arguments of importStmt for each row of r,
// secrets sealed, and the hashing key r holds, if any.
func (s *Store) importRows(r *hookd.Records) (map[hookd.Kind][][]any, []byte, error) {
	rows := map[hookd.Kind][][]any{}
	add := func(k hookd.Kind, args ...any) { rows[k] = append(rows[k], args) }
	for _, t := range r.Tenants {
		add(hookd.KindTenants, t.ID, text(t.Metadata), micros(t.CreatedAt), micros(t.UpdatedAt))
	}
	for _, t := range r.EventTypes {
		args, err := eventTypeArgs(t)
		if err != nil {
			return nil, nil, fmt.Errorf("event type %s: %w", t.Name, err)
		}
		add(hookd.KindEventTypes, args...)
	}
	var hashKey []byte
	for _, v := range r.StoreSecrets {
		sealed, err := s.cipher.Seal(v.Value, sealedColumns[2].adPrefix+v.Name)
		if err != nil {
			return nil, nil, fmt.Errorf("store secret %s: %w", v.Name, err)
		}
		if v.Name == hashKeyName {
			hashKey = v.Value
		}
		add(hookd.KindStoreSecrets, v.Name, sealed, micros(v.CreatedAt))
	}
	for _, k := range r.APIKeys {
		add(hookd.KindAPIKeys, k.ID, k.Name, k.Prefix, k.Scope, boolInt(k.ReadOnly), micros(k.ExpiresAt),
			micros(k.CreatedAt), micros(k.LastUsedAt), k.Hash, boolInt(k.Legacy))
	}
	for _, t := range r.PortalTokens {
		caps, _ := json.Marshal(t.Capabilities)
		add(hookd.KindPortalTokens, t.Hash, t.ID, t.TenantID, string(caps), micros(t.ExpiresAt), micros(t.CreatedAt))
	}
	if err := s.importConfigRows(r, add); err != nil {
		return nil, nil, err
	}
	return rows, hashKey, nil
}

// importConfigRows adds the rows of endpoints, sources, retry jobs and
// idempotency keys.
func (s *Store) importConfigRows(r *hookd.Records, add func(hookd.Kind, ...any)) error {
	for _, e := range r.Endpoints {
		args, err := s.endpointArgs(e)
		if err != nil {
			return fmt.Errorf("endpoint %s: %w", e.ID, err)
		}
		add(hookd.KindEndpoints, args...)
	}
	for _, src := range r.Sources {
		spec, err := s.seal(src.Spec, "source-spec:"+src.ID)
		if err != nil {
			return fmt.Errorf("source %s: %w", src.ID, err)
		}
		add(hookd.KindSources, src.ID, src.Description, spec, micros(src.CreatedAt), micros(src.UpdatedAt))
	}
	for _, j := range r.RetryJobs {
		add(hookd.KindRetryJobs, j.ID, j.TenantID, encodeJobFilter(j.Filter), j.Status, j.Total, j.Queued, j.Cursor,
			j.Error, nullable(j.LeaseOwner), leaseUntil(j.LeaseOwner, j.LeaseUntil), micros(j.CreatedAt), micros(j.UpdatedAt), micros(j.FinishedAt))
	}
	for _, k := range r.IdempotencyKeys {
		ref, err := s.sealKeptReply(k)
		if err != nil {
			return err
		}
		add(hookd.KindIdempotencyKeys, k.Scope, k.Key, ref, blob(k.Fingerprint), micros(k.CreatedAt))
	}
	return nil
}

// importHot writes the events, deliveries, attempts and requests of r with
// the group commit's multi-row inserts.
func (s *Store) importHot(ctx context.Context, tx *sql.Tx, r *hookd.Records) error {
	c := &committer{ctx: ctx, tx: tx, st: &s.stmts, now: s.now()}
	for _, e := range r.Events {
		if err := c.writeEvent(&hookd.EventWrite{Event: e}); err != nil {
			return err
		}
	}
	for _, d := range r.Deliveries {
		if err := c.writeDelivery(&hookd.Event{ID: d.EventID, TenantID: d.TenantID}, d); err != nil {
			return err
		}
	}
	for _, a := range r.Attempts {
		if err := c.writeAttempt(a); err != nil {
			return err
		}
	}
	for _, q := range r.Requests {
		if _, err := c.writeRequest(&hookd.RequestWrite{Request: q}); err != nil {
			return err
		}
	}
	if err := c.flush(); err != nil {
		return err
	}
	return nil
}

// tableNames lists the tables of the schema.
func (s *Store) tableNames(ctx context.Context) ([]string, error) {
	names, err := list(ctx, s.rdb, func(r scanner) (string, error) {
		var n string
		return n, r.Scan(&n)
	}, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	return names, wrap(err, "list tables")
}

package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

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
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+string(kind)).Scan(&n)
	return n, wrap(err, "count "+string(kind))
}

// Export yields the rows of kind in pages of at most size rows, by key.
func (s *Store) Export(ctx context.Context, kind hookd.Kind, size int) iter.Seq2[*hookd.Records, error] {
	size = max(size, 1)
	id := func(id string) []any { return []any{id} }
	switch kind {
	case hookd.KindTenants:
		return exportKind(ctx, s.pool, size, kind, tenantCols, "id", scanTenant,
			func(t *hookd.Tenant) []any { return id(t.ID) }, func(r *hookd.Records, v []*hookd.Tenant) { r.Tenants = v })
	case hookd.KindEventTypes:
		return exportKind(ctx, s.pool, size, kind, eventTypeCols, "name", scanEventType,
			func(t *hookd.EventType) []any { return id(t.Name) }, func(r *hookd.Records, v []*hookd.EventType) { r.EventTypes = v })
	case hookd.KindStoreSecrets:
		return exportKind(ctx, s.pool, size, kind, `name, value, created_at`, "name", s.scanStoreSecret,
			func(v *hookd.StoreSecret) []any { return id(v.Name) }, func(r *hookd.Records, v []*hookd.StoreSecret) { r.StoreSecrets = v })
	case hookd.KindAPIKeys:
		return exportKind(ctx, s.pool, size, kind, apiKeyCols+`, hash, legacy`, "id", scanAPIKeyRecord,
			func(k *hookd.APIKeyRecord) []any { return id(k.ID) }, func(r *hookd.Records, v []*hookd.APIKeyRecord) { r.APIKeys = v })
	case hookd.KindPortalTokens:
		return exportKind(ctx, s.pool, size, kind, portalCols, "id", scanPortalRecord,
			func(t *hookd.PortalTokenRecord) []any { return id(t.ID) }, func(r *hookd.Records, v []*hookd.PortalTokenRecord) { r.PortalTokens = v })
	case hookd.KindEndpoints:
		return exportKind(ctx, s.pool, size, kind, endpointCols, "id", s.scanEndpoint,
			func(e *hookd.Endpoint) []any { return id(e.ID) }, func(r *hookd.Records, v []*hookd.Endpoint) { r.Endpoints = v })
	case hookd.KindSources:
		return exportKind(ctx, s.pool, size, kind, sourceCols, "id", s.scanSource,
			func(v *hookd.Source) []any { return id(v.ID) }, func(r *hookd.Records, v []*hookd.Source) { r.Sources = v })
	case hookd.KindRetryJobs:
		return exportKind(ctx, s.pool, size, kind, retryJobCols, "id", scanRetryJob,
			func(j *hookd.RetryJob) []any { return id(j.ID) }, func(r *hookd.Records, v []*hookd.RetryJob) { r.RetryJobs = v })
	}
	return s.exportHot(ctx, kind, size)
}

// exportHot is Export of the kinds the group commit writes.
func (s *Store) exportHot(ctx context.Context, kind hookd.Kind, size int) iter.Seq2[*hookd.Records, error] {
	id := func(id string) []any { return []any{id} }
	switch kind {
	case hookd.KindEvents:
		return exportKind(ctx, s.pool, size, kind, eventCols, "id", scanEvent,
			func(e *hookd.Event) []any { return id(e.ID) }, func(r *hookd.Records, v []*hookd.Event) { r.Events = v })
	case hookd.KindDeliveries:
		return exportKind(ctx, s.pool, size, kind, deliveryCols, "id", scanDelivery,
			func(d *hookd.Delivery) []any { return id(d.ID) }, func(r *hookd.Records, v []*hookd.Delivery) { r.Deliveries = v })
	case hookd.KindAttempts:
		return exportKind(ctx, s.pool, size, kind, attemptCols, "id", scanAttempt,
			func(a *hookd.Attempt) []any { return id(a.ID) }, func(r *hookd.Records, v []*hookd.Attempt) { r.Attempts = v })
	case hookd.KindIdempotencyKeys:
		return exportKind(ctx, s.pool, size, kind, keyCols, "scope, key", s.scanKey,
			func(k *hookd.IdempotencyKey) []any { return []any{k.Scope, k.Key} },
			func(r *hookd.Records, v []*hookd.IdempotencyKey) { r.IdempotencyKeys = v })
	case hookd.KindRequests:
		return exportKind(ctx, s.pool, size, kind, requestCols, "id", scanRequest,
			func(q *hookd.Request) []any { return id(q.ID) }, func(r *hookd.Records, v []*hookd.Request) { r.Requests = v })
	}
	return func(yield func(*hookd.Records, error) bool) {
		yield(nil, hookd.Errorf(hookd.EINVALID, "unknown kind %q", kind))
	}
}

// params returns n numbered placeholders from $from.
func params(from, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(ps, ", ")
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
				query += ` WHERE (` + keys + `) > (` + params(1, len(after)) + `)`
				args = append(args, after...)
			}
			query += ` ORDER BY ` + keys + ` LIMIT $` + strconv.Itoa(len(args)+1)
			rows, err := list(ctx, q, scan, query, append(args, size)...)
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
		v      hookd.StoreSecret
		sealed []byte
	)
	if err := r.Scan(&v.Name, &sealed, &v.CreatedAt); err != nil {
		return nil, err
	}
	plain, err := s.unseal(sealed, sealedColumns[2].adPrefix+v.Name)
	if err != nil {
		return nil, fmt.Errorf("store secret %s: %w", v.Name, err)
	}
	v.Value, v.CreatedAt = plain, v.CreatedAt.UTC()
	return &v, nil
}

func scanAPIKeyRecord(r scanner) (*hookd.APIKeyRecord, error) {
	var rec hookd.APIKeyRecord
	k, _, err := scanAPIKeyHash(scanFunc(func(dst ...any) error {
		return r.Scan(append(dst, &rec.Hash, &rec.Legacy)...)
	}), false)
	if err != nil {
		return nil, err
	}
	rec.APIKey = *k
	return &rec, nil
}

// scanFunc adapts a function to scanner.
type scanFunc func(dst ...any) error

func (f scanFunc) Scan(dst ...any) error { return f(dst...) }

const portalCols = `hash, id, tenant_id, capabilities, expires_at, created_at`

func scanPortalRecord(r scanner) (*hookd.PortalTokenRecord, error) {
	var (
		t    hookd.PortalTokenRecord
		caps []byte
	)
	if err := r.Scan(&t.Hash, &t.ID, &t.TenantID, &caps, &t.ExpiresAt, &t.CreatedAt); err != nil {
		return nil, err
	}
	t.ExpiresAt, t.CreatedAt = t.ExpiresAt.UTC(), t.CreatedAt.UTC()
	if err := json.Unmarshal(caps, &t.Capabilities); err != nil {
		return nil, fmt.Errorf("portal token %s: capabilities: %w", t.ID, err)
	}
	return &t, nil
}

// scanKey reads an idempotency key, with the reply kept for an API
// request opened.
func (s *Store) scanKey(r scanner) (*hookd.IdempotencyKey, error) {
	var k hookd.IdempotencyKey
	if err := r.Scan(&k.Scope, &k.Key, &k.RefID, &k.Fingerprint, &k.CreatedAt); err != nil {
		return nil, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	return &k, s.openKeptReply(&k)
}

// Clear deletes every row of every kind but the default tenant and the
// store secrets, in one transaction.
func (s *Store) Clear(ctx context.Context) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		var tables []string
		for _, k := range hookd.Kinds() {
			if k != hookd.KindTenants && k != hookd.KindStoreSecrets {
				tables = append(tables, string(k))
			}
		}
		if _, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(tables, ", ")); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM tenants WHERE id <> $1`, hookd.DefaultTenant)
		return err
	})
	return wrap(err, "clear store")
}

// importStmt is the statement that writes one row of a kind other than
// those of the group commit.
var importStmt = map[hookd.Kind]string{
	hookd.KindTenants: `INSERT INTO tenants (` + tenantCols + `) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET metadata = excluded.metadata, created_at = excluded.created_at,
			updated_at = excluded.updated_at`,
	hookd.KindEventTypes: insertEventType,
	hookd.KindStoreSecrets: `INSERT INTO store_secrets (name, value, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at`,
	hookd.KindAPIKeys:         `INSERT INTO api_keys (` + apiKeyCols + `, hash, legacy) VALUES (` + params(1, 10) + `)`,
	hookd.KindPortalTokens:    `INSERT INTO portal_tokens (` + portalCols + `) VALUES (` + params(1, 6) + `)`,
	hookd.KindEndpoints:       `INSERT INTO endpoints (` + endpointCols + `) VALUES (` + params(1, 25) + `)`,
	hookd.KindSources:         `INSERT INTO sources (` + sourceCols + `) VALUES (` + params(1, 5) + `)`,
	hookd.KindRetryJobs:       `INSERT INTO retry_jobs (` + retryJobCols + `) VALUES (` + params(1, 13) + `)`,
	hookd.KindIdempotencyKeys: `INSERT INTO idempotency_keys (` + keyCols + `) VALUES (` + params(1, 5) + `)`,
}

// Import writes r in one transaction, rows as they are: one pipelined
// round trip of a statement per row, and one statement per table for the
// kinds of the group commit.
func (s *Store) Import(ctx context.Context, r *hookd.Records) error {
	var (
		batch   pgx.Batch
		whats   []hookd.Kind
		hashKey []byte
		err     error
	)
	queue := func(k hookd.Kind, sql string, args ...any) {
		batch.Queue(sql, args...)
		whats = append(whats, k)
	}
	if hashKey, err = s.importRows(r, queue); err == nil {
		err = importHot(r, queue)
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	err = s.write(ctx, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, &batch)
		for _, k := range whats {
			if _, err := br.Exec(); err != nil {
				_ = br.Close()
				return conflict(fmt.Errorf("%s: %w", k, err), "one of the %s exists", k)
			}
		}
		return br.Close()
	})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if hashKey != nil {
		s.hashKey = hashKey
	}
	return nil
}

// importRows queues a statement per row of the kinds other than those of
// the group commit, secrets sealed, and returns the hashing key r holds,
// if any.
func (s *Store) importRows(r *hookd.Records, queue func(hookd.Kind, string, ...any)) ([]byte, error) {
	add := func(k hookd.Kind, args ...any) { queue(k, importStmt[k], args...) }
	for _, t := range r.Tenants {
		add(hookd.KindTenants, t.ID, jsonText(t.Metadata), t.CreatedAt, t.UpdatedAt)
	}
	for _, t := range r.EventTypes {
		args, err := eventTypeArgs(t)
		if err != nil {
			return nil, fmt.Errorf("event type %s: %w", t.Name, err)
		}
		add(hookd.KindEventTypes, args...)
	}
	var hashKey []byte
	for _, v := range r.StoreSecrets {
		sealed, err := s.opts.Cipher.Seal(v.Value, sealedColumns[2].adPrefix+v.Name)
		if err != nil {
			return nil, fmt.Errorf("store secret %s: %w", v.Name, err)
		}
		if v.Name == hashKeyName {
			hashKey = v.Value
		}
		add(hookd.KindStoreSecrets, v.Name, sealed, v.CreatedAt)
	}
	for _, k := range r.APIKeys {
		add(hookd.KindAPIKeys, k.ID, k.Name, k.Prefix, k.Scope, k.ReadOnly, ts(k.ExpiresAt), k.CreatedAt,
			ts(k.LastUsedAt), k.Hash, k.Legacy)
	}
	for _, t := range r.PortalTokens {
		caps, _ := json.Marshal(t.Capabilities)
		add(hookd.KindPortalTokens, t.Hash, t.ID, t.TenantID, string(caps), t.ExpiresAt, t.CreatedAt)
	}
	return hashKey, s.importConfigRows(r, add)
}

// importConfigRows queues the rows of endpoints, sources, retry jobs and
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
		add(hookd.KindSources, src.ID, src.Description, spec, src.CreatedAt, src.UpdatedAt)
	}
	for _, j := range r.RetryJobs {
		until := pgtype.Timestamptz{}
		if j.LeaseOwner != "" {
			until = ts(j.LeaseUntil)
		}
		add(hookd.KindRetryJobs, j.ID, j.TenantID, encodeJobFilter(j.Filter), j.Status, j.Total, j.Queued, j.Cursor,
			j.Error, nullable(j.LeaseOwner), until, ts(j.CreatedAt), ts(j.UpdatedAt), ts(j.FinishedAt))
	}
	for _, k := range r.IdempotencyKeys {
		ref, err := s.sealKeptReply(k)
		if err != nil {
			return err
		}
		add(hookd.KindIdempotencyKeys, k.Scope, k.Key, ref, k.Fingerprint, k.CreatedAt)
	}
	return nil
}

// importHot queues the events, deliveries, attempts and requests of r as
// the group commit writes them: one statement per table.
func importHot(r *hookd.Records, queue func(hookd.Kind, string, ...any)) error {
	var (
		events   eventRows
		dlvs     deliveryRows
		attempts attemptRows
		requests requestRows
	)
	for _, e := range r.Events {
		if err := events.add(e); err != nil {
			return err
		}
	}
	for _, d := range r.Deliveries {
		dlvs.add(d)
	}
	for _, a := range r.Attempts {
		if err := attempts.add(a, a.StartedAt); err != nil {
			return err
		}
	}
	for _, q := range r.Requests {
		if err := requests.add(q); err != nil {
			return err
		}
	}
	if events.len() > 0 {
		queue(hookd.KindEvents, insertEventsSQL, events.args()...)
	}
	if dlvs.len() > 0 {
		queue(hookd.KindDeliveries, insertDeliveriesSQL, dlvs.args()...)
	}
	if attempts.len() > 0 {
		queue(hookd.KindAttempts, insertAttemptsSQL, attempts.args()...)
	}
	if requests.len() > 0 {
		queue(hookd.KindRequests, insertRequestsSQL, requests.args()...)
	}
	return nil
}

// tableNames lists the tables of the store's schema.
func (s *Store) tableNames(ctx context.Context) ([]string, error) {
	names, err := list(ctx, s.pool, func(r scanner) (string, error) {
		var n string
		return n, r.Scan(&n)
	}, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	return names, wrap(err, "list tables")
}

package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

const tenantCols = `id, metadata, created_at, updated_at`

func scanTenant(r scanner) (*hookd.Tenant, error) {
	var (
		t    hookd.Tenant
		meta []byte
	)
	if err := r.Scan(&t.ID, &meta, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	t.Metadata = rawJSON(meta)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return &t, nil
}

// PutTenant creates the tenant or replaces its metadata, in one
// statement: two nodes putting the same tenant at once both succeed, and
// exactly one reports it created.
func (s *Store) PutTenant(ctx context.Context, t *hookd.Tenant) (bool, error) {
	now := s.now()
	var (
		created   bool
		createdAt time.Time
	)
	err := s.pool.QueryRow(ctx, `INSERT INTO tenants (`+tenantCols+`) VALUES ($1, $2, $3, $3)
		ON CONFLICT (id) DO UPDATE SET metadata = excluded.metadata, updated_at = excluded.updated_at
		RETURNING created_at, xmax = 0`, t.ID, jsonText(t.Metadata), now).Scan(&createdAt, &created)
	if err != nil {
		return false, fmt.Errorf("put tenant: %w", unavailable(err))
	}
	t.CreatedAt, t.UpdatedAt = createdAt.UTC(), now
	return created, nil
}

// GetTenant returns the tenant, or ENOTFOUND.
func (s *Store) GetTenant(ctx context.Context, id string) (*hookd.Tenant, error) {
	t, err := scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`, id))
	if err != nil {
		return nil, wrap(tenantNotFound(err, id), "get tenant")
	}
	return t, nil
}

// ListTenants lists tenants by id, descending.
func (s *Store) ListTenants(ctx context.Context, p hookd.Page) ([]*hookd.Tenant, string, error) {
	var w where
	if err := w.page("id", p); err != nil {
		return nil, "", err
	}
	size := p.Size()
	ts, err := list(ctx, s.pool, scanTenant,
		`SELECT `+tenantCols+` FROM tenants`+w.String()+` ORDER BY id DESC LIMIT `+w.next(), append(w.args, size+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list tenants: %w", err)
	}
	ts, next := hookd.NextPage(ts, size, func(t *hookd.Tenant) string { return t.ID })
	return ts, next, nil
}

// DeleteTenant deletes the tenant with its endpoints (by foreign key), its
// events with their deliveries and attempts, and its publish idempotency
// keys.
func (s *Store) DeleteTenant(ctx context.Context, id string) error {
	if id == hookd.DefaultTenant {
		return hookd.Errorf(hookd.EINVALID, "the default tenant cannot be deleted")
	}
	err := s.write(ctx, func(tx pgx.Tx) error {
		err := execOne(ctx, tx, `DELETE FROM tenants WHERE id = $1`, hookd.TenantNotFound(id), id)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM attempts WHERE delivery_id IN (SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id
				WHERE e.tenant_id = $1)`,
			`DELETE FROM deliveries WHERE event_id IN (SELECT id FROM events WHERE tenant_id = $1)`,
			`DELETE FROM events WHERE tenant_id = $1`,
			`DELETE FROM idempotency_keys WHERE scope = 'evt:' || $1`,
		} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(err, "delete tenant")
}

const eventTypeCols = `name, description, group_name, schema, examples, deprecated, method, created_at, updated_at`

func scanEventType(r scanner) (*hookd.EventType, error) {
	var (
		t                hookd.EventType
		schema, examples []byte
		methods          string
	)
	err := r.Scan(&t.Name, &t.Description, &t.Group, &schema, &examples, &t.Deprecated, &methods,
		&t.CreatedAt, &t.UpdatedAt)
	if err != nil {
		return nil, err
	}
	t.Schema, t.Methods = rawJSON(schema), hookd.SplitMethods(methods)
	if err := decodeJSON(examples, &t.Examples); err != nil {
		return nil, fmt.Errorf("event type %s: examples: %w", t.Name, err)
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return &t, nil
}

// eventTypeArgs returns the bind arguments of eventTypeCols.
func eventTypeArgs(t *hookd.EventType) ([]any, error) {
	examples, err := encodeJSON(t.Examples)
	if err != nil {
		return nil, fmt.Errorf("examples: %w", err)
	}
	return []any{t.Name, t.Description, t.Group, jsonText(t.Schema), examples, t.Deprecated, strings.Join(t.Methods, ","),
		t.CreatedAt, t.UpdatedAt}, nil
}

const insertEventType = `INSERT INTO event_types (` + eventTypeCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// CreateEventType adds an event type, or fails with ECONFLICT.
func (s *Store) CreateEventType(ctx context.Context, t *hookd.EventType) error {
	now := s.now()
	c := *t
	c.CreatedAt, c.UpdatedAt = now, now
	args, err := eventTypeArgs(&c)
	if err != nil {
		return fmt.Errorf("create event type: %w", err)
	}
	if _, err := s.pool.Exec(ctx, insertEventType, args...); err != nil {
		return fmt.Errorf("create event type: %w", conflict(err, "event type %q exists", t.Name))
	}
	t.CreatedAt, t.UpdatedAt = now, now
	return nil
}

// PutEventType creates or replaces an event type; a replaced one keeps its
// CreatedAt.
func (s *Store) PutEventType(ctx context.Context, t *hookd.EventType) error {
	now := s.now()
	c := *t
	c.CreatedAt, c.UpdatedAt = now, now
	args, err := eventTypeArgs(&c)
	if err != nil {
		return fmt.Errorf("put event type: %w", unavailable(err))
	}
	var created time.Time
	err = s.pool.QueryRow(ctx, insertEventType+`
		ON CONFLICT (name) DO UPDATE SET description = excluded.description, group_name = excluded.group_name,
			schema = excluded.schema, examples = excluded.examples, deprecated = excluded.deprecated,
			method = excluded.method, updated_at = excluded.updated_at
		RETURNING created_at`, args...).Scan(&created)
	if err != nil {
		return fmt.Errorf("put event type: %w", unavailable(err))
	}
	t.CreatedAt, t.UpdatedAt = created.UTC(), now
	return nil
}

// GetEventType returns the event type, or ENOTFOUND.
func (s *Store) GetEventType(ctx context.Context, name string) (*hookd.EventType, error) {
	t, err := scanEventType(s.pool.QueryRow(ctx, `SELECT `+eventTypeCols+` FROM event_types WHERE name = $1`, name))
	if err != nil {
		return nil, wrap(notFound(err, "event type %q not found", name), "get event type")
	}
	return t, nil
}

// ListEventTypes lists every event type by name.
func (s *Store) ListEventTypes(ctx context.Context) ([]*hookd.EventType, error) {
	ts, err := list(ctx, s.pool, scanEventType, `SELECT `+eventTypeCols+` FROM event_types ORDER BY name`)
	return ts, wrap(err, "list event types")
}

// UpdateEventType replaces an event type's fields but its CreatedAt, or
// fails with ENOTFOUND.
func (s *Store) UpdateEventType(ctx context.Context, t *hookd.EventType) error {
	now := s.now()
	examples, err := encodeJSON(t.Examples)
	if err != nil {
		return fmt.Errorf("update event type: examples: %w", err)
	}
	var created time.Time
	err = s.pool.QueryRow(ctx, `UPDATE event_types SET description = $2, group_name = $3, schema = $4,
			examples = $5, deprecated = $6, method = $7, updated_at = $8
		WHERE name = $1 RETURNING created_at`,
		t.Name, t.Description, t.Group, jsonText(t.Schema), examples, t.Deprecated, strings.Join(t.Methods, ","), now).Scan(&created)
	if err != nil {
		return fmt.Errorf("update event type: %w", notFound(err, "event type %q not found", t.Name))
	}
	t.CreatedAt, t.UpdatedAt = created.UTC(), now
	return nil
}

// DeleteEventType deletes an event type, or fails with ENOTFOUND.
func (s *Store) DeleteEventType(ctx context.Context, name string) error {
	err := execOne(ctx, s.pool, `DELETE FROM event_types WHERE name = $1`,
		hookd.Errorf(hookd.ENOTFOUND, "event type %q not found", name), name)
	return wrap(err, "delete event type")
}

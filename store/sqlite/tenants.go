package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/hookd/hookd"
)

const tenantCols = `id, metadata, created_at, updated_at`

func scanTenant(r scanner) (*hookd.Tenant, error) {
	var (
		t                hookd.Tenant
		meta             []byte
		created, updated int64
	)
	if err := r.Scan(&t.ID, &meta, &created, &updated); err != nil {
		return nil, err
	}
	t.Metadata = rawJSON(meta)
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &t, nil
}

// PutTenant creates the tenant or replaces its metadata.
func (s *Store) PutTenant(ctx context.Context, t *hookd.Tenant) (bool, error) {
	now := micros(s.now())
	var created bool
	var createdAt int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT created_at FROM tenants WHERE id = ?`, t.ID).Scan(&createdAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created, createdAt = true, now
			_, err = tx.ExecContext(ctx, `INSERT INTO tenants (`+tenantCols+`) VALUES (?, ?, ?, ?)`,
				t.ID, text(t.Metadata), now, now)
		case err == nil:
			_, err = tx.ExecContext(ctx, `UPDATE tenants SET metadata = ?, updated_at = ? WHERE id = ?`,
				text(t.Metadata), now, t.ID)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("put tenant: %w", err)
	}
	t.CreatedAt, t.UpdatedAt = fromMicros(createdAt), fromMicros(now)
	return created, nil
}

// GetTenant returns the tenant, or ENOTFOUND.
func (s *Store) GetTenant(ctx context.Context, id string) (*hookd.Tenant, error) {
	t, err := scanTenant(s.rdb.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = ?`, id))
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
	ts, err := list(ctx, s.rdb, scanTenant,
		`SELECT `+tenantCols+` FROM tenants`+w.String()+` ORDER BY id DESC LIMIT ?`, append(w.args, size+1)...)
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tenants WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hookd.TenantNotFound(id)
		}
		for _, q := range []string{
			`DELETE FROM attempts WHERE delivery_id IN (SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id
				WHERE e.tenant_id = ?1)`,
			`DELETE FROM deliveries WHERE event_id IN (SELECT id FROM events WHERE tenant_id = ?1)`,
			`DELETE FROM events WHERE tenant_id = ?1`,
			`DELETE FROM idempotency_keys WHERE scope = 'evt:' || ?1`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
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
		deprecated       bool
		created, updated int64
	)
	err := r.Scan(&t.Name, &t.Description, &t.Group, &schema, &examples, &deprecated, &methods, &created, &updated)
	if err != nil {
		return nil, err
	}
	t.Schema, t.Methods = rawJSON(schema), hookd.SplitMethods(methods)
	if err := decodeJSON(examples, &t.Examples); err != nil {
		return nil, fmt.Errorf("event type %s: examples: %w", t.Name, err)
	}
	t.Deprecated = deprecated
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &t, nil
}

// eventTypeArgs returns the bind arguments of eventTypeCols.
func eventTypeArgs(t *hookd.EventType) ([]any, error) {
	examples, err := encodeJSON(t.Examples)
	if err != nil {
		return nil, fmt.Errorf("examples: %w", err)
	}
	return []any{t.Name, t.Description, t.Group, text(t.Schema), examples, boolInt(t.Deprecated), strings.Join(t.Methods, ","),
		micros(t.CreatedAt), micros(t.UpdatedAt)}, nil
}

// CreateEventType adds an event type, or fails with ECONFLICT.
func (s *Store) CreateEventType(ctx context.Context, t *hookd.EventType) error {
	now := s.now()
	c := *t
	c.CreatedAt, c.UpdatedAt = now, now
	args, err := eventTypeArgs(&c)
	if err != nil {
		return fmt.Errorf("create event type: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO event_types (`+eventTypeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		return conflict(err, "event type %q exists", t.Name)
	})
	if err != nil {
		return fmt.Errorf("create event type: %w", err)
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
		return fmt.Errorf("put event type: %w", err)
	}
	var created int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO event_types (`+eventTypeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET description = excluded.description, group_name = excluded.group_name,
				schema = excluded.schema, examples = excluded.examples, deprecated = excluded.deprecated,
				method = excluded.method, updated_at = excluded.updated_at
			RETURNING created_at`, args...).Scan(&created)
	})
	if err != nil {
		return fmt.Errorf("put event type: %w", err)
	}
	t.CreatedAt, t.UpdatedAt = fromMicros(created), now
	return nil
}

// GetEventType returns the event type, or ENOTFOUND.
func (s *Store) GetEventType(ctx context.Context, name string) (*hookd.EventType, error) {
	t, err := scanEventType(s.rdb.QueryRowContext(ctx, `SELECT `+eventTypeCols+` FROM event_types WHERE name = ?`, name))
	if err != nil {
		return nil, wrap(notFound(err, "event type %q not found", name), "get event type")
	}
	return t, nil
}

// ListEventTypes lists every event type by name.
func (s *Store) ListEventTypes(ctx context.Context) ([]*hookd.EventType, error) {
	ts, err := list(ctx, s.rdb, scanEventType, `SELECT `+eventTypeCols+` FROM event_types ORDER BY name`)
	return ts, wrap(err, "list event types")
}

// UpdateEventType replaces an event type's fields but its CreatedAt, or
// fails with ENOTFOUND.
func (s *Store) UpdateEventType(ctx context.Context, t *hookd.EventType) error {
	now := s.now()
	c := *t
	c.UpdatedAt = now
	args, err := eventTypeArgs(&c)
	if err != nil {
		return fmt.Errorf("update event type: %w", err)
	}
	var created int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE event_types SET description = ?2, group_name = ?3, schema = ?4,
				examples = ?5, deprecated = ?6, method = ?7, updated_at = ?9
			WHERE name = ?1 RETURNING created_at`, args...).Scan(&created)
		return notFound(err, "event type %q not found", t.Name)
	})
	if err != nil {
		return fmt.Errorf("update event type: %w", err)
	}
	t.CreatedAt, t.UpdatedAt = fromMicros(created), now
	return nil
}

// DeleteEventType deletes an event type, or fails with ENOTFOUND.
func (s *Store) DeleteEventType(ctx context.Context, name string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `DELETE FROM event_types WHERE name = ?`, hookd.Errorf(hookd.ENOTFOUND, "event type %q not found", name), name)
	})
	return wrap(err, "delete event type")
}

// execOne runs a statement meant to change one row, and returns missing
// when it changed none.
func execOne(ctx context.Context, tx *sql.Tx, query string, missing error, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return missing
	}
	return nil
}

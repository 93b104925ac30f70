package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/hookd/hookd"
)

const sourceCols = `id, description, spec, created_at, updated_at`

func (s *Store) scanSource(r scanner) (*hookd.Source, error) {
	var (
		src              hookd.Source
		spec             []byte
		created, updated int64
	)
	if err := r.Scan(&src.ID, &src.Description, &spec, &created, &updated); err != nil {
		return nil, err
	}
	spec, err := s.unseal(spec, "source-spec:"+src.ID)
	if err != nil {
		return nil, fmt.Errorf("source %s: spec: %w", src.ID, err)
	}
	src.Spec = rawJSON(spec)
	src.CreatedAt, src.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &src, nil
}

// CreateSource adds a source, or fails with ECONFLICT.
func (s *Store) CreateSource(ctx context.Context, src *hookd.Source) error {
	spec, err := s.seal(src.Spec, "source-spec:"+src.ID)
	if err != nil {
		return fmt.Errorf("create source: %w", err)
	}
	now := micros(s.now())
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sources (`+sourceCols+`) VALUES (?, ?, ?, ?, ?)`,
			src.ID, src.Description, spec, now, now)
		return conflict(err, "source %q exists", src.ID)
	})
	if err != nil {
		return fmt.Errorf("create source: %w", err)
	}
	src.CreatedAt, src.UpdatedAt = fromMicros(now), fromMicros(now)
	return nil
}

// PutSource creates or replaces a source; a replaced one keeps its
// CreatedAt.
func (s *Store) PutSource(ctx context.Context, src *hookd.Source) error {
	spec, err := s.seal(src.Spec, "source-spec:"+src.ID)
	if err != nil {
		return fmt.Errorf("put source: %w", err)
	}
	now := micros(s.now())
	var created int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO sources (`+sourceCols+`) VALUES (?1, ?2, ?3, ?4, ?4)
			ON CONFLICT (id) DO UPDATE SET description = excluded.description, spec = excluded.spec,
				updated_at = excluded.updated_at
			RETURNING created_at`, src.ID, src.Description, spec, now).Scan(&created)
	})
	if err != nil {
		return fmt.Errorf("put source: %w", err)
	}
	src.CreatedAt, src.UpdatedAt = fromMicros(created), fromMicros(now)
	return nil
}

// GetSource returns the source, or ENOTFOUND.
func (s *Store) GetSource(ctx context.Context, id string) (*hookd.Source, error) {
	src, err := s.scanSource(s.rdb.QueryRowContext(ctx, `SELECT `+sourceCols+` FROM sources WHERE id = ?`, id))
	if err != nil {
		return nil, wrap(notFound(err, "source %q not found", id), "get source")
	}
	return src, nil
}

// ListSources lists every source by id.
func (s *Store) ListSources(ctx context.Context) ([]*hookd.Source, error) {
	srcs, err := list(ctx, s.rdb, s.scanSource, `SELECT `+sourceCols+` FROM sources ORDER BY id`)
	return srcs, wrap(err, "list sources")
}

// UpdateSource replaces a source's description and spec, or fails with
// ENOTFOUND.
func (s *Store) UpdateSource(ctx context.Context, src *hookd.Source) error {
	spec, err := s.seal(src.Spec, "source-spec:"+src.ID)
	if err != nil {
		return fmt.Errorf("update source: %w", err)
	}
	now := micros(s.now())
	var created int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE sources SET description = ?, spec = ?, updated_at = ?
			WHERE id = ? RETURNING created_at`, src.Description, spec, now, src.ID).Scan(&created)
		return notFound(err, "source %q not found", src.ID)
	})
	if err != nil {
		return fmt.Errorf("update source: %w", err)
	}
	src.CreatedAt, src.UpdatedAt = fromMicros(created), fromMicros(now)
	return nil
}

// DeleteSource deletes a source, or fails with ENOTFOUND. Its request log
// stays until purged by age.
func (s *Store) DeleteSource(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `DELETE FROM sources WHERE id = ?`,
			hookd.Errorf(hookd.ENOTFOUND, "source %q not found", id), id)
	})
	return wrap(err, "delete source")
}

func scanRequest(r scanner) (*hookd.Request, error) {
	var (
		q        hookd.Request
		received int64
		headers  []byte
		user     sql.NullString
	)
	err := r.Scan(&q.ID, &q.SourceID, &received, &q.Method, &q.Path, &q.Query, &headers, &q.Body, &q.RemoteIP,
		&q.Status, &q.Accepted, &q.Code, &q.Reason, &q.Verified, &q.DedupeKey, &q.DuplicateOf, &user)
	if err != nil {
		return nil, err
	}
	q.ReceivedAt = fromMicros(received)
	if user.Valid {
		q.User = json.RawMessage(user.String)
	}
	if err := decodeJSON(headers, &q.Headers); err != nil {
		return nil, fmt.Errorf("request %s: headers: %w", q.ID, err)
	}
	return &q, nil
}

// GetRequest returns the source's request, or ENOTFOUND.
func (s *Store) GetRequest(ctx context.Context, sourceID, id string) (*hookd.Request, error) {
	q, err := scanRequest(s.rdb.QueryRowContext(ctx,
		`SELECT `+requestCols+` FROM requests WHERE id = ? AND source_id = ?`, id, sourceID))
	if err != nil {
		return nil, wrap(notFound(err, "request %q not found", id), "get request")
	}
	return q, nil
}

// ListRequests lists the requests f selects, newest first.
func (s *Store) ListRequests(ctx context.Context, f hookd.RequestFilter) ([]*hookd.Request, string, error) {
	var w where
	w.add("source_id = ?", f.SourceID)
	if f.Accepted != nil {
		w.add("accepted = ?", boolInt(*f.Accepted))
	}
	if f.Status != 0 {
		w.add("status = ?", f.Status)
	}
	if err := w.page("id", f.Page); err != nil {
		return nil, "", err
	}
	size := f.Size()
	qs, err := list(ctx, s.rdb, scanRequest,
		`SELECT `+requestCols+` FROM requests`+w.String()+` ORDER BY id DESC LIMIT ?`, append(w.args, size+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list requests: %w", err)
	}
	qs, next := hookd.NextPage(qs, size, func(q *hookd.Request) string { return q.ID })
	return qs, next, nil
}

// PruneRejected deletes all but the newest keep rejected requests of a
// source.
func (s *Store) PruneRejected(ctx context.Context, sourceID string, keep int) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM requests WHERE id IN (
			SELECT id FROM requests WHERE source_id = ? AND accepted = 0
			ORDER BY id DESC LIMIT -1 OFFSET ?)`, sourceID, max(keep, 0))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune rejected requests: %w", err)
	}
	return n, nil
}

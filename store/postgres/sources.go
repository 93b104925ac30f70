package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookd/hookd"
)

const sourceCols = `id, description, spec, created_at, updated_at`

func (s *Store) scanSource(r scanner) (*hookd.Source, error) {
	var (
		src  hookd.Source
		spec []byte
	)
	if err := r.Scan(&src.ID, &src.Description, &spec, &src.CreatedAt, &src.UpdatedAt); err != nil {
		return nil, err
	}
	spec, err := s.unseal(spec, "source-spec:"+src.ID)
	if err != nil {
		return nil, fmt.Errorf("source %s: spec: %w", src.ID, err)
	}
	src.Spec = rawJSON(spec)
	src.CreatedAt, src.UpdatedAt = src.CreatedAt.UTC(), src.UpdatedAt.UTC()
	return &src, nil
}

// CreateSource adds a source, or fails with ECONFLICT.
func (s *Store) CreateSource(ctx context.Context, src *hookd.Source) error {
	spec, err := s.seal(src.Spec, "source-spec:"+src.ID)
	if err != nil {
		return fmt.Errorf("create source: %w", err)
	}
	now := s.now()
	_, err = s.pool.Exec(ctx, `INSERT INTO sources (`+sourceCols+`) VALUES ($1, $2, $3, $4, $4)`,
		src.ID, src.Description, spec, now)
	if err != nil {
		return fmt.Errorf("create source: %w", conflict(err, "source %q exists", src.ID))
	}
	src.CreatedAt, src.UpdatedAt = now, now
	return nil
}

// PutSource creates or replaces a source; a replaced one keeps its
// CreatedAt.
func (s *Store) PutSource(ctx context.Context, src *hookd.Source) error {
	spec, err := s.seal(src.Spec, "source-spec:"+src.ID)
	if err != nil {
		return fmt.Errorf("put source: %w", err)
	}
	now := s.now()
	var created time.Time
	err = s.pool.QueryRow(ctx, `INSERT INTO sources (`+sourceCols+`) VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (id) DO UPDATE SET description = excluded.description, spec = excluded.spec,
			updated_at = excluded.updated_at
		RETURNING created_at`, src.ID, src.Description, spec, now).Scan(&created)
	if err != nil {
		return fmt.Errorf("put source: %w", unavailable(err))
	}
	src.CreatedAt, src.UpdatedAt = created.UTC(), now
	return nil
}

// GetSource returns the source, or ENOTFOUND.
func (s *Store) GetSource(ctx context.Context, id string) (*hookd.Source, error) {
	src, err := s.scanSource(s.pool.QueryRow(ctx, `SELECT `+sourceCols+` FROM sources WHERE id = $1`, id))
	if err != nil {
		return nil, wrap(notFound(err, "source %q not found", id), "get source")
	}
	return src, nil
}

// ListSources lists every source by id.
func (s *Store) ListSources(ctx context.Context) ([]*hookd.Source, error) {
	srcs, err := list(ctx, s.pool, s.scanSource, `SELECT `+sourceCols+` FROM sources ORDER BY id`)
	return srcs, wrap(err, "list sources")
}

// UpdateSource replaces a source's description and spec, or fails with
// ENOTFOUND.
func (s *Store) UpdateSource(ctx context.Context, src *hookd.Source) error {
	spec, err := s.seal(src.Spec, "source-spec:"+src.ID)
	if err != nil {
		return fmt.Errorf("update source: %w", err)
	}
	now := s.now()
	var created time.Time
	err = s.pool.QueryRow(ctx, `UPDATE sources SET description = $1, spec = $2, updated_at = $3
		WHERE id = $4 RETURNING created_at`, src.Description, spec, now, src.ID).Scan(&created)
	if err != nil {
		return fmt.Errorf("update source: %w", notFound(err, "source %q not found", src.ID))
	}
	src.CreatedAt, src.UpdatedAt = created.UTC(), now
	return nil
}

// DeleteSource deletes a source, or fails with ENOTFOUND. Its request log
// stays until purged by age.
func (s *Store) DeleteSource(ctx context.Context, id string) error {
	err := execOne(ctx, s.pool, `DELETE FROM sources WHERE id = $1`,
		hookd.Errorf(hookd.ENOTFOUND, "source %q not found", id), id)
	return wrap(err, "delete source")
}

func scanRequest(r scanner) (*hookd.Request, error) {
	var (
		q       hookd.Request
		headers []byte
		user    *string
	)
	err := r.Scan(&q.ID, &q.SourceID, &q.ReceivedAt, &q.Method, &q.Path, &q.Query, &headers, &q.Body, &q.RemoteIP,
		&q.Status, &q.Accepted, &q.Code, &q.Reason, &q.Verified, &q.DedupeKey, &q.DuplicateOf, &user)
	if user != nil {
		q.User = json.RawMessage(*user)
	}
	if err != nil {
		return nil, err
	}
	q.ReceivedAt = q.ReceivedAt.UTC()
	if err := decodeJSON(headers, &q.Headers); err != nil {
		return nil, fmt.Errorf("request %s: headers: %w", q.ID, err)
	}
	return &q, nil
}

// GetRequest returns the source's request, or ENOTFOUND.
func (s *Store) GetRequest(ctx context.Context, sourceID, id string) (*hookd.Request, error) {
	q, err := scanRequest(s.pool.QueryRow(ctx,
		`SELECT `+requestCols+` FROM requests WHERE id = $1 AND source_id = $2`, id, sourceID))
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
		w.add("accepted = ?", *f.Accepted)
	}
	if f.Status != 0 {
		w.add("status = ?", f.Status)
	}
	if err := w.page("id", f.Page); err != nil {
		return nil, "", err
	}
	size := f.Size()
	qs, err := list(ctx, s.pool, scanRequest,
		`SELECT `+requestCols+` FROM requests`+w.String()+` ORDER BY id DESC LIMIT `+w.next(), append(w.args, size+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list requests: %w", err)
	}
	qs, next := hookd.NextPage(qs, size, func(q *hookd.Request) string { return q.ID })
	return qs, next, nil
}

// PruneRejected deletes all but the newest keep rejected requests of a
// source.
func (s *Store) PruneRejected(ctx context.Context, sourceID string, keep int) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM requests WHERE id IN (
		SELECT id FROM requests WHERE source_id = $1 AND NOT accepted
		ORDER BY id DESC OFFSET $2)`, sourceID, max(keep, 0))
	if err != nil {
		return 0, fmt.Errorf("prune rejected requests: %w", unavailable(err))
	}
	return tag.RowsAffected(), nil
}

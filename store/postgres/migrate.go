package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies the embedded migrations. A goose session locker holds a
// PostgreSQL advisory lock for the whole run, so nodes that start together
// migrate one after the other: the first applies the migrations, the
// others find nothing left to do.
func (s *Store) migrate(ctx context.Context) error {
	return s.withProvider(ctx, func(p *goose.Provider) error {
		res, err := p.Up(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if f := s.opts.MigratedFunc; f != nil {
			for _, r := range res {
				f(r.Source.Version, path.Base(r.Source.Path))
			}
		}
		return nil
	})
}

// lockHeld reports whether another session holds the migration lock of
// schema, so that a caller can say it waits rather than seem to hang.
func (s *Store) lockHeld(ctx context.Context, schema string) (bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Release()
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, lockID(schema)).Scan(&got); err != nil {
		return false, fmt.Errorf("migration lock: %w", err)
	}
	if got {
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, lockID(schema)); err != nil {
			conn.Conn().Close(ctx) // closing the session frees the lock
			return false, fmt.Errorf("migration lock: %w", err)
		}
	}
	return !got, nil
}

// checkSchema fails unless every migration has been applied.
func (s *Store) checkSchema(ctx context.Context) error {
	return s.withProvider(ctx, func(p *goose.Provider) error {
		current, target, err := p.GetVersions(ctx)
		if err != nil {
			return fmt.Errorf("check schema version: %w", err)
		}
		if current < target {
			return fmt.Errorf("the database schema is at version %d and this hookd needs %d: run \"hookd migrate\"", current, target)
		}
		return nil
	})
}

// withProvider calls fn with a goose provider over the pool, whose
// migrations take the migration lock of the current schema.
func (s *Store) withProvider(ctx context.Context, fn func(*goose.Provider) error) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	schema, err := s.currentSchema(ctx)
	if err != nil {
		return err
	}
	if s.opts.LockWaitFunc != nil {
		held, err := s.lockHeld(ctx, schema)
		if err != nil {
			return err
		}
		if held {
			s.opts.LockWaitFunc()
		}
	}
	// Probe every second for up to 5 minutes: a migration of another node
	// is short, and a second is the locker's finest period.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(schema)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return fn(p)
}

// currentSchema returns the schema the tables are created in: the first
// existing schema of the search path.
func (s *Store) currentSchema(ctx context.Context) (string, error) {
	var schema *string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return "", fmt.Errorf("current schema: %w", err)
	}
	if schema == nil {
		return "", errors.New("no schema of the search_path exists: create it first")
	}
	return *schema, nil
}

// lockID is the advisory lock that serialises migrations of one schema.
// Advisory locks are per database; deriving the id from the schema lets
// several hookd installations (or tests) share a database, each in its
// own schema, without waiting for each other.
func lockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("hookd migrations\x00" + schema))
	return int64(h.Sum64() >> 1) // non-negative, for readability in pg_locks
}

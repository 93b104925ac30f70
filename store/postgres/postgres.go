// Package postgres is hookd's scale-out store: several hookd nodes share
// one PostgreSQL database (pgx v5, a pgxpool connection pool), and split
// the deliveries between them through leases.
//
// Every transaction commits with synchronous_commit=on, so a write is
// durable (flushed to the server's WAL) when a method returns nil. Commit
// writes a whole group-commit batch in one transaction of a few
// statements, each inserting or updating all its rows at once from arrays
// (unnest). ClaimDeliveries takes free due deliveries with FOR UPDATE SKIP
// LOCKED, so that claiming nodes never wait for, nor take, each other's
// rows.
//
// The schema is applied at Open by embedded goose migrations, under a
// PostgreSQL advisory lock so that nodes starting together apply them
// once. The database (and schema, through the search_path URL parameter)
// must exist; the tables are created in the first schema of the search
// path.
//
// Unlike the SQLite store, Open frees no leases: other nodes may be alive
// and sending. The deliveries of a node that died are claimed once their
// leases lapse.
//
// The store implements hookd.DueNotifier with LISTEN/NOTIFY, and
// hookd.NodeRegistry with a table of node heartbeats.
//
// Secrets (endpoint secrets, source specs, the API-key hashing key) are
// sealed under Options.Cipher before they reach the database.
//
// Times are kept to the microsecond and returned in UTC.
package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
)

var (
	_ hookd.Store        = (*Store)(nil)
	_ hookd.DueNotifier  = (*Store)(nil)
	_ hookd.NodeRegistry = (*Store)(nil)
)

// Options tunes a Store. The zero value is the default.
type Options struct {
	// NowFunc returns the current time, used for the timestamps the store
	// sets itself (CreatedAt, UpdatedAt, defaults in Commit). Nil means
	// time.Now.
	NowFunc func() time.Time
	// MaxConns is the size of the connection pool. Zero means the
	// pool_max_conns parameter of the URL if it has one, else
	// max(4, 2×GOMAXPROCS). The LISTEN connection of DueNotify comes on
	// top.
	MaxConns int32
	// SkipMigrations makes Open check that the schema is up to date
	// instead of migrating it (for deployments that run "hookd migrate"
	// as a separate step). Default false: Open applies the migrations.
	SkipMigrations bool
	// Logger receives what the background LISTEN connection cannot return
	// to a caller (its reconnections). Nil means slog.Default().
	Logger *slog.Logger
	// Cipher seals the secrets kept at rest (endpoint secrets, source
	// specs, the API-key hashing key). Required: every node of one
	// database needs the same master key.
	Cipher *secrets.Cipher
	// MigratedFunc, when set, is called by Open for each migration it
	// applies, in order, with its version and file name. Default: none.
	MigratedFunc func(version int64, name string)
	// LockWaitFunc, when set, is called by Open when another process holds
	// the migration lock, before it waits for its turn. Default: none.
	LockWaitFunc func()
}

func (o Options) withDefaults() Options {
	if o.NowFunc == nil {
		o.NowFunc = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// DefaultMaxConns is the pool size when neither Options.MaxConns nor the
// URL sets one.
func DefaultMaxConns() int32 {
	return int32(max(4, 2*runtime.GOMAXPROCS(0)))
}

// Store is a hookd.Store on a PostgreSQL database. It is safe for
// concurrent use.
type Store struct {
	pool *pgxpool.Pool
	opts Options
	// token is the payload of this store's notifications, so that its
	// own listener ignores them.
	token  string
	notify *notifier

	hashKey []byte // API-key hashing key, opened from store_secrets

	closeOnce sync.Once
	closeErr  error
}

// Open connects to the database at dsn (a postgres:// URL or a libpq
// keyword/value string), applies the migrations (unless
// opts.SkipMigrations) and returns the store. It fails when the server
// cannot be reached.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if opts.Cipher == nil {
		return nil, fmt.Errorf("open postgres store: Options.Cipher is required (the master key of the secrets at rest)")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	params := cfg.ConnConfig.RuntimeParams
	params["synchronous_commit"] = "on" // durable before ack, whatever the server's default
	if params["application_name"] == "" {
		params["application_name"] = "hookd"
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(dsn, "pool_max_conns"):
		cfg.MaxConns = DefaultMaxConns()
	}
	s := &Store{opts: opts, token: newToken()}
	s.notify = newNotifier(cfg.ConnConfig.Copy(), s.token, opts.Logger)
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := s.open(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open postgres store %s: %w", redact(cfg.ConnConfig), err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	var err error
	if s.opts.SkipMigrations {
		err = s.checkSchema(ctx)
	} else {
		err = s.migrate(ctx)
	}
	if err != nil {
		return err
	}
	return s.initSecrets(ctx)
}

// redact names the database without credentials, for errors.
func redact(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

func newToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// Close stops the LISTEN connection, closes the channel DueNotify
// returned and closes the pool. It waits for connections in use to be
// released.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.notify.close()
		if s.pool != nil {
			s.pool.Close()
		}
	})
	return s.closeErr
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return wrap(s.pool.Ping(ctx), "ping")
}

// ChangeSeq returns the change sequence, which triggers on tenants, event
// types, endpoints and sources increment in the transaction that changes
// them.
func (s *Store) ChangeSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.pool.QueryRow(ctx, `SELECT seq FROM change_seq WHERE id = 1`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("change seq: %w", err)
	}
	return seq, nil
}

// now returns the current time at the store's precision.
func (s *Store) now() time.Time {
	return s.opts.NowFunc().UTC().Truncate(time.Microsecond)
}

// write runs fn in a transaction and commits it.
//
// A failure for lack of space or an I/O error comes back as EUNAVAILABLE
// (see unavailable).
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return unavailable(s.writeTx(ctx, fn))
}

func (s *Store) writeTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

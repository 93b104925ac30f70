// Package sqlite is hookd's embedded store: one SQLite file (modernc.org/sqlite,
// pure Go), in WAL mode with synchronous=FULL, owned by one process at a time.
//
// Writes go through a single connection, as SQLite has one writer anyway;
// reads use a separate pool, which WAL lets run beside the writer. The
// schema is applied at Open by embedded goose migrations.
//
// Because one process owns the file (Open takes an exclusive advisory lock
// on "<real path>.lock", and on Linux on the database file itself, and
// holds them until Close), Open frees every delivery
// lease left by a previous process at once, so that recovery after a crash
// does not wait for leases to lapse.
//
// Secrets (endpoint secrets, source specs, the API-key hashing key) are
// sealed under Options.Cipher before they reach the file, and the
// database, its WAL and shared-memory files are readable by their owner
// only (0600).
//
// Times are kept to the microsecond and returned in UTC.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
)

//go:embed migrations/*.sql
var migrations embed.FS

var _ hookd.Store = (*Store)(nil)

// ErrLocked is returned by Open when another process (or another Open in
// this one) holds the database file.
var ErrLocked = errors.New("another hookd process holds the database file")

// Options tunes a Store. The zero value is the default.
type Options struct {
	// NowFunc returns the current time, used for the timestamps the store
	// sets itself (CreatedAt, UpdatedAt, defaults in Commit). Nil means
	// time.Now.
	NowFunc func() time.Time
	// BusyTimeout is how long a statement waits for a lock held by another
	// connection of this process (a reader during a checkpoint). Zero
	// means 5 seconds.
	BusyTimeout time.Duration
	// ReadConns is the size of the read connection pool. Zero means 4.
	ReadConns int
	// CacheSize is the page cache of the write connection, in KiB; each
	// read connection gets a quarter of it. Zero means 32768 (32 MiB).
	CacheSize int
	// Cipher seals the secrets kept at rest (endpoint secrets, source
	// specs, the API-key hashing key). Nil means a cipher under the key in
	// the file "<path>.key", created (mode 0600) with a random key when
	// missing.
	Cipher *secrets.Cipher
	// MigratedFunc, when set, is called by Open for each migration it
	// applies, in order, with its version and file name. Default: none.
	MigratedFunc func(version int64, name string)
	// MaxSize caps the database at this many bytes (whole pages, never
	// below its current size): a write that would grow it further fails
	// with EUNAVAILABLE, as on a full disk. Zero means no cap but the
	// disk's.
	MaxSize int64
}

func (o Options) withDefaults() Options {
	if o.NowFunc == nil {
		o.NowFunc = time.Now
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.CacheSize <= 0 {
		o.CacheSize = 32 << 10
	}
	return o
}

// Store is a hookd.Store on one SQLite file. It is safe for concurrent use.
type Store struct {
	path  string
	opts  Options
	lock  *fileLock
	wdb   *sql.DB // one connection: every write goes through it
	rdb   *sql.DB // read-only pool
	cdb   *sql.DB // one connection for checkpoints, off the write path
	stmts writeStmts

	cipher  *secrets.Cipher
	hashKey []byte // API-key hashing key, opened from store_secrets

	stopCheckpointsFunc context.CancelFunc
	checkpointsDone     chan struct{}
	walReset            int // WAL frames beyond which checkpoints start it over

	failedAt atomic.Int64 // store time (µs) of the last write that failed as unavailable

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the database at path, takes the file's
// exclusive lock, applies the migrations and frees the leases left by a
// previous process. It fails with ErrLocked when another process, or
// another Store in this process, has the file open.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open sqlite store: %q must be a plain file path", path)
	}
	abs, err := realPath(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	s := &Store{path: abs, opts: opts.withDefaults(), walReset: walResetFrames}
	if s.lock, err = lockFile(abs); err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", abs, err)
	}
	if err := s.prepare(abs); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", abs, err)
	}
	if err := s.open(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", abs, err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	var err error
	if s.wdb, err = sql.Open("sqlite", s.dsn(false)); err != nil {
		return err
	}
	// One connection that never expires: writes are serialised here
	// rather than by SQLite's busy handler, and prepared statements live
	// as long as the store.
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	if err := s.migrate(ctx); err != nil {
		return err
	}
	if err := s.initSecrets(ctx); err != nil {
		return err
	}
	if err := s.capSize(ctx); err != nil {
		return err
	}
	if err := s.releaseAll(ctx); err != nil {
		return err
	}
	if s.rdb, err = sql.Open("sqlite", s.dsn(true)); err != nil {
		return err
	}
	s.rdb.SetMaxOpenConns(s.opts.ReadConns)
	s.rdb.SetMaxIdleConns(s.opts.ReadConns)
	if err := s.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("open read pool: %w", err)
	}
	if err := s.startCheckpoints(ctx); err != nil {
		return err
	}
	return s.stmts.prepare(ctx, s.wdb)
}

// dsn returns the data source name of the write connection or of the
// read pool.
func (s *Store) dsn(read bool) string {
	cache := s.opts.CacheSize
	if read {
		cache /= 4
	}
	return s.dsnCache(read, cache)
}

// dsnCache is dsn with a page cache of cache KiB.
func (s *Store) dsnCache(read bool, cache int) string {
	q := []string{
		"_pragma=busy_timeout(" + strconv.FormatInt(s.opts.BusyTimeout.Milliseconds(), 10) + ")",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)",
		"_pragma=foreign_keys(1)",
		"_pragma=temp_store(MEMORY)",
		// Truncate the WAL back to 64 MiB after a checkpoint, so that a
		// burst does not leave a large file behind.
		"_pragma=journal_size_limit(67108864)",
		"_pragma=cache_size(-" + strconv.Itoa(cache) + ")",
	}
	if read {
		q = append(q, "_pragma=query_only(1)")
	} else {
		// Checkpoints run on their own connection (see checkpoint.go), so
		// that a commit never pays for one.
		q = append(q, "_pragma=wal_autocheckpoint(0)")
		// BEGIN IMMEDIATE: a write transaction takes the write lock at
		// once, never upgrading from a read lock midway.
		q = append(q, "_txlock=immediate")
	}
	return s.path + "?" + strings.Join(q, "&")
}

// migrate applies the embedded migrations with a goose provider, which
// keeps no global state.
func (s *Store) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.wdb, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
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
}

// releaseAll frees every lease on a delivery still to be sent. This process
// owns the file, so every lease there was taken by a process that is gone.
// Ended deliveries keep whatever owner they had: it cannot act any more.
func (s *Store) releaseAll(ctx context.Context) error {
	_, err := s.wdb.ExecContext(ctx, `UPDATE deliveries SET lease_owner = NULL, lease_until = 0
		WHERE status IN ('pending', 'failed') AND lease_owner IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("release leases: %w", err)
	}
	return nil
}

// Close closes the database and releases the file's lock. It does not wait
// for callers in flight, whose calls then fail.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.stopCheckpointsFunc != nil {
			s.stopCheckpointsFunc()
			<-s.checkpointsDone
		}
		if s.cdb != nil {
			errs = append(errs, s.cdb.Close())
		}
		errs = append(errs, s.stmts.close())
		if s.rdb != nil {
			errs = append(errs, s.rdb.Close())
		}
		if s.wdb != nil {
			errs = append(errs, s.wdb.Close())
		}
		if s.lock != nil {
			errs = append(errs, s.lock.unlock())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("close sqlite store: %w", err)
		}
	})
	return s.closeErr
}

// Ping reports whether the store answers reads.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.rdb.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// ChangeSeq returns the change sequence, which triggers on tenants, event
// types, endpoints and sources increment.
func (s *Store) ChangeSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT seq FROM change_seq`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("change seq: %w", err)
	}
	return seq, nil
}

// now returns the current time at the store's precision.
func (s *Store) now() time.Time {
	return s.opts.NowFunc().UTC().Truncate(time.Microsecond)
}

// write runs fn in a transaction on the write connection and commits it.
//
// A failure for lack of space or an I/O error comes back as EUNAVAILABLE
// (see unavailable) and is remembered for CheckWrite.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	err := s.writeTx(ctx, fn)
	if err = unavailable(err); hookd.ErrorCode(err) == hookd.EUNAVAILABLE {
		s.failedAt.Store(micros(s.now()))
	}
	return err
}

func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hookd/hookd"
)

// unavailable turns a write that failed for lack of space (SQLITE_FULL: the
// disk, or max_page_count) or an I/O error (SQLITE_IOERR and its extended
// codes) into EUNAVAILABLE, so that callers answer 503 and try again later
// instead of reporting an internal error: the fault is the machine's, and
// it may pass. Other errors are returned as they are.
func unavailable(err error) error {
	var se *msqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		return &hookd.Error{Code: hookd.EUNAVAILABLE, Message: "the database is full: no space left to write; try again later", Err: err}
	case sqlite3.SQLITE_IOERR:
		return &hookd.Error{Code: hookd.EUNAVAILABLE, Message: "the database could not write (I/O error); try again later", Err: err}
	}
	return err
}

// probeBytes is the size of the row CheckWrite writes: larger than a
// page, so that it needs pages of its own.
const probeBytes = 8 << 10

// failureMemory is how long a real write that failed as unavailable keeps
// CheckWrite failing after its own write succeeded: a probe can fit in
// space freed earlier while larger writes still cannot.
const failureMemory = 2 * time.Second

var _ hookd.WriteChecker = (*Store)(nil)

// CheckWrite implements hookd.WriteChecker: in one transaction it inserts
// a row of probeBytes into idempotency_keys and deletes it, then commits.
// It returns EUNAVAILABLE when that fails for lack of space or an I/O
// error, or when a real write failed so in the last failureMemory.
func (s *Store) CheckWrite(ctx context.Context) error {
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		key := "readyz-" + hookd.NewID("p")
		if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, key, ref_id, fingerprint, created_at)
			VALUES ('hookd.probe', ?, '', zeroblob(?), ?)`, key, probeBytes, micros(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = 'hookd.probe' AND key = ?`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("check write: %w", err)
	}
	if at := s.failedAt.Load(); at != 0 && now.Sub(time.UnixMicro(at)) < failureMemory {
		return hookd.Errorf(hookd.EUNAVAILABLE, "writes failed for lack of space or an I/O error less than %v ago", failureMemory)
	}
	return nil
}

// capSize applies Options.MaxSize to the write connection, the only one
// that writes pages (checkpoints copy pages that exist already).
func (s *Store) capSize(ctx context.Context) error {
	if s.opts.MaxSize <= 0 {
		return nil
	}
	var pageSize int64
	if err := s.wdb.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return fmt.Errorf("read page size: %w", err)
	}
	pages := max(s.opts.MaxSize/pageSize, 1)
	if _, err := s.wdb.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		return fmt.Errorf("cap database size: %w", err)
	}
	return nil
}

package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

// SQLSTATEs of a server that cannot write for now.
const (
	codeDiskFull     = "53100" // disk_full
	codeOutOfMemory  = "53200" // out_of_memory
	codeTooManyConns = "53300" // too_many_connections
	codeIOError      = "58030" // io_error
)

// unavailable turns an error of a server short of resources (class 53:
// disk full, out of memory, too many connections) or an I/O error (58030)
// into EUNAVAILABLE, so that callers answer 503 and try again later: the
// fault is the server's, and it may pass. Other errors are returned as
// they are.
func unavailable(err error) error {
	code := pgCode(err)
	switch {
	case code == codeDiskFull:
		return &hookd.Error{Code: hookd.EUNAVAILABLE, Message: "the database is full: no space left to write; try again later", Err: err}
	case code == codeIOError:
		return &hookd.Error{Code: hookd.EUNAVAILABLE, Message: "the database could not write (I/O error); try again later", Err: err}
	case strings.HasPrefix(code, "53"):
		return &hookd.Error{Code: hookd.EUNAVAILABLE, Message: "the database is short of resources; try again later", Err: err}
	}
	return err
}

var _ hookd.WriteChecker = (*Store)(nil)

// CheckWrite implements hookd.WriteChecker: in one transaction it inserts
// a row into idempotency_keys and deletes it, then commits, which writes
// to the WAL as every write does.
func (s *Store) CheckWrite(ctx context.Context) error {
	key := "readyz-" + hookd.NewID("p")
	err := s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (scope, key, ref_id, created_at)
			VALUES ('hookd.probe', $1, '', now())`, key); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE scope = 'hookd.probe' AND key = $1`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("check write: %w", err)
	}
	return nil
}

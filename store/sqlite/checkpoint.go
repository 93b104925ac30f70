package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Checkpoints copy the WAL back into the database file. SQLite runs them
// by default inside the commit that crosses 1000 pages of WAL, which then
// takes several times longer than the others (it writes and fsyncs the
// database file). The store runs them instead on a connection of its own,
// every checkpointInterval, as PASSIVE checkpoints that never block the
// writer.
//
// Under a steady stream of commits such a checkpoint never catches the
// last frames, so the WAL would never start over and would grow until
// something blocked the writer to reset it (a RESTART checkpoint waits in
// SQLite's busy handler, stalling commits by up to 100 ms). Once the WAL
// holds more than walResetFrames (Store.walReset), the store therefore
// finishes the checkpoint on the write connection itself, between two
// transactions: by then only the frames of the last moment are left to
// copy, and with every frame copied the next transaction writes the WAL
// from its start again, over blocks already allocated and cached. Should
// the concurrent passes fall behind the writer for good, the WAL is still
// bounded: past walHighWater the rest is copied on the write connection
// whatever its size, stalling commits for that long.
const (
	checkpointInterval = 200 * time.Millisecond
	walResetFrames     = 4096     // 16 MiB of 4 KiB pages
	walHighWater       = 64 << 10 // 256 MiB
	// At most maxPasses concurrent passes run in a round, until no more
	// than half of walResetFrames are left for the write connection.
	maxPasses = 4
	// checkpointCacheKiB is the page cache of the checkpoint connection.
	checkpointCacheKiB = 2048
)

func (s *Store) startCheckpoints(ctx context.Context) error {
	var err error
	// A checkpoint copies frames from the WAL into the database file
	// without going through the page cache: a small one will do.
	if s.cdb, err = sql.Open("sqlite", s.dsnCache(false, checkpointCacheKiB)); err != nil {
		return err
	}
	s.cdb.SetMaxOpenConns(1)
	s.cdb.SetMaxIdleConns(1)
	s.cdb.SetConnMaxLifetime(0)
	s.cdb.SetConnMaxIdleTime(0)
	if err := s.cdb.PingContext(ctx); err != nil {
		return fmt.Errorf("open checkpoint connection: %w", err)
	}
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopCheckpointsFunc, s.checkpointsDone = cancel, make(chan struct{})
	go s.checkpointLoop(cctx)
	return nil
}

func (s *Store) checkpointLoop(ctx context.Context) {
	defer close(s.checkpointsDone)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A failed checkpoint loses nothing (the WAL keeps the data) and
		// the next tick tries again.
		_ = s.checkpointRound(ctx)
	}
}

// checkpointRound runs concurrent PASSIVE checkpoints and, when the WAL is
// large enough to be worth starting over, copies the rest on the write
// connection.
func (s *Store) checkpointRound(ctx context.Context) error {
	var log, done int
	catchUp := s.walReset / 2
	for range maxPasses {
		var err error
		if log, done, err = checkpoint(ctx, s.cdb); err != nil {
			return err
		}
		if log < s.walReset || log-done <= catchUp {
			break
		}
	}
	if log < s.walReset || (log-done > catchUp && log < walHighWater) {
		return nil
	}
	conn, err := s.wdb.Conn(ctx) // waits for the transaction in progress
	if err != nil {
		return err
	}
	defer conn.Close()
	_, _, err = checkpoint(ctx, conn)
	return err
}

// checkpoint runs one PASSIVE checkpoint on db and returns the WAL's size
// in frames and how many of them are now in the database file.
func checkpoint(ctx context.Context, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (log, done int, err error) {
	var busy int
	err = db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done)
	return log, done, err
}

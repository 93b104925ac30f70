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
// writer; only when the WAL has grown past walHighWater despite them does
// it run a RESTART checkpoint, which waits for the writer, to bound it.
const (
	checkpointInterval = 200 * time.Millisecond
	walHighWater       = 64 << 10 // pages: 256 MiB of 4 KiB pages
)

func (s *Store) startCheckpoints(ctx context.Context) error {
	var err error
	if s.cdb, err = sql.Open("sqlite", s.dsn(false)); err != nil {
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
	s.stopCheckpoints, s.checkpointsDone = cancel, make(chan struct{})
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
		if frames, err := s.checkpoint("PASSIVE"); err == nil && frames > walHighWater {
			_, _ = s.checkpoint("RESTART")
		}
	}
}

// checkpoint runs one checkpoint and returns the WAL's size in frames.
func (s *Store) checkpoint(mode string) (int, error) {
	var busy, log, done int
	err := s.cdb.QueryRow(`PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &log, &done)
	return log, err
}

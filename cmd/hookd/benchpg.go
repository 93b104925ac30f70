package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd/config"
)

// pgCounters are PostgreSQL's own counts, read before and after a run to
// tell what each event cost the database.
type pgCounters struct {
	lsn      string // pg_current_wal_lsn()
	commits  int64  // xact_commit of the database
	inserted int64
	updated  int64
	deleted  int64
}

const pgCountersSQL = `SELECT pg_current_wal_lsn()::text, xact_commit, tup_inserted, tup_updated, tup_deleted
	FROM pg_stat_database WHERE datname = current_database()`

// readPGCounters reads the counters through conn. PostgreSQL publishes a
// backend's statistics when its transaction ends, at most once a second,
// so the caller waits a little longer than that before the second read.
func readPGCounters(ctx context.Context, conn *pgx.Conn) (pgCounters, error) {
	var c pgCounters
	if _, err := conn.Exec(ctx, "SELECT pg_stat_clear_snapshot()"); err != nil {
		return c, err
	}
	err := conn.QueryRow(ctx, pgCountersSQL).Scan(&c.lsn, &c.commits, &c.inserted, &c.updated, &c.deleted)
	return c, err
}

// pgProbe holds the connection and the first reading of a PostgreSQL run.
type pgProbe struct {
	conn   *pgx.Conn
	before pgCounters
}

// pgBefore reads the counters when the bench runs on PostgreSQL; nil
// otherwise, or when they cannot be read (the figures are then left out).
func (ns *benchNodes) pgBefore(ctx context.Context) *pgProbe {
	driver, dsn, err := (&config.Config{Database: ns.db}).DB()
	if err != nil || driver != config.DriverPostgres {
		return nil
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil
	}
	c, err := readPGCounters(ctx, conn)
	if err != nil {
		conn.Close(ctx)
		return nil
	}
	return &pgProbe{conn: conn, before: c}
}

// pgAfter adds pg_commits_per_event, pg_rows_per_event (inserted, updated
// and deleted) and pg_wal_bytes_per_event over events. Commits and rows
// are the bench database's own; WAL is the whole server's, so other
// databases written meanwhile count too.
func (ns *benchNodes) pgAfter(ctx context.Context, p *pgProbe, events int64, f *figures) {
	if p == nil {
		return
	}
	defer p.conn.Close(ctx)
	time.Sleep(1500 * time.Millisecond) // let the backends publish their statistics
	after, err := readPGCounters(ctx, p.conn)
	if err != nil || events <= 0 {
		return
	}
	var wal int64
	if err := p.conn.QueryRow(ctx, "SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint", after.lsn, p.before.lsn).Scan(&wal); err != nil {
		return
	}
	n := float64(events)
	rows := (after.inserted - p.before.inserted) + (after.updated - p.before.updated) + (after.deleted - p.before.deleted)
	f.add("pg_commits_per_event", "%.3f", float64(after.commits-p.before.commits)/n)
	f.add("pg_rows_per_event", "%.2f", float64(rows)/n)
	f.add("pg_wal_bytes_per_event", "%.0f", float64(wal)/n)
}

// pinning prints the CPU pinning of a run of several nodes. The nodes, the
// publishers and the receiver share this process, and Go does not tie
// goroutines to threads, so none of them can be pinned apart: taskset
// pins a process whole. On fewer than 4 CPUs pinning would leave a node a
// single CPU anyway.
func pinning(nodes int, stdout io.Writer) {
	if nodes < 2 {
		return
	}
	if cpus := runtime.NumCPU(); cpus < 4 {
		fmt.Fprintf(stdout, "cpu pinning: none possible on %d CPUs: nodes, publishers and receiver share them\n", cpus)
		return
	}
	fmt.Fprintln(stdout, "cpu pinning: none: nodes, publishers and receiver share one process (taskset could only pin it whole)")
}

package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hookd/hookd"
)

const (
	// readyTimeout bounds the store ping, and the write check, of GET
	// /readyz.
	readyTimeout = time.Second
	// writeCheckInterval is the least time between two write checks: a
	// flood of probes costs the database at most one write a second.
	writeCheckInterval = time.Second
)

// pinger is what GET /readyz needs of the store. A store that is also a
// hookd.WriteChecker is checked with a real write too.
type pinger interface {
	Ping(ctx context.Context) error
}

// readiness serves GET /readyz: 200 when the store answers a ping within
// readyTimeout and, if it is a hookd.WriteChecker, accepts a write; else
// 503 with Retry-After. The write check runs at most once per
// writeCheckInterval and its result is reused meanwhile, so that readiness
// recovers by itself within about a second once the store can write
// again. It does not wait for a store that ignores its context.
type readiness struct {
	store   pinger
	writes  hookd.WriteChecker // nil: the store has no write check
	logger  *slog.Logger
	nowFunc func() time.Time

	mu        sync.Mutex // held while a write check runs
	checkedAt time.Time
	lastErr   error
}

func newReadiness(store pinger, logger *slog.Logger, now func() time.Time) *readiness {
	if now == nil {
		now = time.Now
	}
	wc, _ := store.(hookd.WriteChecker)
	return &readiness{store: store, writes: wc, logger: logger, nowFunc: now}
}

func (rd *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := withDeadline(ctx, rd.store.Ping); err != nil {
		rd.logger.Warn("not ready: store ping failed", "err", err)
		w.Header().Set("Retry-After", "1")
		writeProblem(w, http.StatusServiceUnavailable, hookd.EUNAVAILABLE, "the store is not answering")
		return
	}
	if err := rd.checkWrite(ctx); err != nil {
		rd.logger.Warn("not ready: the store cannot write", "err", err)
		w.Header().Set("Retry-After", "1")
		writeProblem(w, http.StatusServiceUnavailable, hookd.EUNAVAILABLE, "the store cannot write (disk full or I/O error)")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// checkWrite returns the result of the last write check, running a new one
// when that is older than writeCheckInterval.
func (rd *readiness) checkWrite(ctx context.Context) error {
	if rd.writes == nil {
		return nil
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if now := rd.nowFunc(); rd.checkedAt.IsZero() || now.Sub(rd.checkedAt) >= writeCheckInterval {
		rd.lastErr = withDeadline(ctx, rd.writes.CheckWrite)
		rd.checkedAt = now
	}
	return rd.lastErr
}

// withDeadline runs f and returns its error, or ctx's when ctx ends first
// (f is left to finish on its own).
func withDeadline(ctx context.Context, f func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

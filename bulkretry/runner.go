// Package bulkretry runs bulk retries of deliveries in the background: a
// job (hookd.RetryJob) selects a tenant's failed and dead deliveries by a
// filter, and a Runner on each node re-queues them through the delivery
// engine in bounded batches, walking the selection down by id.
//
// Progress (the id the next batch starts below, and the count so far) is
// saved in the store after each batch, under a lease that the batch
// renews. When a node dies mid-run its lease lapses and another node's
// runner claims the job and resumes it from the saved cursor. A batch
// re-queued just before a crash and not yet saved is not sent twice by
// the resumed run: those deliveries are pending again, not failed or dead.
package bulkretry

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/hookd/hookd"
)

// Store is what a Runner needs of the store.
type Store interface {
	ClaimRetryJob(ctx context.Context, owner string, now, until time.Time) (*hookd.RetryJob, error)
	SaveRetryJob(ctx context.Context, j *hookd.RetryJob) error
}

// Requeuer re-queues one batch of deliveries; delivery.Engine implements
// it.
type Requeuer interface {
	RequeueBatch(ctx context.Context, f hookd.RequeueFilter) (n int, lowest string, err error)
}

// Config configures a Runner. Zero values mean the documented defaults.
type Config struct {
	// Store keeps the jobs. Required.
	Store Store
	// Engine re-queues the deliveries. Required.
	Engine Requeuer
	// NodeID names this node in job leases. Required.
	NodeID string
	// BatchSize is how many deliveries one batch re-queues. Default 500.
	BatchSize int
	// Lease is how long a node holds a job without saving progress before
	// another may take it over. Default 30 s.
	Lease time.Duration
	// PollInterval is how often the runner looks for jobs nobody runs
	// (new ones, and those of nodes that died). Default 5 s.
	PollInterval time.Duration
	// NowFunc is the clock. Default time.Now.
	NowFunc func() time.Time
	// Logger receives job outcomes. Default slog.Default().
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultBatchSize    = 500
	DefaultLease        = 30 * time.Second
	DefaultPollInterval = 5 * time.Second
)

func (c Config) withDefaults() Config {
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.NowFunc == nil {
		c.NowFunc = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Runner claims and runs bulk retries, one at a time. Build it with New,
// start it with Start, stop it with Close.
type Runner struct {
	cfg        Config
	wake       chan struct{}
	cancelFunc context.CancelFunc
	done       sync.WaitGroup
}

// New returns a runner; it does nothing until Start.
func New(cfg Config) *Runner {
	return &Runner{cfg: cfg.withDefaults(), wake: make(chan struct{}, 1)}
}

// Start runs the runner's loop until Close or ctx ends.
func (r *Runner) Start(ctx context.Context) {
	ctx, r.cancelFunc = context.WithCancel(ctx)
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		r.loop(ctx)
	}()
}

// Close stops the loop and waits for it. A job it was running keeps its
// saved progress; its lease lapses and a runner resumes it.
func (r *Runner) Close() {
	if r.cancelFunc != nil {
		r.cancelFunc()
	}
	r.done.Wait()
}

// Wake makes the runner look for jobs now rather than at its next poll.
// It never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Runner) loop(ctx context.Context) {
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	for {
		for r.RunOnce(ctx) {
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.wake:
		}
	}
}

// RunOnce claims one job nobody runs and runs it to its end (or until ctx
// ends or another node takes it over), and reports whether it found one.
func (r *Runner) RunOnce(ctx context.Context) bool {
	now := r.cfg.NowFunc()
	j, err := r.cfg.Store.ClaimRetryJob(ctx, r.cfg.NodeID, now, now.Add(r.cfg.Lease))
	if err != nil {
		if !hookd.IsNotFound(err) && ctx.Err() == nil {
			r.cfg.Logger.ErrorContext(ctx, "claim bulk retry", "error", err)
		}
		return false
	}
	r.run(ctx, j)
	return true
}

// run re-queues j's deliveries batch by batch, saving progress after each.
func (r *Runner) run(ctx context.Context, j *hookd.RetryJob) {
	log := r.cfg.Logger.With("tenant", j.TenantID, "retry_job", j.ID)
	for ctx.Err() == nil {
		f := j.Filter
		f.TenantID, f.Before, f.Limit = j.TenantID, j.Cursor, r.cfg.BatchSize
		n, lowest, err := r.cfg.Engine.RequeueBatch(ctx, f)
		switch {
		case err != nil && ctx.Err() != nil:
			return // stopping: the lease lapses and a runner resumes the job
		case err != nil:
			j.Status, j.Error = hookd.RetryJobFailed, err.Error()
		case n == 0:
			j.Status = hookd.RetryJobSucceeded
		default:
			j.Queued += int64(n)
			j.Cursor = lowest
		}
		now := r.cfg.NowFunc()
		j.LeaseUntil = now.Add(r.cfg.Lease)
		if j.Status != hookd.RetryJobRunning {
			j.FinishedAt = now
		}
		if err := r.cfg.Store.SaveRetryJob(context.WithoutCancel(ctx), j); err != nil {
			if !errors.Is(err, hookd.ErrStale) {
				log.ErrorContext(ctx, "save bulk retry progress", "error", err)
			}
			return // taken over, or the store failed: the lease lapses
		}
		if j.Status != hookd.RetryJobRunning {
			log.InfoContext(ctx, "bulk retry ended", "status", j.Status, "queued", j.Queued, "total", j.Total, "error", j.Error)
			return
		}
	}
}

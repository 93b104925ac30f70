package delivery

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
)

// writer is the group commit: one goroutine gathers new events, inbound
// requests, attempt results and delivery updates into batches and commits
// each batch in one transaction. A publisher waits for the commit of the
// batch that carries its event; that is how every 2xx means "durable" while
// the store sees a few large transactions instead of many small ones.
type writer struct {
	store   hookd.Store
	log     *slog.Logger
	metrics *metrics
	nowFunc func() time.Time
	keyTTL  time.Duration

	writes   chan *writeOp     // new events and requests; bounded, never blocks a caller
	results  chan *resultOp    // attempt outcomes; bounded, senders wait for room
	queued   atomic.Int64      // payload bytes waiting in writes
	maxBytes int64             // budget for queued, beyond which writes are refused
	maxBatch int               // writes per transaction
	stopped  chan struct{}     // closed when the loop has exited
	retries  map[*resultOp]int // results carried over after a failed commit
	linger   time.Duration     // how long attempt results wait for company
	// pending are attempt results waiting for their linger to end, since
	// pendingSince. Only the writer's goroutine touches them.
	pending      []*resultOp
	pendingSince time.Time
}

// writeOp is a caller waiting for its writes to be committed. Its writes
// always land in the same transaction.
type writeOp struct {
	event   *hookd.EventWrite
	events  []*hookd.EventWrite // a batch publish: committed together
	request *hookd.RequestWrite
	bytes   int64
	done    chan error
}

// weight is how many writes op counts for against the batch size.
func (op *writeOp) weight() int { return max(1, len(op.events)) }

// resultOp is an attempt and the delivery state it leads to. done, when
// set, runs once the result is committed or given up on.
type resultOp struct {
	attempt  *hookd.Attempt
	update   *hookd.DeliveryUpdate
	doneFunc func()
}

// maxResultRetries bounds how often results are carried into a new batch
// after failed commits. Dropping them then is safe: the delivery keeps its
// lease in the store, and once the lease lapses it is claimed and sent again.
const maxResultRetries = 3

func newWriter(store hookd.Store, cfg *Config, m *metrics) *writer {
	return &writer{
		store:    store,
		log:      cfg.Logger,
		metrics:  m,
		nowFunc:  cfg.NowFunc,
		keyTTL:   cfg.IdempotencyTTL,
		writes:   make(chan *writeOp, cfg.QueueSize),
		results:  make(chan *resultOp, cfg.QueueSize),
		maxBytes: cfg.QueueBytes,
		maxBatch: cfg.BatchSize,
		stopped:  make(chan struct{}),
		retries:  make(map[*resultOp]int),
		linger:   cfg.ResultLinger,
	}
}

// submit queues op and waits for its commit. When the queue is full, or
// holds more payload bytes than its budget, for longer than wait, it
// returns EUNAVAILABLE and nothing is written.
func (w *writer) submit(ctx context.Context, op *writeOp, wait time.Duration) error {
	if w.queued.Add(op.bytes) > w.maxBytes && op.bytes > 0 {
		w.queued.Add(-op.bytes)
		return hookd.Errorf(hookd.EUNAVAILABLE, "hookd is saturated; retry later")
	}
	op.done = make(chan error, 1)
	select {
	case w.writes <- op:
	default:
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case w.writes <- op:
		case <-t.C:
			w.queued.Add(-op.bytes)
			return hookd.Errorf(hookd.EUNAVAILABLE, "hookd is saturated; retry later")
		case <-ctx.Done():
			w.queued.Add(-op.bytes)
			return ctx.Err()
		}
	}
	// Once queued, the write happens whatever the caller does: wait for it
	// so that the answer tells the truth.
	return <-op.done
}

// record queues an attempt result, waiting for room.
func (w *writer) record(r *resultOp) { w.results <- r }

// run commits batches until stop is closed and everything queued by then
// has been committed.
func (w *writer) run(stop <-chan struct{}) {
	defer close(w.stopped)
	var carry []*resultOp
	for {
		b, ops, res, ok := w.gather(stop, carry)
		if !ok {
			return
		}
		carry = w.commit(b, ops, res)
	}
}

// gather blocks for the first write, then takes whatever else is queued,
// up to the batch size. It returns ok=false once stopped and drained.
func (w *writer) gather(stop <-chan struct{}, carry []*resultOp) (*hookd.Batch, []*writeOp, []*resultOp, bool) {
	var ops []*writeOp
	res := carry
	n := 0 // writes of ops
	if len(res) == 0 && len(w.pending) == 0 {
		select {
		case op := <-w.writes:
			ops, n = append(ops, op), op.weight()
		case r := <-w.results:
			res = append(res, r)
		case <-stop:
			if len(w.writes) == 0 && len(w.results) == 0 {
				return nil, nil, nil, false
			}
		}
	}
	// A batch publish counts for its events, so a transaction holds at
	// most one of them beyond the batch size: each is committed whole.
	for n+len(res) < w.maxBatch {
		select {
		case op := <-w.writes:
			ops, n = append(ops, op), n+op.weight()
			continue
		case r := <-w.results:
			res = append(res, r)
			continue
		default:
		}
		break
	}
	if len(carry) == 0 {
		ops, res = w.lingerResults(stop, ops, res)
	}
	return w.batch(ops, res), ops, res, true
}

// lingerResults decides when attempt results are committed. Nobody waits
// for them (a crash before their commit makes the delivery be sent again,
// as it would a moment later), so they wait up to w.linger from the first
// of them for company: under light load a few milliseconds of results
// share one transaction instead of taking one each. Publishes never wait
// for them, and do not carry them either (a publish's commit stays
// small): a write that comes meanwhile is committed at once, alone, and
// the results keep waiting in w.pending. It returns what to commit now.
func (w *writer) lingerResults(stop <-chan struct{}, ops []*writeOp, res []*resultOp) ([]*writeOp, []*resultOp) {
	if w.linger <= 0 {
		return ops, res
	}
	if len(w.pending) == 0 && len(res) > 0 {
		w.pendingSince = time.Now()
	}
	w.pending = append(w.pending, res...)
	wait := w.linger - time.Since(w.pendingSince)
	if len(w.pending) >= w.maxBatch || wait <= 0 {
		return ops, w.takePending()
	}
	if len(ops) > 0 {
		return ops, nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for len(w.pending) < w.maxBatch {
		select {
		case op := <-w.writes:
			ops = append(ops, op)
			for n := op.weight(); n < w.maxBatch && len(w.writes) > 0; {
				op := <-w.writes
				ops, n = append(ops, op), n+op.weight()
			}
			return ops, nil
		case r := <-w.results:
			w.pending = append(w.pending, r)
		case <-t.C:
			return nil, w.takePending()
		case <-stop: // the next gather drains what is left
			return nil, w.takePending()
		}
	}
	return nil, w.takePending()
}

// takePending ends the linger: it returns the waiting results with those
// already queued behind them (up to the batch size), so that results sent
// together are committed together whichever of the timer, a stop or a
// result the linger's select saw first.
func (w *writer) takePending() []*resultOp {
	for len(w.pending) < w.maxBatch {
		select {
		case r := <-w.results:
			w.pending = append(w.pending, r)
			continue
		default:
		}
		break
	}
	res := w.pending
	w.pending = nil
	return res
}

func (w *writer) batch(ops []*writeOp, res []*resultOp) *hookd.Batch {
	b := &hookd.Batch{KeysAfter: w.nowFunc().Add(-w.keyTTL)}
	for _, op := range ops {
		if op.event != nil {
			b.Events = append(b.Events, op.event)
		}
		b.Events = append(b.Events, op.events...)
		if op.request != nil {
			b.Requests = append(b.Requests, op.request)
		}
	}
	for _, r := range res {
		if r.attempt != nil {
			b.Attempts = append(b.Attempts, r.attempt)
		}
		if r.update != nil {
			b.Updates = append(b.Updates, r.update)
		}
	}
	return b
}

// commit writes one batch, answers its callers, and returns the results
// to carry into the next batch when the commit failed.
func (w *writer) commit(b *hookd.Batch, ops []*writeOp, res []*resultOp) []*resultOp {
	if b.Len() == 0 {
		return nil
	}
	// No deadline: a commit that cannot finish has nothing better to do
	// than wait for the disk, and a context that can end costs a watcher
	// goroutine per statement in the SQLite driver.
	start := time.Now()
	err := w.store.Commit(context.Background(), b)
	w.metrics.observeBatch(b.Len(), time.Since(start))
	for _, op := range ops {
		w.queued.Add(-op.bytes)
		op.done <- err
	}
	if err == nil {
		clear(w.retries)
		finish(res)
		return nil
	}
	w.log.Error("commit batch", "err", err, "events", len(b.Events), "results", len(res))
	var carry []*resultOp
	for _, r := range res {
		if w.retries[r]++; w.retries[r] < maxResultRetries {
			carry = append(carry, r)
		} else {
			delete(w.retries, r)
			finish([]*resultOp{r})
		}
	}
	if len(carry) > 0 {
		time.Sleep(100 * time.Millisecond) // let a transient fault pass
	}
	return carry
}

func finish(res []*resultOp) {
	for _, r := range res {
		if r.doneFunc != nil {
			r.doneFunc()
		}
	}
}

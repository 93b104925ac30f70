package receive

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
)

// Bounds of the recorder.
const (
	// recordWriters is how many log writes wait for the engine's group
	// commit at once: they share its transactions, so junk traffic costs
	// a few large commits instead of one transaction per request.
	recordWriters = 256
	// pruneEvery is how often the logs of rejected requests are pruned.
	pruneEvery = 10 * time.Second
	// drainTimeout bounds how long Run logs what is queued after ctx ends.
	drainTimeout = 5 * time.Second
)

// recorder logs rejected, duplicate and handshake requests off the
// request's path: their answers do not wait for the disk (they promise
// nothing), and a flood of junk is bounded by the queue (the surplus is
// counted and dropped) and by pruning each source's log to its newest
// keep_rejected.
type recorder struct {
	cfg     *Config
	q       chan *hookd.Request
	sem     chan struct{}
	dropped atomic.Int64
	written sync.WaitGroup
	counts  map[string]int // rejected requests logged since the last prune, by source
}

func newRecorder(cfg *Config) *recorder {
	return &recorder{cfg: cfg, q: make(chan *hookd.Request, cfg.LogQueue),
		sem: make(chan struct{}, recordWriters), counts: map[string]int{}}
}

// log queues a request for the log, or drops it when the queue is full.
func (rc *recorder) log(req *hookd.Request) {
	select {
	case rc.q <- req:
	default:
		if n := rc.dropped.Add(1); n == 1 || n%1000 == 0 {
			rc.cfg.Logger.Warn("request log queue full: rejected requests not logged", "dropped", n)
		}
	}
}

func (rc *recorder) run(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		select {
		case req := <-rc.q:
			rc.write(ctx, req)
		case <-t.C:
			rc.written.Wait()
			rc.prune(ctx)
		case <-ctx.Done():
			rc.drain()
			return
		}
	}
}

// write stores one request through the engine's group commit.
func (rc *recorder) write(ctx context.Context, req *hookd.Request) {
	rc.counts[req.SourceID]++
	if rc.counts[req.SourceID] >= rc.keep(req.SourceID) {
		rc.written.Wait() // prune what was written, not what is on its way
		rc.prune(ctx)
	}
	rc.sem <- struct{}{}
	rc.written.Add(1)
	go func() {
		defer func() { <-rc.sem; rc.written.Done() }()
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := rc.cfg.Engine.Receive(wctx, &hookd.Inbound{Request: req}); err != nil {
			rc.cfg.Logger.Warn("log rejected request", "source", req.SourceID, "status", req.Status, "err", err)
		}
	}()
}

func (rc *recorder) keep(sourceID string) int {
	if src, err := rc.cfg.Registry.Get(sourceID); err == nil {
		return src.keepRejected
	}
	return DefaultKeepRejected
}

// prune trims the log of every source that logged rejected requests
// since the last prune.
func (rc *recorder) prune(ctx context.Context) {
	for id := range rc.counts {
		if _, err := rc.cfg.Store.PruneRejected(ctx, id, rc.keep(id)); err != nil && ctx.Err() == nil {
			rc.cfg.Logger.Warn("prune rejected requests", "source", id, "err", err)
		}
	}
	clear(rc.counts)
}

// drain logs what is queued, for at most drainTimeout.
func (rc *recorder) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	for {
		select {
		case req := <-rc.q:
			rc.write(ctx, req)
			continue
		default:
		}
		break
	}
	done := make(chan struct{})
	go func() { rc.written.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// redactedValue replaces the value of a secret header in the log.
const redactedValue = "[redacted]"

// secretHeaderWords mark header names whose values are credentials or
// signatures: a name that contains one, in any case, is redacted.
var secretHeaderWords = []string{"auth", "token", "secret", "signature", "key", "cookie", "session", "password", "hmac"}

// secretHeaderName reports whether a lower-cased header name contains a
// secretHeaderWords entry.
func secretHeaderName(name string) bool {
	for _, w := range secretHeaderWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// redactHeaders flattens headers for the log: lower-cased names, values
// joined with ", ", credentials replaced. extra names more secret headers
// (lower-cased), such as a source's token header.
func redactHeaders(h http.Header, extra map[string]bool) map[string]string {
	m := make(map[string]string, len(h))
	for k, vs := range h {
		name := strings.ToLower(k)
		if extra[name] || secretHeaderName(name) {
			m[name] = redactedValue
			continue
		}
		m[name] = strings.Join(vs, ", ")
	}
	return m
}

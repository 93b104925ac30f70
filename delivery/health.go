package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hookd/hookd"
)

// Backoff of a health save that failed, and how many tries each save
// still gets once Close has begun (its context bounds them too).
const (
	healthRetryMin    = 100 * time.Millisecond
	healthRetryMax    = 30 * time.Second
	healthDrainTries  = 5
	healthSaveTimeout = 30 * time.Second
)

// healthJob is the latest state of one endpoint's health not yet saved.
type healthJob struct {
	tg *target
	h  hookd.EndpointHealth
	// disableAt is when the engine decided to disable the endpoint; zero
	// for a save of FailingSince alone.
	disableAt time.Time
	tries     int
}

// healthSaver writes endpoint health from one goroutine that lives as
// long as the engine, so that the saves of one endpoint reach the store in
// the order the engine decided them, and none runs after Close. Only the
// latest state of an endpoint waits: a newer one replaces it, except that
// nothing replaces a disable.
type healthSaver struct {
	e        *Engine
	retryMin time.Duration // first backoff after a failed save; doubles up to healthRetryMax

	mu      sync.Mutex
	pending map[string]*healthJob // by endpoint id
	order   []string              // endpoint ids with a pending job, oldest first
	closing bool

	wake       chan struct{}
	ctx        context.Context // ends when Close gives up waiting
	cancelFunc context.CancelFunc
	stopped    chan struct{}
}

func newHealthSaver(e *Engine) *healthSaver {
	ctx, cancel := context.WithCancel(context.Background())
	return &healthSaver{e: e, retryMin: healthRetryMin, pending: make(map[string]*healthJob),
		wake: make(chan struct{}, 1), ctx: ctx, cancelFunc: cancel, stopped: make(chan struct{})}
}

// save queues a state of tg's health; disableAt is non-zero for a disable.
func (s *healthSaver) save(tg *target, h hookd.EndpointHealth, disableAt time.Time) {
	id := tg.ep.ID
	s.mu.Lock()
	if old := s.pending[id]; old != nil {
		if old.disableAt.IsZero() || !disableAt.IsZero() {
			old.tg, old.h, old.disableAt, old.tries = tg, h, disableAt, 0
		}
	} else {
		s.pending[id] = &healthJob{tg: tg, h: h, disableAt: disableAt}
		s.order = append(s.order, id)
	}
	s.mu.Unlock()
	s.signal()
}

func (s *healthSaver) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// next takes the oldest pending job; nil when there is none.
func (s *healthSaver) next() (*healthJob, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.order) > 0 {
		id := s.order[0]
		s.order = s.order[1:]
		if j := s.pending[id]; j != nil {
			delete(s.pending, id)
			return j, s.closing
		}
	}
	return nil, s.closing
}

// retry queues a job that failed again, unless a newer state of its
// endpoint came meanwhile.
func (s *healthSaver) retry(j *healthJob) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, newer := s.pending[j.tg.ep.ID]; newer {
		return
	}
	s.pending[j.tg.ep.ID] = j
	s.order = append(s.order, j.tg.ep.ID)
}

// run saves jobs until Close: then it saves what is pending (each job a
// few more tries at most) and returns.
func (s *healthSaver) run() {
	defer close(s.stopped)
	backoff := time.Duration(0)
	for {
		j, closing := s.next()
		if j == nil {
			if closing {
				return
			}
			select {
			case <-s.wake:
			case <-s.ctx.Done():
				return
			}
			continue
		}
		if s.store(j) {
			backoff = 0
			continue
		}
		j.tries++
		if closing && j.tries >= healthDrainTries {
			s.e.cfg.Logger.Error("endpoint health not saved before shutdown", hookd.LogKeyEndpoint, j.tg.ep.ID)
			continue
		}
		s.retry(j)
		backoff = min(max(2*backoff, s.retryMin), healthRetryMax)
		if !s.sleep(backoff) {
			return
		}
	}
}

// sleep waits d, or less when a new state or Close comes (so that Close
// does not wait out a long backoff), or until Close gives up: it reports
// false then.
func (s *healthSaver) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.wake:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// store writes one job, and reports whether it is done with: saved, or
// about an endpoint that no longer exists.
func (s *healthSaver) store(j *healthJob) bool {
	ctx, cancel := context.WithTimeout(s.ctx, healthSaveTimeout)
	defer cancel()
	var err error
	if j.disableAt.IsZero() {
		err = s.e.store.SetEndpointHealth(ctx, j.tg.ep.TenantID, j.tg.ep.ID, j.h)
	} else {
		err = s.e.storeDisable(ctx, j)
	}
	if err != nil && !hookd.IsNotFound(err) {
		s.e.cfg.Logger.Error("save endpoint health", hookd.LogKeyEndpoint, j.tg.ep.ID, hookd.LogKeyError, err.Error())
		return false
	}
	return true
}

// close makes run save what is pending and return, and waits for it, or
// until ctx ends: then the saves still pending are abandoned (the next
// start finds the endpoint failing again and decides anew).
func (s *healthSaver) close(ctx context.Context) {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.signal()
	select {
	case <-s.stopped:
	case <-ctx.Done():
		s.cancelFunc()
		<-s.stopped
	}
	s.cancelFunc()
}

// storeDisable disables the endpoint and stores its endpoint.disabled
// event in the same transaction, leased to this node, then dispatches it.
func (e *Engine) storeDisable(ctx context.Context, j *healthJob) error {
	tg, reason := j.tg, j.h.DisabledReason
	ew, tasks, err := e.disabledEvent(ctx, tg, reason, j.disableAt)
	if err != nil {
		return err
	}
	h := j.h
	h.Announce = ew
	if err := e.store.SetEndpointHealth(ctx, tg.ep.TenantID, tg.ep.ID, h); err != nil {
		return err
	}
	e.router.invalidate()
	if ew != nil && ew.Duplicate {
		return nil // disabled already, by another node or through the API
	}
	e.metrics.disabled.Inc()
	e.logDisabled(tg.ep, reason)
	if ew != nil {
		e.metrics.published.Inc()
		e.logPublished(ew.Event, len(ew.Deliveries), "", "")
		e.hold(tasks)
	}
	return nil
}

// disabledEvent makes the endpoint.disabled event of tg with its
// deliveries to the tenant's other endpoints that take it.
func (e *Engine) disabledEvent(ctx context.Context, tg *target, reason string, at time.Time) (*hookd.EventWrite, []*task, error) {
	data, _ := json.Marshal(map[string]any{
		"endpoint_id": tg.ep.ID, "url": tg.ep.URL, "reason": reason, "disabled_at": at.UTC().Format(hookd.TimestampLayout),
	})
	p := &hookd.Publish{TenantID: tg.ep.TenantID, Type: hookd.EndpointDisabledEventType, Data: data}
	data, method, err := e.checkPublish(ctx, p)
	if hookd.ErrorCode(err) == hookd.EINVALID {
		// The catalog refuses the event (a schema of the operator's that
		// it does not meet): the endpoint is disabled all the same, with
		// no event, rather than left sending forever.
		e.cfg.Logger.Error("endpoint.disabled event refused", hookd.LogKeyEndpoint, tg.ep.ID, hookd.LogKeyError, err.Error())
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("endpoint.disabled event: %w", err)
	}
	ev, pl, targets, err := e.prepare(ctx, p, data)
	if err != nil {
		return nil, nil, fmt.Errorf("endpoint.disabled event: %w", err)
	}
	others := targets[:0:0]
	for _, t := range targets {
		if t.ep.ID != tg.ep.ID {
			others = append(others, t)
		}
	}
	ev.Method = method
	ew, tasks := e.eventWrite(ev, others, pl)
	return ew, tasks, nil
}

// disableOverdue disables, at start, the enabled endpoints that have been
// failing for DisableAfter already: a disable decided before a stop but
// not stored then is decided again.
func (e *Engine) disableOverdue() {
	r := e.router.cur.Load()
	if r == nil {
		return
	}
	now := e.cfg.NowFunc()
	for _, tg := range r.byID {
		since := tg.failingSince.Load()
		if tg.ep.Enabled && since != 0 && now.Sub(time.Unix(0, since)) >= e.cfg.DisableAfter {
			e.disable(tg, failingReason(since), now)
		}
	}
}

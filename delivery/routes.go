package delivery

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/filter"
	"github.com/hookd/hookd/signature"
	"github.com/hookd/hookd/transform"
)

// target is an endpoint compiled for sending: what the sender needs, ready
// to use. Targets are immutable; a change to the endpoint builds a new one.
type target struct {
	ep       *hookd.Endpoint
	header   http.Header // custom headers, canonical keys
	conc     int
	timeout  time.Duration
	schedule []time.Duration

	signerMu sync.Mutex
	signer   *signature.Signer
	signerTo time.Time // when the signer's set of secrets next changes
	hmacKey  []byte    // key of the hmac-sha256 scheme: the newest secret's bytes

	failingSince atomic.Int64 // unix ns; 0 when healthy; starts as ep.FailingSince
	disabling    atomic.Bool  // the engine is disabling the endpoint

	payload string          // the payload form that applies: envelope, raw or template
	tpl     *hookd.Template // the template, when payload is one
	filter  *filter.Program // nil: every event of its types
	// filterErr: the stored filter does not compile (it was checked when
	// stored); the endpoint then matches nothing.
	filterErr error
	transform *transform.Transform // nil: none
	// transformErr: the stored transform does not compile; its
	// deliveries fail with it until the code is fixed.
	transformErr error
}

func newTarget(ep *hookd.Endpoint, cfg *Config) *target {
	t := &target{ep: ep, header: make(http.Header, len(ep.Headers))}
	for k, v := range ep.Headers {
		t.header.Set(k, v)
	}
	t.conc = ep.MaxConcurrency
	if t.conc <= 0 {
		t.conc = cfg.MaxConcurrency
	}
	t.timeout = ep.Timeout
	if t.timeout <= 0 {
		t.timeout = cfg.Timeout
	}
	t.schedule = ep.RetrySchedule
	if len(t.schedule) == 0 {
		t.schedule = cfg.Schedule
	}
	if n := len(ep.Secrets); n > 0 {
		t.hmacKey = []byte(ep.Secrets[n-1].Value)
	}
	if !ep.FailingSince.IsZero() {
		t.failingSince.Store(ep.FailingSince.UnixNano())
	}
	t.payload, t.tpl = payloadOf(ep, cfg)
	if ep.Filter != "" {
		t.filter, t.filterErr = filter.Compile(ep.Filter)
	}
	if ep.Transform != "" {
		t.transform, t.transformErr = transform.Compile(ep.Transform)
	}
	return t
}

// standardSigner returns a signer for the secrets active at now, rebuilt
// when a rotated-out secret expires.
func (t *target) standardSigner(now time.Time) (*signature.Signer, error) {
	t.signerMu.Lock()
	defer t.signerMu.Unlock()
	if t.signer != nil && (t.signerTo.IsZero() || now.Before(t.signerTo)) {
		return t.signer, nil
	}
	active := t.ep.ActiveSecrets(now)
	if len(active) == 0 {
		return nil, fmt.Errorf("endpoint %s has no active secret", t.ep.ID)
	}
	s, err := signature.NewSigner(active...)
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", t.ep.ID, err)
	}
	t.signer, t.signerTo = s, time.Time{}
	for _, sec := range t.ep.Secrets {
		if !sec.ExpiresAt.IsZero() && sec.ExpiresAt.After(now) && (t.signerTo.IsZero() || sec.ExpiresAt.Before(t.signerTo)) {
			t.signerTo = sec.ExpiresAt
		}
	}
	return s, nil
}

// routes is a snapshot of every endpoint, for matching published events
// and for sending. It is replaced whole when endpoints change.
type routes struct {
	seq      int64
	gen      atomic.Int64 // the router's generation these routes are current for
	byID     map[string]*target
	byTenant map[string][]*target
	matches  sync.Map // tenant + "\x00" + type → []*target
}

func (r *routes) match(tenant, typ string) []*target {
	key := tenant + "\x00" + typ
	if v, ok := r.matches.Load(key); ok {
		return v.([]*target)
	}
	var out []*target
	for _, t := range r.byTenant[tenant] {
		if t.ep.Enabled && t.ep.Accepts(typ) {
			out = append(out, t)
		}
	}
	r.matches.Store(key, out)
	return out
}

// router keeps the current routes, reloading them when told to or when the
// store's change sequence moves (a change made through another node).
type router struct {
	store hookd.Store
	cfg   *Config
	cur   atomic.Pointer[routes]
	gen   atomic.Int64 // bumped by invalidate; routes of an older one are stale
	mu    sync.Mutex   // serializes reloads

	tenants  sync.Map // id → *hookd.Tenant known to exist
	forwards sync.Map // forward destination id → *target
	// kick wakes the engine's refresher after an invalidate (capacity 1:
	// a burst of changes makes one reload, not one each).
	kick chan struct{}
}

func (r *router) routes(ctx context.Context) (*routes, error) {
	if cur := r.cur.Load(); cur != nil && cur.gen.Load() == r.gen.Load() {
		return cur, nil
	}
	return r.reload(ctx)
}

// reload builds new routes from the store, unless nothing changed since
// the current ones were built. An invalidate that comes while it runs
// leaves the result stale, so that the next lookup reloads again.
func (r *router) reload(ctx context.Context) (*routes, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	gen := r.gen.Load()
	seq, err := r.store.ChangeSeq(ctx)
	if err != nil {
		return nil, fmt.Errorf("load routes: %w", err)
	}
	cur := r.cur.Load()
	if cur != nil && seq == cur.seq {
		cur.gen.Store(gen)
		return cur, nil
	}
	eps, err := r.store.AllEndpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("load routes: %w", err)
	}
	next := &routes{seq: seq, byID: make(map[string]*target, len(eps)), byTenant: make(map[string][]*target)}
	for _, ep := range eps {
		t := newTarget(ep, r.cfg)
		if old := r.oldTarget(cur, ep.ID); old != nil && old.ep.UpdatedAt.Equal(ep.UpdatedAt) {
			t = old // keep its signer and health
		}
		next.byID[ep.ID] = t
		next.byTenant[ep.TenantID] = append(next.byTenant[ep.TenantID], t)
	}
	next.gen.Store(gen)
	r.tenants.Clear()
	r.cur.Store(next)
	return next, nil
}

func (r *router) oldTarget(cur *routes, id string) *target {
	if cur == nil {
		return nil
	}
	return cur.byID[id]
}

// invalidate makes the next lookup reload the routes, and has the
// engine's refresher reload them in the background meanwhile, so that the
// next publish usually finds them current (with a thousand endpoints a
// reload takes tens of milliseconds).
func (r *router) invalidate() {
	r.gen.Add(1)
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// target returns the endpoint's current target, or the forward
// destination's, or nil when there is none.
func (r *router) target(id string) *target {
	if cur := r.cur.Load(); cur != nil {
		if t := cur.byID[id]; t != nil {
			return t
		}
	}
	if r.cfg.ForwardsFunc == nil {
		return nil
	}
	ep := r.cfg.ForwardsFunc(id)
	if ep == nil {
		return nil
	}
	if v, ok := r.forwards.Load(id); ok && v.(*target).ep == ep {
		return v.(*target) // same destination as before: keep its signer
	}
	t := newTarget(ep, r.cfg)
	r.forwards.Store(id, t)
	return t
}

// tenant returns the tenant, remembered until the routes reload (a change
// to a tenant reloads them).
func (r *router) tenant(ctx context.Context, id string) (*hookd.Tenant, error) {
	if t, ok := r.tenants.Load(id); ok {
		return t.(*hookd.Tenant), nil
	}
	t, err := r.store.GetTenant(ctx, id)
	if err != nil {
		return nil, err
	}
	r.tenants.Store(id, t)
	return t, nil
}

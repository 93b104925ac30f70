package delivery

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/signature"
	"github.com/hookd/hookd/store/sqlite"
)

// healthStore wraps a store and watches SetEndpointHealth: it records the
// states saved, can hold the first save until released (or its context
// ends), and can fail the first disable.
type healthStore struct {
	hookd.Store
	hold        chan struct{} // nil: no holding
	entered     chan struct{} // closed when the first save is held
	failDisable atomic.Bool   // the next disable fails once
	inFlight    atomic.Int32

	mu    sync.Mutex
	saved []hookd.EndpointHealth
	first bool
}

func (s *healthStore) SetEndpointHealth(ctx context.Context, tenant, id string, h hookd.EndpointHealth) error {
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	s.mu.Lock()
	held := !s.first && s.hold != nil
	s.first = true
	s.mu.Unlock()
	if held {
		close(s.entered)
		select {
		case <-s.hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if h.Disable && s.failDisable.CompareAndSwap(true, false) {
		return hookd.Errorf(hookd.EUNAVAILABLE, "the disk is full")
	}
	if err := s.Store.SetEndpointHealth(ctx, tenant, id, h); err != nil {
		return err
	}
	s.mu.Lock()
	s.saved = append(s.saved, h)
	s.mu.Unlock()
	return nil
}

func (s *healthStore) states() []hookd.EndpointHealth {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hookd.EndpointHealth(nil), s.saved...)
}

// healthEnv starts an engine over a wrapped SQLite store; the caller
// closes the engine.
func healthEnv(t *testing.T, hs *healthStore) *Engine {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/hookd.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hs.Store = st
	guard := egress.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	e := New(hs, Config{Guard: guard, Client: &http.Client{Transport: egress.NewTransport(guard, egress.TransportOptions{})},
		Schedule: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}, Jitter: -1})
	e.health.retryMin = 10 * time.Millisecond
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// answering is a loopback receiver answering the n-th request (from 1)
// with status(n).
func answering(t *testing.T, status func(n int) int) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status(int(n.Add(1))))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func addEndpoint(t *testing.T, e *Engine, url string, types ...string) *hookd.Endpoint {
	t.Helper()
	secret, err := signature.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ep := &hookd.Endpoint{ID: hookd.NewID(hookd.PrefixEndpoint), TenantID: hookd.DefaultTenant, URL: url, Enabled: true,
		EventTypes: types, Secrets: []hookd.Secret{{Value: secret, CreatedAt: now}}, CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateEndpoint(context.Background(), ep); err != nil {
		t.Fatal(err)
	}
	e.Invalidate()
	return ep
}

func publishOne(t *testing.T, e *Engine, typ string) {
	t.Helper()
	if _, err := e.Publish(context.Background(), &hookd.Publish{TenantID: hookd.DefaultTenant, Type: typ, Data: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
}

// TestHealthSavesInOrder: a failure then a success of one endpoint are
// saved in that order, even when the first save is slow, so the stored
// health ends healthy.
func TestHealthSavesInOrder(t *testing.T) {
	hs := &healthStore{hold: make(chan struct{}), entered: make(chan struct{})}
	e := healthEnv(t, hs)
	defer e.Close(context.Background())
	srv, _ := answering(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	ep := addEndpoint(t, e, srv.URL)
	publishOne(t, e, "a.b")
	<-hs.entered // the save of the failure is held in the store
	waitUntil(t, 10*time.Second, func() bool {
		e.health.mu.Lock()
		defer e.health.mu.Unlock()
		j := e.health.pending[ep.ID]
		return j != nil && j.h.FailingSince.IsZero()
	})
	close(hs.hold)
	waitUntil(t, 10*time.Second, func() bool { return len(hs.states()) == 2 })
	got := hs.states()
	if got[0].FailingSince.IsZero() || !got[1].FailingSince.IsZero() {
		t.Fatalf("saves out of order: %+v", got)
	}
	stored, err := hs.Store.GetEndpoint(context.Background(), hookd.DefaultTenant, ep.ID)
	if err != nil || !stored.FailingSince.IsZero() {
		t.Fatalf("stored health %v (%v), want healthy", stored.FailingSince, err)
	}
}

// TestCloseWaitsForHealthSaves: Close returns only once no health save is
// left in the store, so none can reach it after it is closed.
func TestCloseWaitsForHealthSaves(t *testing.T) {
	hs := &healthStore{hold: make(chan struct{}), entered: make(chan struct{})}
	e := healthEnv(t, hs)
	srv, _ := answering(t, func(int) int { return http.StatusInternalServerError })
	addEndpoint(t, e, srv.URL)
	publishOne(t, e, "a.b")
	<-hs.entered
	// The save never completes on its own: Close gives up on it when its
	// context ends, and returns after it stopped.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := hs.inFlight.Load(); n != 0 {
		t.Fatalf("%d health saves still in the store after Close", n)
	}
	select {
	case <-e.health.stopped:
	default:
		t.Fatal("the health saver runs after Close")
	}
}

// TestDisableRetriedUntilStored: a disable whose store write fails is
// tried again, and ends stored with its endpoint.disabled event, which is
// delivered once.
func TestDisableRetriedUntilStored(t *testing.T) {
	hs := &healthStore{}
	hs.failDisable.Store(true)
	e := healthEnv(t, hs)
	defer e.Close(context.Background())
	gone, _ := answering(t, func(int) int { return http.StatusGone })
	watcher, seen := answering(t, func(int) int { return http.StatusOK })
	ep := addEndpoint(t, e, gone.URL, "a.b")
	addEndpoint(t, e, watcher.URL, hookd.EndpointDisabledEventType)
	publishOne(t, e, "a.b")
	waitUntil(t, 10*time.Second, func() bool {
		got, err := hs.Store.GetEndpoint(context.Background(), hookd.DefaultTenant, ep.ID)
		return err == nil && !got.Enabled
	})
	if hs.failDisable.Load() {
		t.Fatal("the first disable did not fail")
	}
	waitUntil(t, 10*time.Second, func() bool { return seen.Load() == 1 })
	evs, _, err := hs.Store.ListEvents(context.Background(), hookd.EventFilter{TenantID: hookd.DefaultTenant, Types: []string{hookd.EndpointDisabledEventType}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%d endpoint.disabled events stored (%v), want 1", len(evs), err)
	}
}

// TestOverdueDisableAtStart: an endpoint that has been failing for longer
// than DisableAfter when the engine starts (its disable was decided but
// not stored before a stop) is disabled and announced at start.
func TestOverdueDisableAtStart(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/hookd.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	ep := &hookd.Endpoint{ID: hookd.NewID(hookd.PrefixEndpoint), TenantID: hookd.DefaultTenant, URL: "http://127.0.0.1:9/", Enabled: true,
		Secrets: []hookd.Secret{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", CreatedAt: now}}, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	if err := st.SetEndpointHealth(ctx, ep.TenantID, ep.ID, hookd.EndpointHealth{FailingSince: now.Add(-6 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e := New(st, Config{DisableAfter: 5 * 24 * time.Hour})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	waitUntil(t, 10*time.Second, func() bool {
		got, err := st.GetEndpoint(ctx, ep.TenantID, ep.ID)
		return err == nil && !got.Enabled && got.DisabledReason != ""
	})
	evs, _, err := st.ListEvents(ctx, hookd.EventFilter{TenantID: hookd.DefaultTenant, Types: []string{hookd.EndpointDisabledEventType}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%d endpoint.disabled events (%v), want 1", len(evs), err)
	}
}

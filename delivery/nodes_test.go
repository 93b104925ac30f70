package delivery_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/signature"
	"github.com/hookd/hookd/store/sqlite"
)

// sharedStore is a SQLite store that acts as if other nodes shared it: it
// reports a set number of live nodes, and lets a test send due
// notifications.
type sharedStore struct {
	*sqlite.Store
	live  atomic.Int32
	beats atomic.Int32
	first atomic.Int64 // unix ns of the first heartbeat
	left  atomic.Bool
	due   chan struct{}
}

func (s *sharedStore) Heartbeat(context.Context, string, time.Time, time.Duration) (int, error) {
	s.first.CompareAndSwap(0, time.Now().UnixNano())
	s.beats.Add(1)
	return int(s.live.Load()), nil
}

func (s *sharedStore) Leave(context.Context, string) error {
	s.left.Store(true)
	return nil
}

func (s *sharedStore) DueNotify() <-chan struct{} { return s.due }

func newSharedEngine(t *testing.T, live int, cfg delivery.Config) (*sharedStore, *delivery.Engine) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), t.TempDir()+"/hookd.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &sharedStore{Store: st, due: make(chan struct{}, 1)}
	s.live.Store(int32(live))
	cfg.Guard = egress.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	cfg.Client = &http.Client{Transport: egress.NewTransport(cfg.Guard, egress.TransportOptions{})}
	eng := delivery.New(s, cfg)
	if err := eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(context.Background()) })
	return s, eng
}

func createEndpoint(t *testing.T, s hookd.Store, eng *delivery.Engine, url string, conc int) {
	t.Helper()
	secret, err := signature.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ep := &hookd.Endpoint{ID: hookd.NewID(hookd.PrefixEndpoint), TenantID: hookd.DefaultTenant, URL: url,
		Enabled: true, MaxConcurrency: conc, Secrets: []hookd.Secret{{Value: secret, CreatedAt: now}}}
	if err := s.CreateEndpoint(t.Context(), ep); err != nil {
		t.Fatal(err)
	}
	eng.Invalidate()
}

// TestLimitsSharedBetweenNodes checks that a node sends at most its share
// of an endpoint's concurrency: with 3 live nodes and max_concurrency 7,
// at most 2 attempts at once.
func TestLimitsSharedBetweenNodes(t *testing.T) {
	s, eng := newSharedEngine(t, 3, delivery.Config{Lease: 3 * time.Second})
	waitFor(t, 10*time.Second, func() bool { return s.beats.Load() > 0 })
	var (
		mu             sync.Mutex
		inflight, peak int
	)
	rc := newReceiver(t, func(int, http.ResponseWriter) int {
		mu.Lock()
		inflight++
		peak = max(peak, inflight)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond) // hold the attempt, so that others overlap it
		mu.Lock()
		inflight--
		mu.Unlock()
		return http.StatusOK
	})
	createEndpoint(t, s, eng, rc.URL, 7)
	const n = 20
	for range n {
		if _, err := eng.Publish(t.Context(), &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "a.b",
			Data: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 30*time.Second, func() bool { return rc.count.Load() >= n })
	mu.Lock()
	defer mu.Unlock()
	if peak != 2 {
		t.Fatalf("peak concurrency %d, want 2 (7 shared by 3 nodes)", peak)
	}
}

// TestDueNotifyWakesClaimer checks that a store's notification makes the
// claimer look at once, long before its next poll.
func TestDueNotifyWakesClaimer(t *testing.T) {
	s, eng := newSharedEngine(t, 1, delivery.Config{PollInterval: time.Hour})
	rc := newReceiver(t, nil)
	createEndpoint(t, s, eng, rc.URL, 0)
	eps, err := s.AllEndpoints(t.Context())
	if err != nil || len(eps) != 1 {
		t.Fatalf("endpoints: %v %v", eps, err)
	}
	now := time.Now().UTC()
	ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: hookd.DefaultTenant, Type: "a.b", CreatedAt: now}
	ev.Payload, _ = hookd.RenderPayload(ev.Type, now, []byte(`{}`))
	// Stored free, as another node stores what it has no room for.
	err = s.Commit(t.Context(), &hookd.Batch{Events: []*hookd.EventWrite{{Event: ev, Deliveries: []*hookd.Delivery{
		{EndpointID: eps[0].ID, NextAttemptAt: now},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	s.due <- struct{}{}
	waitFor(t, 10*time.Second, func() bool { return rc.count.Load() == 1 })
}

// TestHeartbeatLeaves checks that a stopping node leaves the registry.
func TestHeartbeatLeaves(t *testing.T) {
	s, eng := newSharedEngine(t, 2, delivery.Config{})
	waitFor(t, 10*time.Second, func() bool { return s.beats.Load() > 0 })
	if err := eng.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !s.left.Load() {
		t.Fatal("the node did not leave the registry")
	}
}

// TestJoiningNodeWaits checks that a node joining others sends nothing
// until they have had a heartbeat to count it (and lower their shares):
// a heartbeat interval and a half after its first heartbeat.
func TestJoiningNodeWaits(t *testing.T) {
	s, eng := newSharedEngine(t, 2, delivery.Config{Lease: 3 * time.Second}) // heartbeats every second
	var arrived atomic.Int64
	rc := newReceiver(t, func(int, http.ResponseWriter) int {
		arrived.CompareAndSwap(0, time.Now().UnixNano())
		return http.StatusOK
	})
	createEndpoint(t, s, eng, rc.URL, 0)
	if _, err := eng.Publish(t.Context(), &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "a.b",
		Data: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return rc.count.Load() == 1 })
	if wait := time.Duration(arrived.Load() - s.first.Load()); wait < 1500*time.Millisecond {
		t.Fatalf("the first attempt left %v after the first heartbeat, want at least 1.5s", wait)
	}
}

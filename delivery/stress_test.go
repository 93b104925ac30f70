package delivery_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// TestConcurrentPublishesAllDelivered publishes from many goroutines, with
// a lease short enough to lapse and be renewed and claimed under load, and
// checks that every accepted event reaches every endpoint exactly once.
func TestConcurrentPublishesAllDelivered(t *testing.T) {
	t.Parallel()
	const publishers, each = 16, 100
	rc := newReceiver(t, nil)
	e := newEnv(t, delivery.Config{Workers: 32, MaxConcurrency: 16, Lease: 600 * time.Millisecond, PollInterval: 100 * time.Millisecond})
	e.endpoint(rc.URL+"/a", nil)
	e.endpoint(rc.URL+"/b", nil)
	var wg sync.WaitGroup
	ids := make(chan string, publishers*each)
	for range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				res, err := e.engine.Publish(context.Background(), &hookd.Publish{
					TenantID: hookd.DefaultTenant, Type: "a.b", Data: json.RawMessage(`{"n":1}`)})
				if err != nil {
					t.Error(err)
					return
				}
				if res.Deliveries != 2 {
					t.Errorf("event %s has %d deliveries, want 2", res.Event.ID, res.Deliveries)
				}
				ids <- res.Event.ID
			}
		}()
	}
	wg.Wait()
	close(ids)
	want := 2 * publishers * each
	waitFor(t, 30*time.Second, func() bool { return rc.count.Load() >= int64(want) })
	// Once every delivery has succeeded none can be claimed again, and
	// Close lets attempts still in flight (a lapsed lease's duplicate)
	// finish: the receiver has then seen every request there will be.
	waitFor(t, 30*time.Second, func() bool {
		n, err := e.store.CountDeliveries(context.Background(), hookd.DeliveryFilter{Status: hookd.StatusSucceeded})
		return err == nil && n == int64(want)
	})
	if err := e.engine.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range rc.requests() {
		seen[r.header.Get("Webhook-Id")]++
	}
	for id := range ids {
		if seen[id] != 2 {
			t.Fatalf("event %s arrived %d times, want once per endpoint", id, seen[id])
		}
	}
	if got := rc.count.Load(); got != int64(want) {
		t.Fatalf("receiver got %d requests, want %d", got, want)
	}
}

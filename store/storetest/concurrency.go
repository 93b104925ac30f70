package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

func testConcurrency(t *testing.T, open Opener) {
	for _, claimers := range []int{2, 8} {
		t.Run(fmt.Sprintf("%dClaimers", claimers), func(t *testing.T) {
			testConcurrentClaims(t, open, claimers, 2000)
		})
	}
	t.Run("Commits", testConcurrentCommits(open))
}

// seedDue commits n due, free deliveries, 20 per event, in one batch.
func (f *fixture) seedDue(n int) map[string]bool {
	f.t.Helper()
	all := make(map[string]bool, n)
	b := &hookd.Batch{}
	for len(all) < n {
		ev := newEventAt(f.t, hookd.DefaultTenant, "load.test", f.at(-time.Minute))
		w := &hookd.EventWrite{Event: ev}
		for i := 0; i < 20 && len(all) < n; i++ {
			d := newDelivery(f.t, ev, fmt.Sprintf("ep_%d", i))
			w.Deliveries = append(w.Deliveries, d)
			all[d.ID] = true
		}
		b.Events = append(b.Events, w)
	}
	f.commit(b)
	return all
}

// testConcurrentClaims runs claimers that claim until nothing is left, and
// checks that together they got every delivery, each exactly once.
func testConcurrentClaims(t *testing.T, open Opener, claimers, n int) {
	f := setup(t, open)
	all := f.seedDue(n)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		got  = map[string]string{}
		errs []error
	)
	for c := range claimers {
		owner := fmt.Sprintf("node-%d", c)
		wg.Go(func() {
			for {
				cl, err := f.s.ClaimDeliveries(f.ctx, hookd.Claim{Owner: owner, Now: f.now, Until: f.at(time.Hour), Limit: 37})
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				for _, c := range cl {
					if prev, ok := got[c.Delivery.ID]; ok {
						errs = append(errs, fmt.Errorf("%s claimed by %s and %s", c.Delivery.ID, prev, owner))
					}
					got[c.Delivery.ID] = owner
					if c.Event == nil || c.Event.ID != c.Delivery.EventID {
						errs = append(errs, fmt.Errorf("%s claimed without its event", c.Delivery.ID))
					}
				}
				mu.Unlock()
				if err != nil || len(cl) == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	require.Empty(t, errs)
	assert.Len(t, got, n, "every delivery claimed")
	for id := range all {
		_, ok := got[id]
		require.True(t, ok, "%s never claimed", id)
	}
}

func testConcurrentCommits(open Opener) func(*testing.T) {
	return func(t *testing.T) {
		f := setup(t, open)
		const writers, commits, perBatch = 16, 10, 5
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			want = map[string]bool{}
			errs []error
		)
		for range writers {
			wg.Go(func() {
				for range commits {
					b := &hookd.Batch{}
					for range perBatch {
						ev := f.newEvent(hookd.DefaultTenant, "load.test")
						b.Events = append(b.Events, &hookd.EventWrite{Event: ev, Deliveries: []*hookd.Delivery{newDelivery(t, ev, "ep_1")}})
					}
					err := f.s.Commit(f.ctx, b)
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					}
					for _, w := range b.Events {
						want[w.Event.ID] = true
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Empty(t, errs)
		events := collectPages(t, hookd.MaxPageLimit, func(p hookd.Page) ([]*hookd.Event, string, error) {
			return f.s.ListEvents(f.ctx, hookd.EventFilter{TenantID: hookd.DefaultTenant, Page: p})
		})
		require.Len(t, events, writers*commits*perBatch)
		for _, e := range events {
			assert.True(t, want[e.ID], "unexpected event %s", e.ID)
		}
		ds := collectPages(t, hookd.MaxPageLimit, func(p hookd.Page) ([]*hookd.Delivery, string, error) {
			return f.s.ListDeliveries(f.ctx, hookd.DeliveryFilter{TenantID: hookd.DefaultTenant, Page: p})
		})
		assert.Len(t, ds, writers*commits*perBatch)
	}
}

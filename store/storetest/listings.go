package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

// collectPages follows the cursors of a listing with the given page size
// and returns every item, checking each page's size.
func collectPages[T any](t *testing.T, size int, list func(hookd.Page) ([]T, string, error)) []T {
	t.Helper()
	var all []T
	cursor := ""
	for page := 0; ; page++ {
		require.Less(t, page, 100, "pagination does not end")
		items, next, err := list(hookd.Page{Limit: size, Cursor: cursor})
		require.NoError(t, err)
		require.LessOrEqual(t, len(items), size)
		all = append(all, items...)
		if next == "" {
			return all
		}
		require.Len(t, items, size, "a page before the last is full")
		cursor = next
	}
}

func eventID(e *hookd.Event) string       { return e.ID }
func deliveryID(d *hookd.Delivery) string { return d.ID }
func attemptID(a *hookd.Attempt) string   { return a.ID }

func testListings(t *testing.T, open Opener) {
	t.Run("Events", func(t *testing.T) { testListEvents(t, open) })
	t.Run("Deliveries", func(t *testing.T) { testListDeliveries(t, open) })
	t.Run("Attempts", func(t *testing.T) { testListAttempts(t, open) })
}

func testListEvents(t *testing.T, open Opener) {
	f := setup(t, open)
	f.putTenant("other")
	var all []*hookd.Event
	types := []string{"a.one", "b.two", "c.three"}
	b := &hookd.Batch{}
	for i := range 9 {
		ev := newEventAt(t, hookd.DefaultTenant, types[i%3], f.at(time.Duration(i)*time.Minute))
		all = append(all, ev)
		b.Events = append(b.Events, &hookd.EventWrite{Event: ev})
	}
	b.Events = append(b.Events, &hookd.EventWrite{Event: f.newEvent("other", "a.one")})
	f.commit(b)
	newest := slices.Clone(all)
	slices.Reverse(newest)

	list := func(filter hookd.EventFilter) func(hookd.Page) ([]*hookd.Event, string, error) {
		return func(p hookd.Page) ([]*hookd.Event, string, error) {
			filter.Page = p
			return f.s.ListEvents(f.ctx, filter)
		}
	}
	got := collectPages(t, 4, list(hookd.EventFilter{TenantID: hookd.DefaultTenant}))
	assert.Equal(t, ids(newest, eventID), ids(got, eventID), "newest first, one tenant")
	requireSame(t, newest[0], got[0])
	assert.Equal(t, newest[0].Payload, got[0].Payload)
	requireSubslice(t, got[0].Payload, got[0].Data)

	got = collectPages(t, 2, list(hookd.EventFilter{TenantID: hookd.DefaultTenant, Types: []string{"a.one", "c.three"}}))
	assert.Equal(t, ids([]*hookd.Event{all[8], all[6], all[5], all[3], all[2], all[0]}, eventID), ids(got, eventID))

	got = collectPages(t, 50, list(hookd.EventFilter{TenantID: hookd.DefaultTenant, After: f.at(3 * time.Minute), Before: f.at(6 * time.Minute)}))
	assert.Equal(t, ids([]*hookd.Event{all[5], all[4], all[3]}, eventID), ids(got, eventID), "After inclusive, Before exclusive")

	got = collectPages(t, 50, list(hookd.EventFilter{TenantID: hookd.DefaultTenant, Types: []string{"b.two"}, After: f.at(2 * time.Minute)}))
	assert.Equal(t, ids([]*hookd.Event{all[7], all[4]}, eventID), ids(got, eventID))

	got = collectPages(t, 50, list(hookd.EventFilter{TenantID: "other"}))
	assert.Len(t, got, 1)
}

func testListDeliveries(t *testing.T, open Opener) {
	f := setup(t, open)
	f.putTenant("other")
	ev1, d1 := f.publish(hookd.DefaultTenant, f.now, "ep_a", "ep_b")
	ev2, d2 := f.publish(hookd.DefaultTenant, f.now, "ep_a", "ep_c")
	_, d3 := f.publish("other", f.now, "ep_a")
	cl, err := f.s.ClaimDeliveries(f.ctx, hookd.Claim{Owner: "n", Now: f.now, Until: f.at(time.Minute), Limit: 100})
	require.NoError(t, err)
	require.Len(t, cl, 5)
	f.commit(&hookd.Batch{Updates: []*hookd.DeliveryUpdate{
		{ID: d1[0].ID, Owner: "n", Status: hookd.StatusSucceeded, Attempts: 1, LastAttemptAt: f.now, Release: true},
		{ID: d2[0].ID, Owner: "n", Status: hookd.StatusDead, Attempts: 8, LastAttemptAt: f.now, Release: true},
	}})

	list := func(filter hookd.DeliveryFilter) func(hookd.Page) ([]*hookd.Delivery, string, error) {
		return func(p hookd.Page) ([]*hookd.Delivery, string, error) {
			filter.Page = p
			return f.s.ListDeliveries(f.ctx, filter)
		}
	}
	cases := []struct {
		name   string
		filter hookd.DeliveryFilter
		want   []*hookd.Delivery // newest first
	}{
		{"tenant", hookd.DeliveryFilter{TenantID: hookd.DefaultTenant}, []*hookd.Delivery{d2[1], d2[0], d1[1], d1[0]}},
		{"event", hookd.DeliveryFilter{EventID: ev1.ID}, []*hookd.Delivery{d1[1], d1[0]}},
		{"endpoint", hookd.DeliveryFilter{EndpointID: "ep_a"}, []*hookd.Delivery{d3[0], d2[0], d1[0]}},
		{"tenant and endpoint", hookd.DeliveryFilter{TenantID: hookd.DefaultTenant, EndpointID: "ep_a"}, []*hookd.Delivery{d2[0], d1[0]}},
		{"status", hookd.DeliveryFilter{TenantID: hookd.DefaultTenant, Status: hookd.StatusPending}, []*hookd.Delivery{d2[1], d1[1]}},
		{"event and status", hookd.DeliveryFilter{EventID: ev2.ID, Status: hookd.StatusDead}, []*hookd.Delivery{d2[0]}},
		{"all", hookd.DeliveryFilter{}, []*hookd.Delivery{d3[0], d2[1], d2[0], d1[1], d1[0]}},
		{"none", hookd.DeliveryFilter{EndpointID: "ep_zzz"}, nil},
	}
	for _, tc := range cases {
		got := collectPages(t, 2, list(tc.filter))
		assert.Equal(t, ids(tc.want, deliveryID), ids(got, deliveryID), tc.name)
	}
	got, _, err := f.s.ListDeliveries(f.ctx, hookd.DeliveryFilter{EventID: ev2.ID, Status: hookd.StatusDead})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, 8, got[0].Attempts)
	assert.Empty(t, got[0].LeaseOwner)
}

func testListAttempts(t *testing.T, open Opener) {
	f := setup(t, open)
	f.putTenant("other")
	ev1, d1 := f.publish(hookd.DefaultTenant, f.now, "ep_a", "ep_b")
	_, d2 := f.publish(hookd.DefaultTenant, f.now, "ep_a")
	_, d3 := f.publish("other", f.now, "ep_a")
	a := []*hookd.Attempt{
		newAttempt(t, d1[0], 1, f.now), newAttempt(t, d1[0], 2, f.at(time.Second)),
		newAttempt(t, d1[1], 1, f.now), newAttempt(t, d2[0], 1, f.now), newAttempt(t, d3[0], 1, f.now),
	}
	a[1].ResponseStatus, a[1].ResponseBody = 200, []byte("ok")
	f.commit(&hookd.Batch{Attempts: a})

	list := func(filter hookd.AttemptFilter) func(hookd.Page) ([]*hookd.Attempt, string, error) {
		return func(p hookd.Page) ([]*hookd.Attempt, string, error) {
			filter.Page = p
			return f.s.ListAttempts(f.ctx, filter)
		}
	}
	cases := []struct {
		name   string
		filter hookd.AttemptFilter
		want   []*hookd.Attempt // newest first
	}{
		{"delivery", hookd.AttemptFilter{DeliveryID: d1[0].ID}, []*hookd.Attempt{a[1], a[0]}},
		{"event", hookd.AttemptFilter{EventID: ev1.ID}, []*hookd.Attempt{a[2], a[1], a[0]}},
		{"endpoint", hookd.AttemptFilter{EndpointID: "ep_a"}, []*hookd.Attempt{a[4], a[3], a[1], a[0]}},
		{"tenant and endpoint", hookd.AttemptFilter{TenantID: hookd.DefaultTenant, EndpointID: "ep_a"}, []*hookd.Attempt{a[3], a[1], a[0]}},
		{"tenant", hookd.AttemptFilter{TenantID: "other"}, []*hookd.Attempt{a[4]}},
		{"all", hookd.AttemptFilter{}, []*hookd.Attempt{a[4], a[3], a[2], a[1], a[0]}},
	}
	for _, tc := range cases {
		got := collectPages(t, 2, list(tc.filter))
		assert.Equal(t, ids(tc.want, attemptID), ids(got, attemptID), tc.name)
		for i := range got {
			requireSame(t, tc.want[i], got[i], tc.name)
		}
	}
}

package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

// testQueueStats checks the queue summary of every tenant: pending and
// failed deliveries counted apart, ended ones not at all, the creation of
// the oldest pending one, and disabled endpoints.
func testQueueStats(t *testing.T, open Opener) {
	f := setup(t, open)
	st, err := f.s.QueueStats(f.ctx)
	require.NoError(t, err)
	require.Equal(t, hookd.QueueStats{}, st, "an empty store")

	other := f.putTenant(uniq("t")).ID
	on, off := f.createEndpoint(hookd.DefaultTenant), f.createEndpoint(other)
	require.NoError(t, f.s.SetEndpointHealth(f.ctx, other, off.ID, hookd.EndpointHealth{Disable: true, DisabledReason: "gone"}))

	// The oldest delivery of all has ended: it does not count.
	statuses := []string{hookd.StatusDead, hookd.StatusPending, hookd.StatusFailed, hookd.StatusSucceeded, hookd.StatusDead}
	var b hookd.Batch
	for i, status := range statuses {
		tenant, ep := hookd.DefaultTenant, on.ID
		if i%2 == 1 {
			tenant, ep = other, off.ID
		}
		ev := newEventAt(t, tenant, "invoice.paid", f.at(time.Duration(i-len(statuses))*time.Minute))
		d := newDelivery(t, ev, ep)
		d.Status = status
		b.Events = append(b.Events, &hookd.EventWrite{Event: ev, Deliveries: []*hookd.Delivery{d}})
	}
	f.commit(&b)

	st, err = f.s.QueueStats(f.ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), st.Pending)
	require.Equal(t, int64(1), st.Failed)
	require.Equal(t, int64(1), st.DisabledEndpoints)
	require.True(t, st.OldestPending.Equal(f.at(-4*time.Minute)), "oldest pending %v, want %v", st.OldestPending, f.at(-4*time.Minute))
}

// testDisableAnnounced checks that a disable stores its announcement in
// the same transaction: with the disable, not at all when the endpoint
// was disabled already, or is gone.
func testDisableAnnounced(t *testing.T, open Opener) {
	f := setup(t, open)
	ep, watcher := f.createEndpoint(hookd.DefaultTenant), f.createEndpoint(hookd.DefaultTenant)
	announce := func() *hookd.EventWrite {
		ev := f.newEvent(hookd.DefaultTenant, hookd.EndpointDisabledEventType)
		return &hookd.EventWrite{Event: ev, Deliveries: []*hookd.Delivery{newDelivery(t, ev, watcher.ID)}}
	}
	w := announce()
	require.NoError(t, f.s.SetEndpointHealth(f.ctx, hookd.DefaultTenant, ep.ID,
		hookd.EndpointHealth{FailingSince: f.at(-time.Hour), Disable: true, DisabledReason: "410", Announce: w}))
	got, err := f.s.GetEndpoint(f.ctx, hookd.DefaultTenant, ep.ID)
	require.NoError(t, err)
	require.False(t, got.Enabled)
	ev, err := f.s.GetEvent(f.ctx, hookd.DefaultTenant, w.Event.ID)
	require.NoError(t, err)
	require.Equal(t, hookd.EndpointDisabledEventType, ev.Type)
	d, err := f.s.GetDelivery(f.ctx, w.Deliveries[0].ID)
	require.NoError(t, err)
	require.Equal(t, hookd.StatusPending, d.Status)

	again := announce()
	require.NoError(t, f.s.SetEndpointHealth(f.ctx, hookd.DefaultTenant, ep.ID,
		hookd.EndpointHealth{Disable: true, DisabledReason: "twice", Announce: again}))
	require.True(t, again.Duplicate, "a second disable announces nothing")
	_, err = f.s.GetEvent(f.ctx, hookd.DefaultTenant, again.Event.ID)
	requireCode(t, err, hookd.ENOTFOUND)
	got, err = f.s.GetEndpoint(f.ctx, hookd.DefaultTenant, ep.ID)
	require.NoError(t, err)
	require.Equal(t, "410", got.DisabledReason, "the first disable's reason stays")
	require.False(t, w.Duplicate)

	lost := announce()
	err = f.s.SetEndpointHealth(f.ctx, hookd.DefaultTenant, "ep_missing",
		hookd.EndpointHealth{Disable: true, DisabledReason: "410", Announce: lost})
	requireCode(t, err, hookd.ENOTFOUND)
	_, err = f.s.GetEvent(f.ctx, hookd.DefaultTenant, lost.Event.ID)
	requireCode(t, err, hookd.ENOTFOUND)
}

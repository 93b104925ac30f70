package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

func claimedIDs(cl []*hookd.Claimed) []string {
	return ids(cl, func(c *hookd.Claimed) string { return c.Delivery.ID })
}

// claim claims for owner at now, with a one-minute lease.
func (f *fixture) claim(owner string, now time.Time, limit int) []*hookd.Claimed {
	f.t.Helper()
	cl, err := f.s.ClaimDeliveries(f.ctx, hookd.Claim{Owner: owner, Now: now, Until: now.Add(time.Minute), Limit: limit})
	require.NoError(f.t, err)
	return cl
}

func testLeases(t *testing.T, open Opener) {
	t.Run("ClaimTakesDueAndFree", func(t *testing.T) { testClaimDue(t, open) })
	t.Run("ClaimLimitOldestFirst", func(t *testing.T) {
		f := setup(t, open)
		var want []string
		for i := range 5 {
			_, ds := f.publish(hookd.DefaultTenant, f.at(-time.Duration(i)*time.Second), "ep_1")
			want = append([]string{ds[0].ID}, want...) // older due first
		}
		assert.Equal(t, want[:2], claimedIDs(f.claim("a", f.now, 2)))
		assert.Equal(t, want[2:4], claimedIDs(f.claim("b", f.now, 2)))
		assert.Equal(t, want[4:], claimedIDs(f.claim("c", f.now, 2)))
		assert.Empty(t, f.claim("d", f.now, 2))
		assert.Empty(t, f.claim("d", f.now, 0), "limit 0 claims nothing")
	})
	t.Run("ExpiredLeaseTakenOver", func(t *testing.T) { testExpiredLeaseTakenOver(t, open) })
	t.Run("Renew", func(t *testing.T) { testRenew(t, open) })
	t.Run("Release", func(t *testing.T) {
		f := setup(t, open)
		_, ds := f.publish(hookd.DefaultTenant, f.now, "ep_1", "ep_2")
		require.Len(t, f.claim("a", f.now, 10), 2)
		require.NoError(t, f.s.ReleaseLeases(f.ctx, "b", []string{ds[0].ID, ds[1].ID}))
		assert.Empty(t, f.claim("b", f.now, 10), "another owner releases nothing")
		require.NoError(t, f.s.ReleaseLeases(f.ctx, "a", []string{ds[0].ID}))
		got, err := f.s.GetDelivery(f.ctx, ds[0].ID)
		require.NoError(t, err)
		assert.Empty(t, got.LeaseOwner)
		assert.Equal(t, hookd.StatusPending, got.Status, "state left as it is")
		assert.Equal(t, []string{ds[0].ID}, claimedIDs(f.claim("b", f.now, 10)))
		require.NoError(t, f.s.ReleaseLeases(f.ctx, "a", nil))
	})
}

func testClaimDue(t *testing.T, open Opener) {
	f := setup(t, open)
	ev := f.newEvent(hookd.DefaultTenant, "invoice.paid")
	ev.Trace = hookd.TraceContext{Parent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", State: "congo=t61rcWkgMzE"}
	mk := func(status string, due time.Duration) *hookd.Delivery {
		d := newDelivery(t, ev, "ep_"+status)
		d.Status, d.NextAttemptAt = status, f.at(due)
		return d
	}
	due1 := mk(hookd.StatusPending, -3*time.Second)
	due2 := mk(hookd.StatusFailed, -2*time.Second)
	due3 := mk(hookd.StatusPending, 0) // due exactly now
	expired := mk(hookd.StatusPending, -time.Second)
	expired.LeaseOwner, expired.LeaseUntil = "dead-node", f.at(-time.Millisecond)
	live := mk(hookd.StatusPending, -4*time.Second)
	live.LeaseOwner, live.LeaseUntil = "live-node", f.at(time.Second)
	future := mk(hookd.StatusFailed, time.Second)
	succeeded := mk(hookd.StatusSucceeded, -time.Hour)
	dead := mk(hookd.StatusDead, -time.Hour)
	f.commit(&hookd.Batch{Events: []*hookd.EventWrite{{Event: ev, Deliveries: []*hookd.Delivery{
		succeeded, future, due3, live, dead, expired, due2, due1,
	}}}})

	cl, err := f.s.ClaimDeliveries(f.ctx, hookd.Claim{Owner: "me", Now: f.now, Until: f.at(30 * time.Second), Limit: 100})
	require.NoError(t, err)
	assert.Equal(t, []string{due1.ID, due2.ID, expired.ID, due3.ID}, claimedIDs(cl), "due and free, oldest due first")
	for _, c := range cl {
		assert.Equal(t, "me", c.Delivery.LeaseOwner)
		assert.True(t, c.Delivery.LeaseUntil.Equal(f.at(30*time.Second)))
		require.NotNil(t, c.Event)
		assert.Equal(t, ev.ID, c.Event.ID)
		assert.Equal(t, ev.Payload, c.Event.Payload, "payload intact")
		assert.Equal(t, string(ev.Data), string(c.Event.Data))
		assert.Equal(t, ev.Trace, c.Event.Trace, "the trace context travels with the claimed event")
		requireSubslice(t, c.Event.Payload, c.Event.Data)
		got, err := f.s.GetDelivery(f.ctx, c.Delivery.ID)
		require.NoError(t, err)
		assert.Equal(t, "me", got.LeaseOwner, "the lease is stored")
	}
	assert.Equal(t, due2.Status, cl[1].Delivery.Status)
	assert.Empty(t, f.claim("other", f.now, 100), "nothing left that is due and free")
	assert.Equal(t, []string{live.ID, future.ID}, claimedIDs(f.claim("other", f.at(time.Second), 100)),
		"a second later the live lease has lapsed and the future one is due")
}

func testRequeue(t *testing.T, open Opener) {
	t.Run("FailedAndDead", func(t *testing.T) { testRequeueAll(t, open) })
	t.Run("Narrowed", func(t *testing.T) { testRequeueNarrowed(t, open) })
	t.Run("SkipsLiveLeases", func(t *testing.T) { testRequeueSkipsLive(t, open) })
	t.Run("OneDeliveryWhateverItsEnd", func(t *testing.T) { testRequeueOne(t, open) })
	t.Run("NeedsTenant", func(t *testing.T) {
		f := setup(t, open)
		_, err := f.s.Requeue(f.ctx, hookd.RequeueFilter{}, "me", f.now, f.at(time.Minute))
		requireCode(t, err, hookd.EINVALID)
	})
}

// ended commits an event of tenant with one delivery per status, created
// at created, all to endpoint.
func (f *fixture) ended(tenant, endpoint string, created time.Time) (*hookd.Event, map[string]*hookd.Delivery) {
	f.t.Helper()
	ev := newEventAt(f.t, tenant, "invoice.paid", created)
	ds := map[string]*hookd.Delivery{}
	w := &hookd.EventWrite{Event: ev}
	for _, st := range []string{hookd.StatusPending, hookd.StatusFailed, hookd.StatusSucceeded, hookd.StatusDead} {
		d := newDelivery(f.t, ev, endpoint)
		d.Status, d.Attempts, d.NextAttemptAt = st, 3, f.at(time.Hour) // not due: only requeue takes them
		ds[st] = d
		w.Deliveries = append(w.Deliveries, d)
	}
	f.commit(&hookd.Batch{Events: []*hookd.EventWrite{w}})
	return ev, ds
}

func testRequeueAll(t *testing.T, open Opener) {
	f := setup(t, open)
	f.putTenant("other")
	ev, ds := f.ended(hookd.DefaultTenant, "ep_1", f.at(-time.Hour))
	_, others := f.ended("other", "ep_1", f.at(-time.Hour))

	now := f.now
	cl, err := f.s.Requeue(f.ctx, hookd.RequeueFilter{TenantID: hookd.DefaultTenant}, "me", now, now.Add(time.Minute))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{ds[hookd.StatusFailed].ID, ds[hookd.StatusDead].ID}, claimedIDs(cl))
	for _, c := range cl {
		assert.Equal(t, hookd.StatusPending, c.Delivery.Status)
		assert.True(t, c.Delivery.NextAttemptAt.Equal(now), "due now")
		assert.Equal(t, "me", c.Delivery.LeaseOwner)
		assert.True(t, c.Delivery.LeaseUntil.Equal(now.Add(time.Minute)))
		assert.Equal(t, 3, c.Delivery.Attempts, "attempts are kept")
		require.NotNil(t, c.Event)
		assert.Equal(t, ev.Payload, c.Event.Payload)
		got, err := f.s.GetDelivery(f.ctx, c.Delivery.ID)
		require.NoError(t, err)
		requireSame(t, c.Delivery, got)
	}
	for _, st := range []string{hookd.StatusPending, hookd.StatusSucceeded} {
		got, err := f.s.GetDelivery(f.ctx, ds[st].ID)
		require.NoError(t, err)
		requireSame(t, ds[st], got, "%s delivery untouched", st)
	}
	got, err := f.s.GetDelivery(f.ctx, others[hookd.StatusFailed].ID)
	require.NoError(t, err)
	assert.Equal(t, hookd.StatusFailed, got.Status, "another tenant's delivery untouched")
	assert.Empty(t, f.claim("x", now, 100), "requeued deliveries are leased to their owner")
}

func testRequeueNarrowed(t *testing.T, open Opener) {
	f := setup(t, open)
	evOld, old := f.ended(hookd.DefaultTenant, "ep_1", f.at(-48*time.Hour))
	_, ep2 := f.ended(hookd.DefaultTenant, "ep_2", f.at(-time.Hour))
	evNew, ep1 := f.ended(hookd.DefaultTenant, "ep_1", f.at(-time.Hour))
	requeue := func(rf hookd.RequeueFilter) []string {
		t.Helper()
		rf.TenantID = hookd.DefaultTenant
		cl, err := f.s.Requeue(f.ctx, rf, "me", f.now, f.at(time.Minute))
		require.NoError(t, err)
		return claimedIDs(cl)
	}
	assert.ElementsMatch(t, []string{ep1[hookd.StatusFailed].ID, ep1[hookd.StatusDead].ID},
		requeue(hookd.RequeueFilter{EndpointID: "ep_1", Since: f.at(-2 * time.Hour)}), "by endpoint, since")
	assert.ElementsMatch(t, []string{old[hookd.StatusFailed].ID, old[hookd.StatusDead].ID},
		requeue(hookd.RequeueFilter{EventID: evOld.ID}), "by event")
	assert.Empty(t, requeue(hookd.RequeueFilter{EventID: evNew.ID}), "already requeued")
	assert.ElementsMatch(t, []string{ep2[hookd.StatusFailed].ID, ep2[hookd.StatusDead].ID},
		requeue(hookd.RequeueFilter{}), "the rest of the tenant")
}

func testExpiredLeaseTakenOver(t *testing.T, open Opener) {
	f := setup(t, open)
	_, ds := f.publish(hookd.DefaultTenant, f.now, "ep_1")
	require.Len(t, f.claim("a", f.now, 10), 1)
	assert.Empty(t, f.claim("b", f.at(59*time.Second), 10), "a live lease is not claimed")
	cl := f.claim("b", f.at(time.Minute), 10)
	require.Len(t, cl, 1, "a lease that lapsed is claimed")
	assert.Equal(t, "b", cl[0].Delivery.LeaseOwner)

	f.commit(&hookd.Batch{Updates: []*hookd.DeliveryUpdate{{ID: ds[0].ID, Owner: "a",
		Status: hookd.StatusSucceeded, Attempts: 1, LastAttemptAt: f.now, Release: true}}})
	got, err := f.s.GetDelivery(f.ctx, ds[0].ID)
	require.NoError(t, err)
	assert.Equal(t, hookd.StatusPending, got.Status, "the node that lost the lease cannot write")
	assert.Equal(t, "b", got.LeaseOwner)
}

func testRenew(t *testing.T, open Opener) {
	f := setup(t, open)
	_, ds := f.publish(hookd.DefaultTenant, f.now, "ep_1", "ep_2", "ep_3")
	cl := f.claim("a", f.now, 2)
	require.Len(t, cl, 2)
	held := claimedIDs(cl)
	free := ds[2].ID
	for _, d := range ds[:2] {
		require.Contains(t, held, d.ID)
	}
	renewed, err := f.s.RenewLeases(f.ctx, "a", []string{held[0], free, held[1], hookd.NewID(hookd.PrefixDelivery)}, f.at(5*time.Minute))
	require.NoError(t, err)
	assert.ElementsMatch(t, held, renewed, "only the leases a holds")
	none, err := f.s.RenewLeases(f.ctx, "b", held, f.at(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, none, "another owner renews nothing")

	cl = f.claim("b", f.at(2*time.Minute), 10)
	assert.Equal(t, []string{free}, claimedIDs(cl), "renewed leases are not claimed")
	got, err := f.s.GetDelivery(f.ctx, held[0])
	require.NoError(t, err)
	assert.Equal(t, "a", got.LeaseOwner)
	assert.True(t, got.LeaseUntil.Equal(f.at(5*time.Minute)), "lease until %v", got.LeaseUntil)
}

// testRequeueSkipsLive checks that a failed delivery a live node holds (a
// near retry in its memory) is left to it, so it is not sent twice.
func testRequeueSkipsLive(t *testing.T, open Opener) {
	f := setup(t, open)
	ev := newEventAt(t, hookd.DefaultTenant, "invoice.paid", f.at(-time.Hour))
	held, lapsed := newDelivery(t, ev, "ep_1"), newDelivery(t, ev, "ep_1")
	for _, d := range []*hookd.Delivery{held, lapsed} {
		d.Status, d.Attempts, d.NextAttemptAt = hookd.StatusFailed, 1, f.at(time.Second)
		d.LeaseOwner = "node-a"
	}
	held.LeaseUntil, lapsed.LeaseUntil = f.at(time.Minute), f.at(-time.Second)
	f.commit(&hookd.Batch{Events: []*hookd.EventWrite{{Event: ev, Deliveries: []*hookd.Delivery{held, lapsed}}}})
	cl, err := f.s.Requeue(f.ctx, hookd.RequeueFilter{TenantID: hookd.DefaultTenant}, "me", f.now, f.at(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, []string{lapsed.ID}, claimedIDs(cl), "only the delivery no live node holds")
	got, err := f.s.GetDelivery(f.ctx, held.ID)
	require.NoError(t, err)
	assert.Equal(t, "node-a", got.LeaseOwner, "the live lease stays")
}

// testRequeueOne sends one delivery again, a succeeded one when asked;
// never a pending or cancelled one, nor one a live node holds.
func testRequeueOne(t *testing.T, open Opener) {
	f := setup(t, open)
	_, ds := f.ended(hookd.DefaultTenant, "ep_1", f.at(-time.Hour))
	other := newEventAt(t, hookd.DefaultTenant, "invoice.paid", f.at(-time.Hour))
	cancelled, held := newDelivery(t, other, "ep_1"), newDelivery(t, other, "ep_2")
	cancelled.Status, cancelled.Attempts, cancelled.NextAttemptAt = hookd.StatusCancelled, 1, f.at(-time.Minute)
	held.Status, held.Attempts, held.NextAttemptAt = hookd.StatusSucceeded, 1, f.at(-time.Minute)
	held.LeaseOwner, held.LeaseUntil = "node-a", f.at(time.Minute)
	f.commit(&hookd.Batch{Events: []*hookd.EventWrite{{Event: other, Deliveries: []*hookd.Delivery{cancelled, held}}}})
	requeue := func(id string, succeeded bool) []string {
		t.Helper()
		cl, err := f.s.Requeue(f.ctx, hookd.RequeueFilter{TenantID: hookd.DefaultTenant, DeliveryID: id,
			Succeeded: succeeded}, "me", f.now, f.at(time.Minute))
		require.NoError(t, err)
		return claimedIDs(cl)
	}
	succeeded := ds[hookd.StatusSucceeded].ID
	assert.Empty(t, requeue(succeeded, false), "a succeeded delivery needs the flag")
	assert.Empty(t, requeue(ds[hookd.StatusPending].ID, true), "a pending delivery is not taken")
	assert.Empty(t, requeue(cancelled.ID, true), "a cancelled delivery is not taken")
	assert.Empty(t, requeue(held.ID, true), "a live node's lease is not taken")
	assert.Equal(t, []string{succeeded}, requeue(succeeded, true), "the succeeded one alone")
	got, err := f.s.GetDelivery(f.ctx, succeeded)
	require.NoError(t, err)
	assert.Equal(t, hookd.StatusPending, got.Status)
	assert.Equal(t, "me", got.LeaseOwner)
	assert.Equal(t, 3, got.Attempts, "attempts are kept")
	assert.Equal(t, []string{ds[hookd.StatusDead].ID}, requeue(ds[hookd.StatusDead].ID, false), "a dead one by id")
	got, err = f.s.GetDelivery(f.ctx, ds[hookd.StatusFailed].ID)
	require.NoError(t, err)
	assert.Equal(t, hookd.StatusFailed, got.Status, "the event's other deliveries are untouched")
}

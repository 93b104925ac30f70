package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

func testCommit(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) { testCommitRoundTrip(t, open) })
	t.Run("RawPayload", func(t *testing.T) {
		f := setup(t, open)
		ev := f.newEvent(hookd.DefaultTenant, "raw.event")
		ev.Payload = []byte(`[1,2,3]`)
		ev.Data = ev.Payload
		ev.Headers, ev.Method, ev.ContentType = nil, "", ""
		f.commit(&hookd.Batch{Events: []*hookd.EventWrite{{Event: ev}}})
		got, err := f.s.GetEvent(f.ctx, hookd.DefaultTenant, ev.ID)
		require.NoError(t, err)
		assert.Equal(t, ev.Payload, got.Payload)
		assert.Equal(t, []byte(ev.Data), []byte(got.Data))
		requireSubslice(t, got.Payload, got.Data)
		requireSame(t, ev, got)
	})
	t.Run("FailingBatchWritesNothing", func(t *testing.T) { testCommitAtomic(t, open) })
	t.Run("DeliveryUpdates", func(t *testing.T) { testDeliveryUpdates(t, open) })
	t.Run("RequestWrite", func(t *testing.T) { testRequestWrite(t, open) })
	t.Run("GetMissing", func(t *testing.T) {
		f := setup(t, open)
		f.putTenant("other")
		ev, ds := f.publish(hookd.DefaultTenant, f.now, "ep_x")
		_, err := f.s.GetEvent(f.ctx, "other", ev.ID)
		requireCode(t, err, hookd.ENOTFOUND)
		_, err = f.s.GetEvent(f.ctx, hookd.DefaultTenant, hookd.NewID(hookd.PrefixEvent))
		requireCode(t, err, hookd.ENOTFOUND)
		_, err = f.s.GetDelivery(f.ctx, hookd.NewID(hookd.PrefixDelivery))
		requireCode(t, err, hookd.ENOTFOUND)
		_, err = f.s.GetDelivery(f.ctx, ds[0].ID)
		require.NoError(t, err)
	})
}

func testCommitRoundTrip(t *testing.T, open Opener) {
	f := setup(t, open)
	ep := f.createEndpoint(hookd.DefaultTenant)
	ev := f.newEvent(hookd.DefaultTenant, "invoice.paid")
	ev.IdempotencyKey = "order-42"
	leased := newDelivery(t, ev, ep.ID)
	leased.LeaseOwner, leased.LeaseUntil = "node-a", f.at(30*time.Second)
	// Deliveries may target forward destinations that are not endpoints.
	forward := newDelivery(t, ev, "fwd_internal")
	forward.Status, forward.Attempts = hookd.StatusFailed, 2
	forward.NextAttemptAt, forward.LastAttemptAt = f.at(time.Minute), f.at(-time.Second)
	b := &hookd.Batch{Events: []*hookd.EventWrite{{Event: ev, Deliveries: []*hookd.Delivery{leased, forward}}}}
	f.commit(b)
	assert.False(t, b.Events[0].Duplicate)

	got, err := f.s.GetEvent(f.ctx, hookd.DefaultTenant, ev.ID)
	require.NoError(t, err)
	assert.Equal(t, ev.Payload, got.Payload, "payload byte for byte")
	assert.Equal(t, string(ev.Data), string(got.Data), "data byte for byte")
	requireSubslice(t, got.Payload, got.Data)
	requireSame(t, ev, got)

	for _, d := range []*hookd.Delivery{leased, forward} {
		gd, err := f.s.GetDelivery(f.ctx, d.ID)
		require.NoError(t, err)
		requireSame(t, d, gd)
	}

	a1 := newAttempt(t, forward, 1, f.at(-time.Minute))
	a1.ResponseStatus, a1.ResponseBody, a1.Error = 0, nil, "dial tcp: connection refused"
	a2 := newAttempt(t, forward, 2, f.at(-time.Second))
	f.commit(&hookd.Batch{Attempts: []*hookd.Attempt{a1, a2}})
	as, next, err := f.s.ListAttempts(f.ctx, hookd.AttemptFilter{DeliveryID: forward.ID})
	require.NoError(t, err)
	assert.Empty(t, next)
	require.Len(t, as, 2)
	requireSame(t, a2, as[0], "newest first")
	requireSame(t, a1, as[1])
	assert.Equal(t, a2.ResponseBody, as[0].ResponseBody, "binary body kept")
}

func testCommitAtomic(t *testing.T, open Opener) {
	f := setup(t, open)
	f.createSource("src")
	_, ds := f.publish(hookd.DefaultTenant, f.now, "ep_1")

	ev := f.newEvent(hookd.DefaultTenant, "invoice.paid")
	fresh := newDelivery(t, ev, "ep_2")
	clash := newDelivery(t, ev, "ep_3")
	clash.ID = ds[0].ID // already exists
	other := f.newEvent(hookd.DefaultTenant, "invoice.paid")
	key := &hookd.IdempotencyKey{Scope: "evt:default", Key: "k-atomic", Fingerprint: []byte{1}}
	req := newRequest(t, "src", f.now, true, 202)
	att := newAttempt(t, ds[0], 1, f.now)
	err := f.s.Commit(f.ctx, &hookd.Batch{
		KeysAfter: f.at(-24 * time.Hour),
		Events: []*hookd.EventWrite{
			{Event: other, Key: key},
			{Event: ev, Deliveries: []*hookd.Delivery{fresh, clash}},
		},
		Requests: []*hookd.RequestWrite{{Request: req}},
		Attempts: []*hookd.Attempt{att},
	})
	require.Error(t, err)

	for _, id := range []string{ev.ID, other.ID} {
		_, err = f.s.GetEvent(f.ctx, hookd.DefaultTenant, id)
		requireCode(t, err, hookd.ENOTFOUND)
	}
	_, err = f.s.GetDelivery(f.ctx, fresh.ID)
	requireCode(t, err, hookd.ENOTFOUND)
	_, err = f.s.GetIdempotencyKey(f.ctx, key.Scope, key.Key, time.Time{})
	requireCode(t, err, hookd.ENOTFOUND)
	_, err = f.s.GetRequest(f.ctx, "src", req.ID)
	requireCode(t, err, hookd.ENOTFOUND)
	as, _, err := f.s.ListAttempts(f.ctx, hookd.AttemptFilter{DeliveryID: ds[0].ID})
	require.NoError(t, err)
	assert.Empty(t, as)
	got, err := f.s.GetDelivery(f.ctx, ds[0].ID)
	require.NoError(t, err)
	requireSame(t, ds[0], got, "the existing delivery is unchanged")
}

func testDeliveryUpdates(t *testing.T, open Opener) {
	f := setup(t, open)
	_, ds := f.publish(hookd.DefaultTenant, f.now, "ep_1", "ep_2")
	cl, err := f.s.ClaimDeliveries(f.ctx, hookd.Claim{Owner: "a", Now: f.now, Until: f.at(time.Minute), Limit: 10})
	require.NoError(t, err)
	require.Len(t, cl, 2)

	retry := &hookd.DeliveryUpdate{ID: ds[0].ID, Owner: "a", Status: hookd.StatusFailed, Attempts: 1,
		NextAttemptAt: f.at(5 * time.Second), LastAttemptAt: f.now, LeaseUntil: f.at(2 * time.Minute)}
	stale := &hookd.DeliveryUpdate{ID: ds[1].ID, Owner: "b", Status: hookd.StatusSucceeded, Attempts: 1,
		LastAttemptAt: f.now, Release: true}
	f.commit(&hookd.Batch{Updates: []*hookd.DeliveryUpdate{retry, stale}})

	got, err := f.s.GetDelivery(f.ctx, ds[0].ID)
	require.NoError(t, err)
	assert.Equal(t, hookd.StatusFailed, got.Status)
	assert.Equal(t, 1, got.Attempts)
	assert.True(t, got.NextAttemptAt.Equal(retry.NextAttemptAt))
	assert.True(t, got.LastAttemptAt.Equal(f.now))
	assert.Equal(t, "a", got.LeaseOwner, "lease kept without Release")
	assert.True(t, got.LeaseUntil.Equal(retry.LeaseUntil), "lease runs until LeaseUntil: %v", got.LeaseUntil)

	got, err = f.s.GetDelivery(f.ctx, ds[1].ID)
	require.NoError(t, err)
	assert.Equal(t, hookd.StatusPending, got.Status, "an update by a node without the lease is ignored")
	assert.Equal(t, 0, got.Attempts)
	assert.Equal(t, "a", got.LeaseOwner)

	done := &hookd.DeliveryUpdate{ID: ds[1].ID, Owner: "a", Status: hookd.StatusSucceeded, Attempts: 1,
		LastAttemptAt: f.now, Release: true}
	f.commit(&hookd.Batch{Updates: []*hookd.DeliveryUpdate{done}})
	got, err = f.s.GetDelivery(f.ctx, ds[1].ID)
	require.NoError(t, err)
	assert.Equal(t, hookd.StatusSucceeded, got.Status)
	assert.Empty(t, got.LeaseOwner, "Release frees the lease")

	// A released failed delivery is claimable by anyone once due.
	release := &hookd.DeliveryUpdate{ID: ds[0].ID, Owner: "a", Status: hookd.StatusFailed, Attempts: 1,
		NextAttemptAt: f.at(5 * time.Second), LastAttemptAt: f.now, Release: true}
	f.commit(&hookd.Batch{Updates: []*hookd.DeliveryUpdate{release}})
	cl, err = f.s.ClaimDeliveries(f.ctx, hookd.Claim{Owner: "b", Now: f.at(5 * time.Second), Until: f.at(time.Minute), Limit: 10})
	require.NoError(t, err)
	require.Len(t, cl, 1)
	assert.Equal(t, ds[0].ID, cl[0].Delivery.ID)
	assert.Equal(t, 1, cl[0].Delivery.Attempts)

	// Two updates of one delivery in one batch: the later one wins.
	first := &hookd.DeliveryUpdate{ID: ds[0].ID, Owner: "b", Status: hookd.StatusFailed, Attempts: 2,
		NextAttemptAt: f.at(6 * time.Second), LastAttemptAt: f.at(5 * time.Second), LeaseUntil: f.at(time.Hour)}
	second := &hookd.DeliveryUpdate{ID: ds[0].ID, Owner: "b", Status: hookd.StatusSucceeded, Attempts: 3,
		LastAttemptAt: f.at(6 * time.Second), Release: true}
	f.commit(&hookd.Batch{Updates: []*hookd.DeliveryUpdate{first, second}})
	got, err = f.s.GetDelivery(f.ctx, ds[0].ID)
	require.NoError(t, err)
	assert.Equal(t, hookd.StatusSucceeded, got.Status)
	assert.Equal(t, 3, got.Attempts)
	assert.Empty(t, got.LeaseOwner)
}

func testRequestWrite(t *testing.T, open Opener) {
	f := setup(t, open)
	f.createSource("github", "other-source")
	req := newRequest(t, "github", f.now, true, 202)
	req.User = json.RawMessage(`{"client":"acme","roles":["admin"]}`) // what an authenticator said
	fwd := f.newEvent(hookd.DefaultTenant, "github.push")
	fwd.ContentType, fwd.Method = "application/x-www-form-urlencoded", "PUT"
	fwd.Query = "a=1&tag=x&tag=y" // a forward's query string
	fwd.Headers = map[string]string{"X-GitHub-Event": "push"}
	fwd.Trace = hookd.TraceContext{Parent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
	fwdDelivery := newDelivery(t, fwd, "fwd_github")
	pub := f.newEvent(hookd.DefaultTenant, "repo.pushed")
	key := &hookd.IdempotencyKey{Scope: "src:github", Key: req.DedupeKey, RefID: req.ID, Fingerprint: []byte("fp"), CreatedAt: f.now}
	w := &hookd.RequestWrite{Request: req, Key: key, Events: []*hookd.EventWrite{
		{Event: fwd, Deliveries: []*hookd.Delivery{fwdDelivery}},
		{Event: pub},
	}}
	f.commit(&hookd.Batch{KeysAfter: f.at(-24 * time.Hour), Requests: []*hookd.RequestWrite{w}})
	assert.False(t, w.Duplicate)

	got, err := f.s.GetRequest(f.ctx, "github", req.ID)
	require.NoError(t, err)
	requireSame(t, req, got)
	for _, ev := range []*hookd.Event{fwd, pub} {
		ge, err := f.s.GetEvent(f.ctx, hookd.DefaultTenant, ev.ID)
		require.NoError(t, err)
		requireSame(t, ev, ge)
	}
	gd, err := f.s.GetDelivery(f.ctx, fwdDelivery.ID)
	require.NoError(t, err)
	requireSame(t, fwdDelivery, gd)
	k, err := f.s.GetIdempotencyKey(f.ctx, "src:github", req.DedupeKey, f.at(-time.Hour))
	require.NoError(t, err)
	requireSame(t, key, k)

	again := newRequest(t, "github", f.at(time.Second), true, 202)
	againEv := f.newEvent(hookd.DefaultTenant, "repo.pushed")
	w2 := &hookd.RequestWrite{Request: again, Events: []*hookd.EventWrite{{Event: againEv}},
		Key: &hookd.IdempotencyKey{Scope: "src:github", Key: req.DedupeKey, RefID: again.ID, CreatedAt: f.at(time.Second)}}
	f.commit(&hookd.Batch{KeysAfter: f.at(-24 * time.Hour), Requests: []*hookd.RequestWrite{w2}})
	assert.True(t, w2.Duplicate)
	_, err = f.s.GetRequest(f.ctx, "github", again.ID)
	requireCode(t, err, hookd.ENOTFOUND)
	_, err = f.s.GetEvent(f.ctx, hookd.DefaultTenant, againEv.ID)
	requireCode(t, err, hookd.ENOTFOUND)
	_, err = f.s.GetRequest(f.ctx, "other-source", req.ID)
	requireCode(t, err, hookd.ENOTFOUND)
}

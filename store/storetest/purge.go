package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

// purgeFixture is data on both sides of the purge horizons.
type purgeFixture struct {
	oldEnded, oldActive, young *hookd.Event
	oldDeliveries              []*hookd.Delivery
	oldRequests                []*hookd.Request
	youngRequest               *hookd.Request
	oldKey, youngKey           *hookd.IdempotencyKey
}

func (f *fixture) seedPurge() *purgeFixture {
	f.t.Helper()
	t := f.t
	old, young := f.at(-48*time.Hour), f.at(-time.Hour)
	p := &purgeFixture{}
	f.createSource("gh")
	mk := func(created time.Time, statuses ...string) (*hookd.EventWrite, []*hookd.Delivery) {
		ev := newEventAt(t, hookd.DefaultTenant, "invoice.paid", created)
		var ds []*hookd.Delivery
		for _, st := range statuses {
			d := newDelivery(t, ev, "ep_1")
			d.Status, d.NextAttemptAt = st, f.at(time.Hour)
			ds = append(ds, d)
		}
		return &hookd.EventWrite{Event: ev, Deliveries: ds}, ds
	}
	oldEnded, ds := mk(old, hookd.StatusSucceeded, hookd.StatusDead)
	p.oldEnded, p.oldDeliveries = oldEnded.Event, ds
	oldActive, _ := mk(old, hookd.StatusSucceeded, hookd.StatusFailed)
	p.oldActive = oldActive.Event
	youngW, _ := mk(young, hookd.StatusSucceeded)
	p.young = youngW.Event
	p.oldKey = &hookd.IdempotencyKey{Scope: "evt:default", Key: "old", RefID: p.young.ID, CreatedAt: old}
	youngW.Key = p.oldKey
	keyed, _ := mk(young)
	p.youngKey = &hookd.IdempotencyKey{Scope: "evt:default", Key: "young", RefID: keyed.Event.ID, CreatedAt: young}
	keyed.Key = p.youngKey
	p.oldRequests = []*hookd.Request{newRequest(t, "gh", old, true, 202), newRequest(t, "gh", old, false, 401)}
	p.youngRequest = newRequest(t, "gh", young, false, 401)
	f.commit(&hookd.Batch{
		KeysAfter: f.at(-72 * time.Hour),
		Events:    []*hookd.EventWrite{oldEnded, oldActive, youngW, keyed},
		Requests: []*hookd.RequestWrite{{Request: p.oldRequests[0]}, {Request: p.oldRequests[1]},
			{Request: p.youngRequest}},
		Attempts: []*hookd.Attempt{newAttempt(t, ds[0], 1, old), newAttempt(t, ds[1], 1, old)},
	})
	return p
}

func testPurge(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.seedPurge()
	horizon := f.at(-24 * time.Hour)

	n, err := f.s.Purge(f.ctx, hookd.Purge{})
	require.NoError(t, err)
	assert.Zero(t, n, "zero times purge nothing")

	n, err = f.s.Purge(f.ctx, hookd.Purge{EventsBefore: horizon})
	require.NoError(t, err)
	assert.Equal(t, int64(1+2+2), n, "one event, its two deliveries and two attempts")
	_, err = f.s.GetEvent(f.ctx, hookd.DefaultTenant, p.oldEnded.ID)
	requireCode(t, err, hookd.ENOTFOUND)
	for _, d := range p.oldDeliveries {
		_, err = f.s.GetDelivery(f.ctx, d.ID)
		requireCode(t, err, hookd.ENOTFOUND)
	}
	as, _, err := f.s.ListAttempts(f.ctx, hookd.AttemptFilter{EventID: p.oldEnded.ID})
	require.NoError(t, err)
	assert.Empty(t, as)
	_, err = f.s.GetEvent(f.ctx, hookd.DefaultTenant, p.oldActive.ID)
	require.NoError(t, err, "an event with a delivery still going stays")
	_, err = f.s.GetEvent(f.ctx, hookd.DefaultTenant, p.young.ID)
	require.NoError(t, err, "a young event stays")
	_, err = f.s.GetRequest(f.ctx, "gh", p.oldRequests[0].ID)
	require.NoError(t, err, "requests are purged only with RequestsBefore")

	n, err = f.s.Purge(f.ctx, hookd.Purge{RequestsBefore: horizon, KeysBefore: horizon})
	require.NoError(t, err)
	assert.Equal(t, int64(2+1), n, "two requests and one key")
	for _, r := range p.oldRequests {
		_, err = f.s.GetRequest(f.ctx, "gh", r.ID)
		requireCode(t, err, hookd.ENOTFOUND)
	}
	_, err = f.s.GetRequest(f.ctx, "gh", p.youngRequest.ID)
	require.NoError(t, err)
	_, err = f.s.GetIdempotencyKey(f.ctx, p.oldKey.Scope, p.oldKey.Key, time.Time{})
	requireCode(t, err, hookd.ENOTFOUND)
	_, err = f.s.GetIdempotencyKey(f.ctx, p.youngKey.Scope, p.youngKey.Key, time.Time{})
	require.NoError(t, err)

	n, err = f.s.Purge(f.ctx, hookd.Purge{EventsBefore: horizon, RequestsBefore: horizon, KeysBefore: horizon})
	require.NoError(t, err)
	assert.Zero(t, n, "nothing more to purge")
}

func testLifecycle(t *testing.T, open Opener) {
	f := setup(t, open)
	require.NoError(t, f.s.Ping(f.ctx))
	require.NoError(t, f.s.Close())
}

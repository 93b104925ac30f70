package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

// keyed returns an event write of tenant holding key, created at created.
func (f *fixture) keyed(tenant, key string, created time.Time) *hookd.EventWrite {
	f.t.Helper()
	ev := newEventAt(f.t, tenant, "invoice.paid", created)
	ev.IdempotencyKey = key
	return &hookd.EventWrite{
		Event:      ev,
		Deliveries: []*hookd.Delivery{newDelivery(f.t, ev, "ep_1")},
		Key: &hookd.IdempotencyKey{Scope: "evt:" + tenant, Key: key, RefID: ev.ID,
			Fingerprint: []byte("sha256:" + ev.ID), CreatedAt: created},
	}
}

// requireStored fails unless the event of w is stored (or absent) with its
// deliveries.
func (f *fixture) requireStored(w *hookd.EventWrite, stored bool) {
	f.t.Helper()
	_, err := f.s.GetEvent(f.ctx, w.Event.TenantID, w.Event.ID)
	for _, d := range w.Deliveries {
		_, derr := f.s.GetDelivery(f.ctx, d.ID)
		if stored {
			require.NoError(f.t, derr)
		} else {
			requireCode(f.t, derr, hookd.ENOTFOUND)
		}
	}
	if stored {
		require.NoError(f.t, err)
	} else {
		requireCode(f.t, err, hookd.ENOTFOUND)
	}
}

func testIdempotency(t *testing.T, open Opener) {
	t.Run("LiveKeyIsDuplicate", func(t *testing.T) { testLiveKeyIsDuplicate(t, open) })
	t.Run("LapsedKeyIsTakenAgain", func(t *testing.T) {
		f := setup(t, open)
		old := f.keyed(hookd.DefaultTenant, "order-1", f.at(-25*time.Hour))
		f.commit(&hookd.Batch{KeysAfter: f.at(-48 * time.Hour), Events: []*hookd.EventWrite{old}})
		require.False(t, old.Duplicate)

		// Created exactly at KeysAfter: lapsed.
		atEdge := f.keyed(hookd.DefaultTenant, "order-1", f.now)
		f.commit(&hookd.Batch{KeysAfter: f.at(-25 * time.Hour), Events: []*hookd.EventWrite{atEdge}})
		assert.False(t, atEdge.Duplicate, "a key created at KeysAfter has lapsed")
		f.requireStored(atEdge, true)
		k, err := f.s.GetIdempotencyKey(f.ctx, "evt:default", "order-1", f.at(-24*time.Hour))
		require.NoError(t, err)
		requireSame(t, atEdge.Key, k, "the new holder has the key")
	})
	t.Run("SameKeyTwiceInOneBatch", func(t *testing.T) { testSameKeyTwiceInOneBatch(t, open) })
	t.Run("GetKey", func(t *testing.T) {
		f := setup(t, open)
		w := f.keyed(hookd.DefaultTenant, "k1", f.at(-time.Hour))
		w.Key.Fingerprint = []byte{0x00, 0xff, 0x10, 0x80}
		f.commit(&hookd.Batch{KeysAfter: f.at(-24 * time.Hour), Events: []*hookd.EventWrite{w}})

		k, err := f.s.GetIdempotencyKey(f.ctx, "evt:default", "k1", f.at(-2*time.Hour))
		require.NoError(t, err)
		requireSame(t, w.Key, k)
		assert.Equal(t, []byte{0x00, 0xff, 0x10, 0x80}, k.Fingerprint)
		_, err = f.s.GetIdempotencyKey(f.ctx, "evt:default", "k1", f.at(-time.Hour))
		requireCode(t, err, hookd.ENOTFOUND) // created at notBefore: lapsed
		_, err = f.s.GetIdempotencyKey(f.ctx, "evt:default", "k2", time.Time{})
		requireCode(t, err, hookd.ENOTFOUND)
		_, err = f.s.GetIdempotencyKey(f.ctx, "evt:other", "k1", time.Time{})
		requireCode(t, err, hookd.ENOTFOUND)
	})
}

func testLiveKeyIsDuplicate(t *testing.T, open Opener) {
	f := setup(t, open)
	first := f.keyed(hookd.DefaultTenant, "order-1", f.at(-time.Hour))
	f.commit(&hookd.Batch{KeysAfter: f.at(-24 * time.Hour), Events: []*hookd.EventWrite{first}})
	require.False(t, first.Duplicate)
	f.requireStored(first, true)

	repeat := f.keyed(hookd.DefaultTenant, "order-1", f.now)
	plain := f.keyed(hookd.DefaultTenant, "order-2", f.now)
	unkeyed := &hookd.EventWrite{Event: f.newEvent(hookd.DefaultTenant, "invoice.paid")}
	b := &hookd.Batch{KeysAfter: f.at(-24 * time.Hour), Events: []*hookd.EventWrite{repeat, plain, unkeyed}}
	f.commit(b)
	assert.True(t, repeat.Duplicate, "a live key makes a duplicate")
	assert.False(t, plain.Duplicate)
	assert.False(t, unkeyed.Duplicate)
	f.requireStored(repeat, false)
	f.requireStored(plain, true)
	f.requireStored(unkeyed, true)

	k, err := f.s.GetIdempotencyKey(f.ctx, "evt:default", "order-1", f.at(-24*time.Hour))
	require.NoError(t, err)
	requireSame(t, first.Key, k, "the first holder keeps the key")
}

func testSameKeyTwiceInOneBatch(t *testing.T, open Opener) {
	f := setup(t, open)
	f.putTenant("tenant-2")
	a := f.keyed(hookd.DefaultTenant, "dup", f.now)
	b := f.keyed(hookd.DefaultTenant, "dup", f.now)
	other := f.keyed("tenant-2", "dup", f.now) // another scope
	f.commit(&hookd.Batch{KeysAfter: f.at(-24 * time.Hour), Events: []*hookd.EventWrite{a, b, other}})
	assert.False(t, a.Duplicate)
	assert.True(t, b.Duplicate)
	assert.False(t, other.Duplicate, "scopes are apart")
	f.requireStored(a, true)
	f.requireStored(b, false)
	f.requireStored(other, true)

	// Even keys that would have lapsed by their own CreatedAt: the
	// first write of the batch holds the key.
	c := f.keyed(hookd.DefaultTenant, "edge", f.at(-48*time.Hour))
	d := f.keyed(hookd.DefaultTenant, "edge", f.at(-48*time.Hour))
	f.commit(&hookd.Batch{KeysAfter: f.at(-24 * time.Hour), Events: []*hookd.EventWrite{c, d}})
	assert.False(t, c.Duplicate)
	assert.True(t, d.Duplicate)
	f.requireStored(c, true)
	f.requireStored(d, false)
}

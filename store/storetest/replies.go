package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

// replyKey returns a reservation of key in scope, made at created.
func replyKey(scope, key string, created time.Time) *hookd.ReplyKey {
	return &hookd.ReplyKey{Scope: scope, Key: key, Fingerprint: []byte{0x00, 0xfe, 0x01}, CreatedAt: created}
}

// take reserves k with keys lapsing 24 h and reservations 5 min before
// the fixture's now.
func (f *fixture) take(k *hookd.ReplyKey) (*hookd.ReplyKey, bool) {
	f.t.Helper()
	held, taken, err := f.s.TakeReplyKey(f.ctx, k, f.at(-24*time.Hour), f.at(-5*time.Minute))
	require.NoError(f.t, err)
	return held, taken
}

func testReplies(t *testing.T, open Opener) {
	t.Run("TakeKeepReplay", func(t *testing.T) {
		f := setup(t, open)
		k := replyKey("key_1 /v1/tenants/default/endpoints", "create-1", f.at(-time.Minute).Add(1234*time.Nanosecond))
		held, taken := f.take(k)
		require.True(t, taken)
		assert.Same(t, k, held)
		assert.Equal(t, f.at(-time.Minute).Add(time.Microsecond), k.CreatedAt.UTC(), "CreatedAt at microsecond precision")

		busy, taken := f.take(replyKey(k.Scope, k.Key, f.now))
		require.False(t, taken, "a running request holds the key")
		assert.Nil(t, busy.Reply)
		assert.Equal(t, k.Fingerprint, busy.Fingerprint)
		assert.True(t, k.CreatedAt.Equal(busy.CreatedAt))

		reply := []byte(`{"status":201,"body":"eyJzZWNyZXQiOiJ3aHNlY18uLi4ifQ=="}`)
		require.NoError(t, f.s.KeepReply(f.ctx, k, reply))
		done, taken := f.take(replyKey(k.Scope, k.Key, f.now))
		require.False(t, taken)
		assert.Equal(t, reply, done.Reply)
		assert.Equal(t, k.Scope, done.Scope)
		assert.Equal(t, "create-1", done.Key)

		_, taken = f.take(replyKey("key_2 /v1/tenants/default/endpoints", k.Key, f.now))
		assert.True(t, taken, "scopes are apart")
		_, err := f.s.GetIdempotencyKey(f.ctx, k.Scope, k.Key, time.Time{})
		requireCode(t, err, hookd.ENOTFOUND) // replies are apart from publish keys
	})
	t.Run("DropFreesTheKey", func(t *testing.T) {
		f := setup(t, open)
		k := replyKey("s", "k", f.now)
		_, taken := f.take(k)
		require.True(t, taken)
		require.NoError(t, f.s.DropReplyKey(f.ctx, k))
		again := replyKey("s", "k", f.at(time.Second))
		_, taken = f.take(again)
		assert.True(t, taken, "a dropped key is free")
		require.NoError(t, f.s.DropReplyKey(f.ctx, k), "dropping a reservation that is gone does nothing")
		_, taken = f.take(replyKey("s", "k", f.at(2*time.Second)))
		assert.False(t, taken, "the newer reservation still holds the key")
	})
	t.Run("Lapsed", testRepliesLapse(open))
	t.Run("ConcurrentTakes", func(t *testing.T) {
		f := setup(t, open)
		var (
			wg    sync.WaitGroup
			taken atomic.Int32
		)
		for range 8 {
			wg.Go(func() {
				_, ok, err := f.s.TakeReplyKey(f.ctx, replyKey("s", "race", f.now), f.at(-24*time.Hour), f.at(-5*time.Minute))
				assert.NoError(t, err)
				if ok {
					taken.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(1), taken.Load(), "one of the concurrent requests reserves the key")
	})
	t.Run("Purged", func(t *testing.T) {
		f := setup(t, open)
		old := replyKey("s", "old", f.at(-25*time.Hour))
		_, taken := f.take(old)
		require.True(t, taken)
		require.NoError(t, f.s.KeepReply(f.ctx, old, []byte("old reply")))
		young := replyKey("s", "young", f.at(-time.Hour))
		f.take(young)
		require.NoError(t, f.s.KeepReply(f.ctx, young, []byte("young reply")))
		n, err := f.s.Purge(f.ctx, hookd.Purge{KeysBefore: f.at(-24 * time.Hour)})
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
		held, taken := f.take(replyKey("s", "young", f.now))
		require.False(t, taken)
		assert.Equal(t, []byte("young reply"), held.Reply)
		// The purged key is taken with no lapse given at all.
		_, taken, err = f.s.TakeReplyKey(f.ctx, replyKey("s", "old", f.now), time.Time{}, time.Time{})
		require.NoError(t, err)
		assert.True(t, taken)
	})
}

// testRepliesLapse: a reply lapses after the keys' lifetime, a running
// reservation after the shorter abandonment time; a request whose
// reservation was taken over can no longer keep its reply.
func testRepliesLapse(open Opener) func(t *testing.T) {
	return func(t *testing.T) {
		f := setup(t, open)
		done := replyKey("s", "done", f.at(-24*time.Hour))
		_, taken := f.take(done)
		require.True(t, taken)
		require.NoError(t, f.s.KeepReply(f.ctx, done, []byte("first")))
		fresh := replyKey("s", "done", f.now)
		_, taken = f.take(fresh)
		assert.True(t, taken, "a reply created at the lapse time has lapsed")

		kept := replyKey("s", "kept", f.at(-time.Hour))
		f.take(kept)
		require.NoError(t, f.s.KeepReply(f.ctx, kept, []byte("kept")))
		held, taken := f.take(replyKey("s", "kept", f.now))
		require.False(t, taken, "a kept reply does not lapse when its request would be abandoned")
		assert.Equal(t, []byte("kept"), held.Reply)

		stale := replyKey("s", "stale", f.at(-5*time.Minute))
		f.take(stale)
		live := replyKey("s", "live", f.at(-5*time.Minute).Add(time.Millisecond))
		f.take(live)
		_, taken = f.take(replyKey("s", "live", f.now))
		assert.False(t, taken, "a reservation younger than the abandonment time holds")
		over := replyKey("s", "stale", f.now)
		_, taken = f.take(over)
		require.True(t, taken, "an abandoned reservation is taken over")
		requireCode(t, f.s.KeepReply(f.ctx, stale, []byte("late")), hookd.ENOTFOUND)
		require.NoError(t, f.s.DropReplyKey(f.ctx, stale))
		require.NoError(t, f.s.KeepReply(f.ctx, over, []byte("second")))
		held, _ = f.take(replyKey("s", "stale", f.now))
		assert.Equal(t, []byte("second"), held.Reply, "the late request changed nothing")
	}
}

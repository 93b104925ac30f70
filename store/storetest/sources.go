package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

func testSources(t *testing.T, open Opener) {
	t.Run("CreateGet", func(t *testing.T) {
		f := setup(t, open)
		src := newSource(t, "github")
		require.NoError(t, f.s.CreateSource(f.ctx, src))
		require.False(t, src.CreatedAt.IsZero())
		got, err := f.s.GetSource(f.ctx, "github")
		require.NoError(t, err)
		requireSame(t, src, got)
		requireCode(t, f.s.CreateSource(f.ctx, newSource(t, "github")), hookd.ECONFLICT)
		_, err = f.s.GetSource(f.ctx, "nope")
		requireCode(t, err, hookd.ENOTFOUND)
	})
	t.Run("PutUpserts", func(t *testing.T) {
		f := setup(t, open)
		src := newSource(t, "stripe")
		require.NoError(t, f.s.PutSource(f.ctx, src))
		first := src.CreatedAt
		require.False(t, first.IsZero())
		src2 := &hookd.Source{ID: "stripe", Description: "v2", Spec: json.RawMessage(`{"provider":"stripe"}`)}
		require.NoError(t, f.s.PutSource(f.ctx, src2))
		assert.True(t, src2.CreatedAt.Equal(first), "CreatedAt kept")
		got, err := f.s.GetSource(f.ctx, "stripe")
		require.NoError(t, err)
		requireSame(t, src2, got)
	})
	t.Run("ListUpdateDelete", func(t *testing.T) {
		f := setup(t, open)
		for _, id := range []string{"b", "a", "c"} {
			require.NoError(t, f.s.CreateSource(f.ctx, newSource(t, id)))
		}
		srcs, err := f.s.ListSources(f.ctx)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"a", "b", "c"}, ids(srcs, func(s *hookd.Source) string { return s.ID }))

		upd := &hookd.Source{ID: "a", Description: "changed", Spec: json.RawMessage(`{"x":1}`)}
		require.NoError(t, f.s.UpdateSource(f.ctx, upd))
		got, err := f.s.GetSource(f.ctx, "a")
		require.NoError(t, err)
		requireSame(t, upd, got)
		requireCode(t, f.s.UpdateSource(f.ctx, &hookd.Source{ID: "nope"}), hookd.ENOTFOUND)

		require.NoError(t, f.s.DeleteSource(f.ctx, "a"))
		_, err = f.s.GetSource(f.ctx, "a")
		requireCode(t, err, hookd.ENOTFOUND)
		requireCode(t, f.s.DeleteSource(f.ctx, "a"), hookd.ENOTFOUND)
		srcs, err = f.s.ListSources(f.ctx)
		require.NoError(t, err)
		assert.Len(t, srcs, 2)
	})
}

func requestID(r *hookd.Request) string { return r.ID }

func testRequests(t *testing.T, open Opener) {
	t.Run("List", func(t *testing.T) { testListRequests(t, open) })
	t.Run("PruneRejected", func(t *testing.T) { testPruneRejected(t, open) })
}

func testListRequests(t *testing.T, open Opener) {
	f := setup(t, open)
	f.createSource("gh", "other")
	var reqs []*hookd.Request
	b := &hookd.Batch{}
	for i, st := range []int{202, 401, 202, 400, 401, 200} {
		r := newRequest(t, "gh", f.at(time.Duration(i)*time.Second), st < 300, st)
		reqs = append(reqs, r)
		b.Requests = append(b.Requests, &hookd.RequestWrite{Request: r})
	}
	b.Requests = append(b.Requests, &hookd.RequestWrite{Request: newRequest(t, "other", f.now, true, 202)})
	f.commit(b)

	got, err := f.s.GetRequest(f.ctx, "gh", reqs[1].ID)
	require.NoError(t, err)
	requireSame(t, reqs[1], got)

	list := func(rf hookd.RequestFilter) []*hookd.Request {
		return collectPages(t, 2, func(p hookd.Page) ([]*hookd.Request, string, error) {
			rf.Page = p
			return f.s.ListRequests(f.ctx, rf)
		})
	}
	yes, no := true, false
	pick := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, reqs[i].ID)
		}
		return out
	}
	assert.Equal(t, pick(5, 4, 3, 2, 1, 0), ids(list(hookd.RequestFilter{SourceID: "gh"}), requestID), "newest first")
	assert.Equal(t, pick(5, 2, 0), ids(list(hookd.RequestFilter{SourceID: "gh", Accepted: &yes}), requestID))
	assert.Equal(t, pick(4, 3, 1), ids(list(hookd.RequestFilter{SourceID: "gh", Accepted: &no}), requestID))
	assert.Equal(t, pick(4, 1), ids(list(hookd.RequestFilter{SourceID: "gh", Status: 401}), requestID))
	assert.Equal(t, pick(4, 1), ids(list(hookd.RequestFilter{SourceID: "gh", Accepted: &no, Status: 401}), requestID))
	assert.Empty(t, list(hookd.RequestFilter{SourceID: "gh", Accepted: &yes, Status: 401}))
	assert.Len(t, list(hookd.RequestFilter{SourceID: "other"}), 1)
	all := list(hookd.RequestFilter{SourceID: "gh"})
	requireSame(t, reqs[5], all[0])
}

func testPruneRejected(t *testing.T, open Opener) {
	f := setup(t, open)
	f.createSource("gh", "other")
	var rejected, accepted []string
	b := &hookd.Batch{}
	for i := range 8 {
		ok := i%3 == 0 // 0, 3, 6 accepted
		r := newRequest(t, "gh", f.at(time.Duration(i)*time.Second), ok, map[bool]int{true: 202, false: 401}[ok])
		if ok {
			accepted = append(accepted, r.ID)
		} else {
			rejected = append(rejected, r.ID)
		}
		b.Requests = append(b.Requests, &hookd.RequestWrite{Request: r})
	}
	otherRejected := newRequest(t, "other", f.now, false, 401)
	b.Requests = append(b.Requests, &hookd.RequestWrite{Request: otherRejected})
	f.commit(b)

	n, err := f.s.PruneRejected(f.ctx, "gh", 2)
	require.NoError(t, err)
	assert.Equal(t, int64(len(rejected)-2), n)
	for i, id := range rejected {
		_, err := f.s.GetRequest(f.ctx, "gh", id)
		if i >= len(rejected)-2 {
			require.NoError(t, err, "the newest rejected requests stay")
		} else {
			requireCode(t, err, hookd.ENOTFOUND)
		}
	}
	for _, id := range accepted {
		_, err := f.s.GetRequest(f.ctx, "gh", id)
		require.NoError(t, err, "accepted requests are never pruned")
	}
	_, err = f.s.GetRequest(f.ctx, "other", otherRejected.ID)
	require.NoError(t, err, "another source's log stays")

	n, err = f.s.PruneRejected(f.ctx, "gh", 2)
	require.NoError(t, err)
	assert.Zero(t, n)
	n, err = f.s.PruneRejected(f.ctx, "gh", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
}

package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

// filtered commits one event per (type, created) pair, with one delivery
// per state to endpoint, and returns the deliveries newest first.
func (f *fixture) filtered(endpoint string, types []string, created []time.Time) []*hookd.Delivery {
	f.t.Helper()
	var out []*hookd.Delivery
	for i, typ := range types {
		ev := newEventAt(f.t, hookd.DefaultTenant, typ, created[i])
		w := &hookd.EventWrite{Event: ev}
		for _, st := range []string{hookd.StatusPending, hookd.StatusFailed, hookd.StatusSucceeded, hookd.StatusDead} {
			d := newDelivery(f.t, ev, endpoint)
			d.Status, d.NextAttemptAt = st, f.at(time.Hour)
			w.Deliveries = append(w.Deliveries, d)
			out = append([]*hookd.Delivery{d}, out...)
		}
		f.commit(&hookd.Batch{Events: []*hookd.EventWrite{w}})
	}
	return out
}

func only(ds []*hookd.Delivery, keep func(*hookd.Delivery) bool) []string {
	var out []string
	for _, d := range ds {
		if keep(d) {
			out = append(out, d.ID)
		}
	}
	return out
}

func testDeliveryFilters(t *testing.T, open Opener) {
	f := setup(t, open)
	created := []time.Time{f.at(-3 * time.Hour), f.at(-2 * time.Hour), f.at(-time.Hour)}
	all := f.filtered("ep_1", []string{"a.one", "b.two", "a.one"}, created)
	f.filtered("ep_2", []string{"a.one"}, created[2:])
	ended := func(d *hookd.Delivery) bool {
		return d.Status == hookd.StatusFailed || d.Status == hookd.StatusDead
	}
	cases := []struct {
		name   string
		filter hookd.DeliveryFilter
		want   []string
	}{
		{"several states", hookd.DeliveryFilter{Statuses: []string{hookd.StatusFailed, hookd.StatusDead}}, only(all, ended)},
		{"event type", hookd.DeliveryFilter{EventTypes: []string{"b.two"}}, only(all, func(d *hookd.Delivery) bool {
			return d.CreatedAt.Equal(created[1])
		})},
		{"since and until", hookd.DeliveryFilter{Since: created[1], Until: created[2]}, only(all, func(d *hookd.Delivery) bool {
			return d.CreatedAt.Equal(created[1])
		})},
		{"all together", hookd.DeliveryFilter{Statuses: []string{hookd.StatusDead}, EventTypes: []string{"a.one", "c"},
			Since: created[0]}, only(all, func(d *hookd.Delivery) bool { return d.Status == hookd.StatusDead && !d.CreatedAt.Equal(created[1]) })},
	}
	for _, tc := range cases {
		tc.filter.TenantID, tc.filter.EndpointID = hookd.DefaultTenant, "ep_1"
		got := collectPages(t, 2, func(p hookd.Page) ([]*hookd.Delivery, string, error) {
			fl := tc.filter
			fl.Page = p
			return f.s.ListDeliveries(f.ctx, fl)
		})
		assert.Equal(t, tc.want, ids(got, deliveryID), "%s: paging keeps the filter", tc.name)
		n, err := f.s.CountDeliveries(f.ctx, tc.filter)
		require.NoError(t, err)
		assert.Equal(t, int64(len(tc.want)), n, "%s: count", tc.name)
	}
	n, err := f.s.CountDeliveries(f.ctx, hookd.DeliveryFilter{TenantID: hookd.DefaultTenant, Page: hookd.Page{Limit: 1}})
	require.NoError(t, err)
	assert.Equal(t, int64(16), n, "the page does not bound a count")
}

// testRequeueBatches walks a selection down by id in limited batches, as
// a bulk retry does.
func testRequeueBatches(t *testing.T, open Opener) {
	f := setup(t, open)
	created := []time.Time{f.at(-4 * time.Hour), f.at(-3 * time.Hour), f.at(-2 * time.Hour), f.at(-time.Hour)}
	all := f.filtered("ep_1", []string{"a.one", "b.two", "a.one", "a.one"}, created)
	rf := hookd.RequeueFilter{TenantID: hookd.DefaultTenant, Statuses: []string{hookd.StatusDead},
		EventTypes: []string{"a.one"}, Until: created[3], Limit: 1}
	want := only(all, func(d *hookd.Delivery) bool {
		return d.Status == hookd.StatusDead && (d.CreatedAt.Equal(created[0]) || d.CreatedAt.Equal(created[2]))
	})
	var got []string
	for range 3 {
		cl, err := f.s.Requeue(f.ctx, rf, "me", f.now, f.at(time.Minute))
		require.NoError(t, err)
		require.LessOrEqual(t, len(cl), 1, "at most Limit")
		if len(cl) == 0 {
			break
		}
		got = append(got, cl[0].Delivery.ID)
		rf.Before = cl[0].Delivery.ID
	}
	assert.Equal(t, want, got, "highest ids first, only dead a.one deliveries before Until")
	for _, d := range all {
		g, err := f.s.GetDelivery(f.ctx, d.ID)
		require.NoError(t, err)
		if d.Status == hookd.StatusFailed {
			assert.Equal(t, hookd.StatusFailed, g.Status, "failed deliveries are not in the selection")
		}
	}
}

func testRetryJobs(t *testing.T, open Opener) {
	t.Run("CreateGet", func(t *testing.T) {
		f := setup(t, open)
		j := &hookd.RetryJob{TenantID: hookd.DefaultTenant, Total: 7, Filter: hookd.RequeueFilter{
			TenantID: hookd.DefaultTenant, EndpointID: "ep_1", Since: f.at(-time.Hour), Until: f.now,
			Statuses: []string{hookd.StatusDead}, EventTypes: []string{"a.one", "b.two"}}}
		require.NoError(t, f.s.CreateRetryJob(f.ctx, j))
		assert.True(t, hookd.HasPrefix(j.ID, hookd.PrefixRetryJob), "id %q", j.ID)
		assert.Equal(t, hookd.RetryJobRunning, j.Status)
		got, err := f.s.GetRetryJob(f.ctx, hookd.DefaultTenant, j.ID)
		require.NoError(t, err)
		requireSame(t, j, got)
		_, err = f.s.GetRetryJob(f.ctx, "other", j.ID)
		requireCode(t, err, hookd.ENOTFOUND)
		err = f.s.CreateRetryJob(f.ctx, &hookd.RetryJob{TenantID: "nope"})
		requireCode(t, err, hookd.ENOTFOUND)
	})
	t.Run("ClaimAndSave", func(t *testing.T) { testRetryJobClaim(t, open) })
	t.Run("Purged", func(t *testing.T) { testPurgeRetryJobs(t, open) })
	t.Run("DeletedWithTenant", func(t *testing.T) {
		f := setup(t, open)
		f.putTenant("gone")
		j := &hookd.RetryJob{TenantID: "gone", Filter: hookd.RequeueFilter{TenantID: "gone"}}
		require.NoError(t, f.s.CreateRetryJob(f.ctx, j))
		require.NoError(t, f.s.DeleteTenant(f.ctx, "gone"))
		_, err := f.s.GetRetryJob(f.ctx, "gone", j.ID)
		requireCode(t, err, hookd.ENOTFOUND)
	})
}

func testRetryJobClaim(t *testing.T, open Opener) {
	f := setup(t, open)
	_, err := f.s.ClaimRetryJob(f.ctx, "a", f.now, f.at(time.Minute))
	requireCode(t, err, hookd.ENOTFOUND)
	first := &hookd.RetryJob{TenantID: hookd.DefaultTenant, Filter: hookd.RequeueFilter{TenantID: hookd.DefaultTenant}}
	require.NoError(t, f.s.CreateRetryJob(f.ctx, first))
	second := &hookd.RetryJob{TenantID: hookd.DefaultTenant, Filter: hookd.RequeueFilter{TenantID: hookd.DefaultTenant}}
	require.NoError(t, f.s.CreateRetryJob(f.ctx, second))

	a, err := f.s.ClaimRetryJob(f.ctx, "a", f.now, f.at(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, first.ID, a.ID, "oldest first")
	assert.Equal(t, "a", a.LeaseOwner)
	b, err := f.s.ClaimRetryJob(f.ctx, "b", f.now, f.at(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, second.ID, b.ID, "a job with a live lease is not taken")
	_, err = f.s.ClaimRetryJob(f.ctx, "c", f.at(30*time.Second), f.at(time.Minute))
	requireCode(t, err, hookd.ENOTFOUND)

	a.Queued, a.Cursor, a.LeaseUntil = 5, "dlv_x", f.at(2*time.Minute)
	require.NoError(t, f.s.SaveRetryJob(f.ctx, a))
	got, err := f.s.GetRetryJob(f.ctx, hookd.DefaultTenant, a.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(5), got.Queued)
	assert.Equal(t, "dlv_x", got.Cursor)

	// b's node dies: its lease lapses, and c resumes the job where it was.
	c, err := f.s.ClaimRetryJob(f.ctx, "c", f.at(90*time.Second), f.at(3*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, second.ID, c.ID, "a lapsed lease is taken over")
	b.Queued = 99
	err = f.s.SaveRetryJob(f.ctx, b)
	requireCode(t, err, hookd.ECONFLICT)
	assert.ErrorIs(t, err, hookd.ErrStale, "the node that lost the job cannot write")

	a.Status, a.FinishedAt = hookd.RetryJobSucceeded, f.at(time.Minute)
	require.NoError(t, f.s.SaveRetryJob(f.ctx, a))
	c.Status, c.Error, c.FinishedAt = hookd.RetryJobFailed, "boom", f.at(time.Minute)
	require.NoError(t, f.s.SaveRetryJob(f.ctx, c))
	_, err = f.s.ClaimRetryJob(f.ctx, "d", f.at(time.Hour), f.at(2*time.Hour))
	requireCode(t, err, hookd.ENOTFOUND) // finished jobs are not claimed
	got, err = f.s.GetRetryJob(f.ctx, hookd.DefaultTenant, c.ID)
	require.NoError(t, err)
	assert.Equal(t, hookd.RetryJobFailed, got.Status)
	assert.Equal(t, "boom", got.Error)
	assert.True(t, got.FinishedAt.Equal(f.at(time.Minute)))
}

// testPurgeRetryJobs checks that Purge deletes bulk retries that ended
// before EventsBefore, and keeps running ones and recent ones.
func testPurgeRetryJobs(t *testing.T, open Opener) {
	f := setup(t, open)
	mk := func(status string, finished time.Time) *hookd.RetryJob {
		j := &hookd.RetryJob{TenantID: hookd.DefaultTenant, Status: status, FinishedAt: finished,
			Filter: hookd.RequeueFilter{TenantID: hookd.DefaultTenant}}
		require.NoError(t, f.s.CreateRetryJob(f.ctx, j))
		return j
	}
	old := mk(hookd.RetryJobSucceeded, f.at(-48*time.Hour))
	recent := mk(hookd.RetryJobFailed, f.at(-time.Hour))
	running := mk(hookd.RetryJobRunning, time.Time{})
	n, err := f.s.Purge(f.ctx, hookd.Purge{EventsBefore: f.at(-24 * time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	_, err = f.s.GetRetryJob(f.ctx, hookd.DefaultTenant, old.ID)
	requireCode(t, err, hookd.ENOTFOUND)
	for _, j := range []*hookd.RetryJob{recent, running} {
		_, err := f.s.GetRetryJob(f.ctx, hookd.DefaultTenant, j.ID)
		require.NoError(t, err, "%s job kept", j.Status)
	}
}

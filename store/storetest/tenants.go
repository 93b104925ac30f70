package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

func testTenants(t *testing.T, open Opener) {
	t.Run("DefaultExists", func(t *testing.T) {
		f := setup(t, open)
		tn, err := f.s.GetTenant(f.ctx, hookd.DefaultTenant)
		require.NoError(t, err)
		assert.Equal(t, hookd.DefaultTenant, tn.ID)
		assert.False(t, tn.CreatedAt.IsZero())
		ts, next, err := f.s.ListTenants(f.ctx, hookd.Page{})
		require.NoError(t, err)
		assert.Equal(t, []string{hookd.DefaultTenant}, ids(ts, func(t *hookd.Tenant) string { return t.ID }))
		assert.Empty(t, next)
	})
	t.Run("PutCreatesThenReplaces", func(t *testing.T) { testTenantPutCreatesThenReplaces(t, open) })
	t.Run("GetMissing", func(t *testing.T) {
		f := setup(t, open)
		_, err := f.s.GetTenant(f.ctx, "nope")
		requireCode(t, err, hookd.ENOTFOUND)
	})
	t.Run("ListPages", func(t *testing.T) { testListTenants(t, open) })
	t.Run("ListClampsLimit", func(t *testing.T) { testTenantListClampsLimit(t, open) })
	t.Run("BadCursor", func(t *testing.T) {
		f := setup(t, open)
		_, _, err := f.s.ListTenants(f.ctx, hookd.Page{Cursor: "!!not a cursor!!"})
		requireCode(t, err, hookd.EINVALID)
	})
	t.Run("DeleteCascades", func(t *testing.T) { testDeleteTenant(t, open) })
	t.Run("DeleteDefaultRefused", func(t *testing.T) {
		f := setup(t, open)
		requireCode(t, f.s.DeleteTenant(f.ctx, hookd.DefaultTenant), hookd.EINVALID)
		_, err := f.s.GetTenant(f.ctx, hookd.DefaultTenant)
		require.NoError(t, err)
	})
	t.Run("DeleteMissing", func(t *testing.T) {
		f := setup(t, open)
		requireCode(t, f.s.DeleteTenant(f.ctx, "nope"), hookd.ENOTFOUND)
	})
}

func testListTenants(t *testing.T, open Opener) {
	f := setup(t, open)
	want := []string{hookd.DefaultTenant}
	for i := range 7 {
		id := fmt.Sprintf("t-%02d", i)
		f.putTenant(id)
		want = append(want, id)
	}
	slices.Sort(want)
	slices.Reverse(want) // descending id order

	var got []string
	cursor := ""
	for page := 0; ; page++ {
		require.Less(t, page, 10, "pagination does not end")
		ts, next, err := f.s.ListTenants(f.ctx, hookd.Page{Limit: 3, Cursor: cursor})
		require.NoError(t, err)
		require.LessOrEqual(t, len(ts), 3)
		got = append(got, ids(ts, func(t *hookd.Tenant) string { return t.ID })...)
		if next == "" {
			break
		}
		cursor = next
	}
	assert.Equal(t, want, got)

	all, next, err := f.s.ListTenants(f.ctx, hookd.Page{})
	require.NoError(t, err)
	assert.Len(t, all, len(want), "limit 0 means the default limit")
	assert.Empty(t, next)
}

func testDeleteTenant(t *testing.T, open Opener) {
	f := setup(t, open)
	f.putTenant("gone")
	f.putTenant("kept")
	ep := f.createEndpoint("gone")
	keptEp := f.createEndpoint("kept")
	ev, ds := f.publish("gone", f.now, ep.ID)
	keptEv, keptDs := f.publish("kept", f.now, keptEp.ID)
	att := newAttempt(t, ds[0], 1, f.now)
	keptAtt := newAttempt(t, keptDs[0], 1, f.now)
	f.commit(&hookd.Batch{Attempts: []*hookd.Attempt{att, keptAtt}})

	require.NoError(t, f.s.DeleteTenant(f.ctx, "gone"))

	_, err := f.s.GetTenant(f.ctx, "gone")
	requireCode(t, err, hookd.ENOTFOUND)
	_, err = f.s.GetEndpoint(f.ctx, "gone", ep.ID)
	requireCode(t, err, hookd.ENOTFOUND)
	_, err = f.s.GetEvent(f.ctx, "gone", ev.ID)
	requireCode(t, err, hookd.ENOTFOUND)
	_, err = f.s.GetDelivery(f.ctx, ds[0].ID)
	requireCode(t, err, hookd.ENOTFOUND)
	as, _, err := f.s.ListAttempts(f.ctx, hookd.AttemptFilter{DeliveryID: ds[0].ID})
	require.NoError(t, err)
	assert.Empty(t, as)

	_, err = f.s.GetEndpoint(f.ctx, "kept", keptEp.ID)
	require.NoError(t, err, "another tenant's endpoint stays")
	_, err = f.s.GetEvent(f.ctx, "kept", keptEv.ID)
	require.NoError(t, err)
	_, err = f.s.GetDelivery(f.ctx, keptDs[0].ID)
	require.NoError(t, err)
	as, _, err = f.s.ListAttempts(f.ctx, hookd.AttemptFilter{DeliveryID: keptDs[0].ID})
	require.NoError(t, err)
	assert.Len(t, as, 1)
	requireCode(t, f.s.DeleteTenant(f.ctx, "gone"), hookd.ENOTFOUND)
}

func testEventTypes(t *testing.T, open Opener) {
	t.Run("CreateGet", func(t *testing.T) { testEventTypeCreateGet(t, open) })
	t.Run("MinimalFields", func(t *testing.T) {
		f := setup(t, open)
		et := &hookd.EventType{Name: "ping"}
		require.NoError(t, f.s.CreateEventType(f.ctx, et))
		got, err := f.s.GetEventType(f.ctx, "ping")
		require.NoError(t, err)
		requireSame(t, et, got)
		assert.Nil(t, got.Schema)
		assert.Empty(t, got.Examples)
	})
	t.Run("PutUpserts", func(t *testing.T) { testEventTypePutUpserts(t, open) })
	t.Run("ListByName", func(t *testing.T) {
		f := setup(t, open)
		for _, n := range []string{"b.two", "a.one", "c.three", "a.zero"} {
			require.NoError(t, f.s.CreateEventType(f.ctx, newEventType(t, n)))
		}
		ts, err := f.s.ListEventTypes(f.ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"a.one", "a.zero", "b.two", "c.three"},
			ids(ts, func(t *hookd.EventType) string { return t.Name }))
		requireSame(t, newEventType(t, "a.one").Schema, ts[0].Schema)
	})
	t.Run("Update", func(t *testing.T) { testEventTypeUpdate(t, open) })
	t.Run("Delete", func(t *testing.T) {
		f := setup(t, open)
		require.NoError(t, f.s.CreateEventType(f.ctx, newEventType(t, "x.y")))
		require.NoError(t, f.s.DeleteEventType(f.ctx, "x.y"))
		_, err := f.s.GetEventType(f.ctx, "x.y")
		requireCode(t, err, hookd.ENOTFOUND)
		requireCode(t, f.s.DeleteEventType(f.ctx, "x.y"), hookd.ENOTFOUND)
	})
}

func testChangeSeq(t *testing.T, open Opener) {
	f := setup(t, open)
	last, err := f.s.ChangeSeq(f.ctx)
	require.NoError(t, err)
	ep := newEndpoint(t, "seq")
	src := newSource(t, "seq-src")
	steps := []struct {
		name   string
		doFunc func() error
	}{
		{"put tenant", func() error { _, err := f.s.PutTenant(f.ctx, newTenant(t, "seq")); return err }},
		{"replace tenant", func() error { _, err := f.s.PutTenant(f.ctx, &hookd.Tenant{ID: "seq"}); return err }},
		{"create event type", func() error { return f.s.CreateEventType(f.ctx, newEventType(t, "a.b")) }},
		{"put event type", func() error { return f.s.PutEventType(f.ctx, newEventType(t, "a.b")) }},
		{"update event type", func() error { return f.s.UpdateEventType(f.ctx, &hookd.EventType{Name: "a.b"}) }},
		{"delete event type", func() error { return f.s.DeleteEventType(f.ctx, "a.b") }},
		{"create endpoint", func() error { return f.s.CreateEndpoint(f.ctx, ep) }},
		{"update endpoint", func() error { ep.URL = "https://example.org/x"; return f.s.UpdateEndpoint(f.ctx, ep) }},
		{"disable endpoint", func() error {
			return f.s.SetEndpointHealth(f.ctx, "seq", ep.ID, hookd.EndpointHealth{FailingSince: f.now, Disable: true, DisabledReason: "gone"})
		}},
		{"delete endpoint", func() error { return f.s.DeleteEndpoint(f.ctx, "seq", ep.ID) }},
		{"create source", func() error { return f.s.CreateSource(f.ctx, src) }},
		{"put source", func() error { return f.s.PutSource(f.ctx, src) }},
		{"update source", func() error { src.Description = "x"; return f.s.UpdateSource(f.ctx, src) }},
		{"delete source", func() error { return f.s.DeleteSource(f.ctx, src.ID) }},
		{"delete tenant", func() error { return f.s.DeleteTenant(f.ctx, "seq") }},
	}
	for _, st := range steps {
		require.NoError(t, st.doFunc(), st.name)
		cur, err := f.s.ChangeSeq(f.ctx)
		require.NoError(t, err)
		require.Greater(t, cur, last, "ChangeSeq grows after %s", st.name)
		last = cur
	}
}

func testTenantPutCreatesThenReplaces(t *testing.T, open Opener) {
	f := setup(t, open)
	tn := newTenant(t, "acme")
	created, err := f.s.PutTenant(f.ctx, tn)
	require.NoError(t, err)
	assert.True(t, created)
	require.False(t, tn.CreatedAt.IsZero())
	assert.Equal(t, tn.CreatedAt, tn.UpdatedAt)
	got, err := f.s.GetTenant(f.ctx, "acme")
	require.NoError(t, err)
	requireSame(t, tn, got)

	again := &hookd.Tenant{ID: "acme", Metadata: json.RawMessage(`{"plan":"free"}`)}
	created, err = f.s.PutTenant(f.ctx, again)
	require.NoError(t, err)
	assert.False(t, created)
	assert.True(t, again.CreatedAt.Equal(tn.CreatedAt), "CreatedAt kept")
	assert.False(t, again.UpdatedAt.Before(tn.UpdatedAt))
	got, err = f.s.GetTenant(f.ctx, "acme")
	require.NoError(t, err)
	requireSame(t, again, got)
	assert.JSONEq(t, `{"plan":"free"}`, string(got.Metadata), "metadata replaced, not merged")

	cleared := &hookd.Tenant{ID: "acme"}
	_, err = f.s.PutTenant(f.ctx, cleared)
	require.NoError(t, err)
	got, err = f.s.GetTenant(f.ctx, "acme")
	require.NoError(t, err)
	assert.Empty(t, got.Metadata)
}

func testTenantListClampsLimit(t *testing.T, open Opener) {
	f := setup(t, open)
	for i := range hookd.MaxPageLimit + 1 {
		f.putTenant(fmt.Sprintf("t%03d", i))
	}
	ts, next, err := f.s.ListTenants(f.ctx, hookd.Page{Limit: 1000})
	require.NoError(t, err)
	assert.Len(t, ts, hookd.MaxPageLimit)
	assert.NotEmpty(t, next)
	ts, next, err = f.s.ListTenants(f.ctx, hookd.Page{Limit: 1000, Cursor: next})
	require.NoError(t, err)
	assert.Len(t, ts, 2, "the rest: one tenant and default")
	assert.Empty(t, next)
}

func testEventTypeCreateGet(t *testing.T, open Opener) {
	f := setup(t, open)
	et := newEventType(t, "invoice.paid")
	require.NoError(t, f.s.CreateEventType(f.ctx, et))
	require.False(t, et.CreatedAt.IsZero())
	got, err := f.s.GetEventType(f.ctx, "invoice.paid")
	require.NoError(t, err)
	requireSame(t, et, got)
	requireCode(t, f.s.CreateEventType(f.ctx, newEventType(t, "invoice.paid")), hookd.ECONFLICT)
	_, err = f.s.GetEventType(f.ctx, "invoice.unknown")
	requireCode(t, err, hookd.ENOTFOUND)
}

func testEventTypePutUpserts(t *testing.T, open Opener) {
	f := setup(t, open)
	et := newEventType(t, "order.created")
	require.NoError(t, f.s.PutEventType(f.ctx, et))
	first := et.CreatedAt
	require.False(t, first.IsZero())
	et2 := &hookd.EventType{Name: "order.created", Description: "changed", Methods: []string{"PATCH"}}
	require.NoError(t, f.s.PutEventType(f.ctx, et2))
	assert.True(t, et2.CreatedAt.Equal(first), "CreatedAt kept by a replace")
	got, err := f.s.GetEventType(f.ctx, "order.created")
	require.NoError(t, err)
	requireSame(t, et2, got)
	assert.False(t, got.Deprecated)
	assert.Nil(t, got.Schema, "replaced, not merged")
}

func testEventTypeUpdate(t *testing.T, open Opener) {
	f := setup(t, open)
	et := newEventType(t, "user.deleted")
	require.NoError(t, f.s.CreateEventType(f.ctx, et))
	upd := &hookd.EventType{Name: "user.deleted", Description: "new", Group: "users",
		Examples: []json.RawMessage{json.RawMessage(`"x"`)}, Methods: []string{"POST", "DELETE", "HEAD"}}
	require.NoError(t, f.s.UpdateEventType(f.ctx, upd))
	assert.True(t, upd.CreatedAt.Equal(et.CreatedAt))
	assert.False(t, upd.UpdatedAt.Before(et.UpdatedAt))
	got, err := f.s.GetEventType(f.ctx, "user.deleted")
	require.NoError(t, err)
	requireSame(t, upd, got)
	requireCode(t, f.s.UpdateEventType(f.ctx, &hookd.EventType{Name: "nope"}), hookd.ENOTFOUND)
}

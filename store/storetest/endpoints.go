package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

func testEndpoints(t *testing.T, open Opener) {
	t.Run("CreateGet", func(t *testing.T) { testEndpointCreateGet(t, open) })
	t.Run("CreateMinimal", func(t *testing.T) {
		f := setup(t, open)
		e := &hookd.Endpoint{ID: hookd.NewID(hookd.PrefixEndpoint), TenantID: hookd.DefaultTenant, URL: "https://example.com/"}
		require.NoError(t, f.s.CreateEndpoint(f.ctx, e))
		got, err := f.s.GetEndpoint(f.ctx, hookd.DefaultTenant, e.ID)
		require.NoError(t, err)
		requireSame(t, e, got)
		assert.False(t, got.Enabled)
		assert.True(t, got.FailingSince.IsZero())
	})
	t.Run("CreateUnknownTenant", func(t *testing.T) {
		f := setup(t, open)
		requireCode(t, f.s.CreateEndpoint(f.ctx, newEndpoint(t, "nope")), hookd.ENOTFOUND)
	})
	t.Run("CreateDuplicate", func(t *testing.T) {
		f := setup(t, open)
		e := f.createEndpoint(hookd.DefaultTenant)
		dup := newEndpoint(t, hookd.DefaultTenant)
		dup.ID = e.ID
		requireCode(t, f.s.CreateEndpoint(f.ctx, dup), hookd.ECONFLICT)
	})
	t.Run("GetWrongTenant", func(t *testing.T) {
		f := setup(t, open)
		f.putTenant("other")
		e := f.createEndpoint(hookd.DefaultTenant)
		_, err := f.s.GetEndpoint(f.ctx, "other", e.ID)
		requireCode(t, err, hookd.ENOTFOUND)
		_, err = f.s.GetEndpoint(f.ctx, hookd.DefaultTenant, hookd.NewID(hookd.PrefixEndpoint))
		requireCode(t, err, hookd.ENOTFOUND)
	})
	t.Run("ListAndAll", func(t *testing.T) { testListEndpoints(t, open) })
	t.Run("Update", func(t *testing.T) { testUpdateEndpoint(t, open) })
	t.Run("SetHealth", func(t *testing.T) { testEndpointHealth(t, open) })
	t.Run("Delete", func(t *testing.T) {
		f := setup(t, open)
		f.putTenant("other")
		e := f.createEndpoint(hookd.DefaultTenant)
		requireCode(t, f.s.DeleteEndpoint(f.ctx, "other", e.ID), hookd.ENOTFOUND)
		require.NoError(t, f.s.DeleteEndpoint(f.ctx, hookd.DefaultTenant, e.ID))
		_, err := f.s.GetEndpoint(f.ctx, hookd.DefaultTenant, e.ID)
		requireCode(t, err, hookd.ENOTFOUND)
		requireCode(t, f.s.DeleteEndpoint(f.ctx, hookd.DefaultTenant, e.ID), hookd.ENOTFOUND)
	})
}

func testListEndpoints(t *testing.T, open Opener) {
	f := setup(t, open)
	f.putTenant("a")
	f.putTenant("b")
	var wantA []string
	for range 5 {
		wantA = append(wantA, f.createEndpoint("a").ID)
	}
	b1, b2 := f.createEndpoint("b"), f.createEndpoint("b")
	slices.Reverse(wantA) // newest first

	var got []string
	cursor := ""
	for page := 0; ; page++ {
		require.Less(t, page, 5, "pagination does not end")
		es, next, err := f.s.ListEndpoints(f.ctx, "a", hookd.Page{Limit: 2, Cursor: cursor})
		require.NoError(t, err)
		require.LessOrEqual(t, len(es), 2)
		for _, e := range es {
			assert.Equal(t, "a", e.TenantID)
			assert.NotEmpty(t, e.Secrets, "listed endpoints are whole")
		}
		got = append(got, ids(es, func(e *hookd.Endpoint) string { return e.ID })...)
		if next == "" {
			break
		}
		cursor = next
	}
	assert.Equal(t, wantA, got)

	es, next, err := f.s.ListEndpoints(f.ctx, "b", hookd.Page{})
	require.NoError(t, err)
	assert.Equal(t, []string{b2.ID, b1.ID}, ids(es, func(e *hookd.Endpoint) string { return e.ID }))
	assert.Empty(t, next)
	es, _, err = f.s.ListEndpoints(f.ctx, "nope", hookd.Page{})
	require.NoError(t, err)
	assert.Empty(t, es)

	all, err := f.s.AllEndpoints(f.ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, append(wantA, b1.ID, b2.ID), ids(all, func(e *hookd.Endpoint) string { return e.ID }))
	for _, e := range all {
		if e.ID == b1.ID {
			requireSame(t, b1, e)
		}
	}
}

func testUpdateEndpoint(t *testing.T, open Opener) {
	f := setup(t, open)
	e := f.createEndpoint(hookd.DefaultTenant)
	created := e.CreatedAt
	upd := &hookd.Endpoint{
		ID:             e.ID,
		TenantID:       e.TenantID,
		URL:            "https://example.net/v2",
		Description:    "new",
		EventTypes:     []string{"*"},
		Headers:        map[string]string{"X-New": "1"},
		Signature:      hookd.SignatureConfig{Scheme: hookd.SchemeStandard},
		Payload:        hookd.PayloadEnvelope,
		Timeout:        time.Minute,
		RateLimit:      0.5,
		MaxConcurrency: 1,
		RetrySchedule:  []time.Duration{5 * time.Second},
		Enabled:        false,
		DisabledReason: "410 Gone",
		FailingSince:   f.at(-2 * time.Hour),
		Metadata:       json.RawMessage(`{"v":2}`),
		Secrets: append(e.Secrets, hookd.Secret{
			Value: "whsec_dGhpcmRzZWNyZXR0aGlyZHNlY3JldA", CreatedAt: f.now, ExpiresAt: f.at(time.Hour),
		}),
		CreatedAt: f.at(-100 * time.Hour), // ignored
	}
	require.NoError(t, f.s.UpdateEndpoint(f.ctx, upd))
	assert.True(t, upd.CreatedAt.Equal(created), "CreatedAt kept: %v", upd.CreatedAt)
	assert.False(t, upd.UpdatedAt.Before(created))
	got, err := f.s.GetEndpoint(f.ctx, hookd.DefaultTenant, e.ID)
	require.NoError(t, err)
	assert.True(t, got.FailingSince.Equal(e.FailingSince), "the engine's FailingSince kept: %v", got.FailingSince)
	upd.FailingSince = e.FailingSince
	requireSame(t, upd, got)

	upd.Headers, upd.RetrySchedule, upd.Secrets, upd.Metadata, upd.EventTypes = nil, nil, nil, nil, nil
	require.NoError(t, f.s.UpdateEndpoint(f.ctx, upd))
	got, err = f.s.GetEndpoint(f.ctx, hookd.DefaultTenant, e.ID)
	require.NoError(t, err)
	requireSame(t, upd, got, "fields cleared")

	// Enabling the disabled endpoint starts a new run of failures.
	upd.Enabled, upd.DisabledReason, upd.FailingSince = true, "", time.Time{}
	require.NoError(t, f.s.UpdateEndpoint(f.ctx, upd))
	got, err = f.s.GetEndpoint(f.ctx, hookd.DefaultTenant, e.ID)
	require.NoError(t, err)
	requireSame(t, upd, got, "enabled again")

	// An update from a read that another change overtook is refused.
	read, err := f.s.GetEndpoint(f.ctx, hookd.DefaultTenant, e.ID)
	require.NoError(t, err)
	require.NoError(t, f.s.SetEndpointHealth(f.ctx, e.TenantID, e.ID,
		hookd.EndpointHealth{Disable: true, DisabledReason: "failing for 5 days"}))
	read.Enabled, read.Description = true, "edited meanwhile"
	err = f.s.UpdateEndpoint(f.ctx, read)
	requireCode(t, err, hookd.ECONFLICT)
	require.ErrorIs(t, err, hookd.ErrStale)
	got, err = f.s.GetEndpoint(f.ctx, hookd.DefaultTenant, e.ID)
	require.NoError(t, err)
	assert.False(t, got.Enabled, "the stale update did not re-enable the endpoint")
	assert.Equal(t, "failing for 5 days", got.DisabledReason)
	got.Description = "edited after reading again"
	require.NoError(t, f.s.UpdateEndpoint(f.ctx, got), "an update from a fresh read applies")

	missing := newEndpoint(t, hookd.DefaultTenant)
	requireCode(t, f.s.UpdateEndpoint(f.ctx, missing), hookd.ENOTFOUND)
	f.putTenant("other")
	moved := *upd
	moved.TenantID = "other"
	requireCode(t, f.s.UpdateEndpoint(f.ctx, &moved), hookd.ENOTFOUND)
}

func testEndpointHealth(t *testing.T, open Opener) {
	f := setup(t, open)
	e := f.createEndpoint(hookd.DefaultTenant)
	e.URL = "https://example.com/changed-by-api"
	require.NoError(t, f.s.UpdateEndpoint(f.ctx, e))

	failing := f.at(-time.Minute)
	require.NoError(t, f.s.SetEndpointHealth(f.ctx, e.TenantID, e.ID, hookd.EndpointHealth{FailingSince: failing}))
	got, err := f.s.GetEndpoint(f.ctx, e.TenantID, e.ID)
	require.NoError(t, err)
	assert.True(t, got.FailingSince.Equal(failing))
	assert.True(t, got.Enabled, "not disabled without Disable")
	assert.Equal(t, e.URL, got.URL, "other fields untouched")
	requireSame(t, e.Secrets, got.Secrets)

	require.NoError(t, f.s.SetEndpointHealth(f.ctx, e.TenantID, e.ID,
		hookd.EndpointHealth{FailingSince: failing, Disable: true, DisabledReason: "failing for 5 days"}))
	got, err = f.s.GetEndpoint(f.ctx, e.TenantID, e.ID)
	require.NoError(t, err)
	assert.False(t, got.Enabled)
	assert.Equal(t, "failing for 5 days", got.DisabledReason)
	assert.Equal(t, e.URL, got.URL)

	require.NoError(t, f.s.SetEndpointHealth(f.ctx, e.TenantID, e.ID, hookd.EndpointHealth{}))
	got, err = f.s.GetEndpoint(f.ctx, e.TenantID, e.ID)
	require.NoError(t, err)
	assert.True(t, got.FailingSince.IsZero(), "healthy again")
	assert.False(t, got.Enabled, "health never enables")

	requireCode(t, f.s.SetEndpointHealth(f.ctx, e.TenantID, hookd.NewID(hookd.PrefixEndpoint), hookd.EndpointHealth{}), hookd.ENOTFOUND)
	f.putTenant("other")
	requireCode(t, f.s.SetEndpointHealth(f.ctx, "other", e.ID, hookd.EndpointHealth{}), hookd.ENOTFOUND)
}

func testEndpointCreateGet(t *testing.T, open Opener) {
	f := setup(t, open)
	e := newEndpoint(t, hookd.DefaultTenant)
	want := *e
	require.NoError(t, f.s.CreateEndpoint(f.ctx, e))
	require.False(t, e.CreatedAt.IsZero(), "CreatedAt set")
	assert.True(t, e.UpdatedAt.Equal(e.CreatedAt))
	got, err := f.s.GetEndpoint(f.ctx, hookd.DefaultTenant, e.ID)
	require.NoError(t, err)
	want.CreatedAt, want.UpdatedAt = e.CreatedAt, e.UpdatedAt
	requireSame(t, &want, got)
	requireSame(t, e.Secrets, got.Secrets, "secrets with ExpiresAt")
}

package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

func testAPIKeys(t *testing.T, open Opener) {
	f := setup(t, open)
	k1 := &hookd.APIKey{Name: "ci", Prefix: "hk_aaaa", Scope: hookd.ScopeAdmin, CreatedAt: f.now}
	k2 := &hookd.APIKey{Name: "portal", Prefix: "hk_bbbb", Scope: hookd.TenantScope("acme"), ReadOnly: true,
		ExpiresAt: f.at(time.Hour), CreatedAt: f.now}
	require.NoError(t, f.s.CreateAPIKey(f.ctx, k1, "hk_aaaaaaaaaaaaaaaaaaaaaaaa"))
	require.NoError(t, f.s.CreateAPIKey(f.ctx, k2, "hk_bbbbbbbbbbbbbbbbbbbbbbbb"))
	require.True(t, hookd.HasPrefix(k1.ID, hookd.PrefixAPIKey), "id %q", k1.ID)
	requireCode(t, f.s.CreateAPIKey(f.ctx, &hookd.APIKey{Name: "again", Scope: hookd.ScopeAdmin},
		"hk_aaaaaaaaaaaaaaaaaaaaaaaa"), hookd.ECONFLICT)

	got, err := f.s.APIKeyBySecret(f.ctx, "hk_bbbbbbbbbbbbbbbbbbbbbbbb")
	require.NoError(t, err)
	requireSame(t, k2, got)
	assert.Equal(t, "acme", got.TenantID())
	_, err = f.s.APIKeyBySecret(f.ctx, "nope")
	requireCode(t, err, hookd.ENOTFOUND)
	got, err = f.s.GetAPIKey(f.ctx, k1.ID)
	require.NoError(t, err)
	requireSame(t, k1, got)

	require.NoError(t, f.s.TouchAPIKey(f.ctx, k1.ID, f.at(time.Minute)))
	require.NoError(t, f.s.TouchAPIKey(f.ctx, k1.ID, f.at(time.Second)), "an older use never moves it back")
	got, err = f.s.GetAPIKey(f.ctx, k1.ID)
	require.NoError(t, err)
	assert.True(t, got.LastUsedAt.Equal(f.at(time.Minute)), "last used %v", got.LastUsedAt)

	ks, err := f.s.ListAPIKeys(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{k2.ID, k1.ID}, ids(ks, func(k *hookd.APIKey) string { return k.ID }))

	require.NoError(t, f.s.DeleteAPIKey(f.ctx, k1.ID))
	_, err = f.s.APIKeyBySecret(f.ctx, "hk_aaaaaaaaaaaaaaaaaaaaaaaa")
	requireCode(t, err, hookd.ENOTFOUND)
	requireCode(t, f.s.DeleteAPIKey(f.ctx, k1.ID), hookd.ENOTFOUND)
	requireCode(t, f.s.TouchAPIKey(f.ctx, k1.ID, f.now), hookd.ENOTFOUND)
	ks, err = f.s.ListAPIKeys(f.ctx)
	require.NoError(t, err)
	assert.Len(t, ks, 1)
}

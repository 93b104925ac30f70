package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

func testPortalTokens(t *testing.T, open Opener) {
	f := setup(t, open)
	_, err := f.s.PutTenant(f.ctx, &hookd.Tenant{ID: "acme"})
	require.NoError(t, err)
	tok := &hookd.PortalToken{TenantID: "acme", Capabilities: []string{hookd.CapView, hookd.CapRetry},
		ExpiresAt: f.at(time.Hour), CreatedAt: f.now}
	require.NoError(t, f.s.CreatePortalToken(f.ctx, tok, "hkp_first-token-aaaaaaaaaaaaaaaa"))
	require.True(t, hookd.HasPrefix(tok.ID, hookd.PrefixPortalToken), "id %q", tok.ID)
	requireCode(t, f.s.CreatePortalToken(f.ctx, &hookd.PortalToken{TenantID: "nobody", ExpiresAt: f.at(time.Hour)},
		"hkp_other"), hookd.ENOTFOUND)
	requireCode(t, f.s.CreatePortalToken(f.ctx, &hookd.PortalToken{TenantID: "acme", ExpiresAt: f.at(time.Hour)},
		"hkp_first-token-aaaaaaaaaaaaaaaa"), hookd.ECONFLICT)

	_, err = f.s.RedeemPortalToken(f.ctx, "hkp_wrong", f.now)
	requireCode(t, err, hookd.ENOTFOUND)
	got, err := f.s.RedeemPortalToken(f.ctx, "hkp_first-token-aaaaaaaaaaaaaaaa", f.at(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, tok.ID, got.ID)
	assert.Equal(t, "acme", got.TenantID)
	assert.Equal(t, []string{hookd.CapView, hookd.CapRetry}, got.Capabilities)
	assert.True(t, got.ExpiresAt.Equal(f.at(time.Hour)), "expires %v", got.ExpiresAt)
	_, err = f.s.RedeemPortalToken(f.ctx, "hkp_first-token-aaaaaaaaaaaaaaaa", f.at(time.Minute))
	requireCode(t, err, hookd.ENOTFOUND) // single use

	require.NoError(t, f.s.CreatePortalToken(f.ctx, &hookd.PortalToken{TenantID: "acme",
		Capabilities: []string{hookd.CapView}, ExpiresAt: f.at(time.Minute)}, "hkp_short"))
	_, err = f.s.RedeemPortalToken(f.ctx, "hkp_short", f.at(time.Minute))
	requireCode(t, err, hookd.ENOTFOUND) // expired at its ExpiresAt
}

// testPortalRedeemOnce redeems one token from many goroutines: exactly
// one wins, as it would across nodes.
func testPortalRedeemOnce(t *testing.T, open Opener) {
	f := setup(t, open)
	require.NoError(t, f.s.CreatePortalToken(f.ctx, &hookd.PortalToken{TenantID: "default",
		Capabilities: []string{hookd.CapView}, ExpiresAt: f.at(time.Hour)}, "hkp_race"))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.s.RedeemPortalToken(f.ctx, "hkp_race", f.now)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !hookd.IsNotFound(err) {
				t.Errorf("redeem: %v", err)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, wins)
}

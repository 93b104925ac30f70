package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

// testCheckWrite checks that a healthy store passes its write check
// repeatedly, and that the check changes nothing a caller sees: no change
// announced, no purgeable row left.
func testCheckWrite(t *testing.T, open Opener) {
	f := setup(t, open)
	wc, ok := f.s.(hookd.WriteChecker)
	require.True(t, ok, "a store implements hookd.WriteChecker, for GET /readyz")
	seq, err := f.s.ChangeSeq(f.ctx)
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, wc.CheckWrite(f.ctx))
	}
	after, err := f.s.ChangeSeq(f.ctx)
	require.NoError(t, err)
	require.Equal(t, seq, after, "the check announces no change to other nodes")
	n, err := f.s.Purge(f.ctx, hookd.Purge{KeysBefore: f.at(24 * time.Hour)})
	require.NoError(t, err)
	require.Zero(t, n, "the check leaves no row behind")
}

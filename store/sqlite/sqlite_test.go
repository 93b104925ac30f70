package sqlite_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/store/sqlite"
	"github.com/hookd/hookd/store/storetest"
)

// childEnv names the database a re-executed test binary tries to open.
const childEnv = "HOOKD_SQLITE_TEST_CHILD_DB"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(childOpen(path))
	}
	os.Exit(m.Run())
}

// childOpen is the second process of TestLockOtherProcess: it exits 3 when
// Open refuses with ErrLocked.
func childOpen(path string) int {
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	switch {
	case errors.Is(err, sqlite.ErrLocked):
		os.Stderr.WriteString(err.Error())
		return 3
	case err != nil:
		os.Stderr.WriteString(err.Error())
		return 1
	}
	_ = s.Close()
	return 0
}

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) hookd.Store {
		return open(t, filepath.Join(t.TempDir(), "hookd.db"))
	})
}

func TestLockSameProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookd.db")
	s := open(t, path)
	_, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	require.ErrorIs(t, err, sqlite.ErrLocked)
	assert.Contains(t, err.Error(), "another hookd process holds the database file")
	require.NoError(t, s.Ping(t.Context()), "the first store is unharmed")

	require.NoError(t, s.Close())
	s2 := open(t, path)
	require.NoError(t, s2.Ping(t.Context()), "Close releases the lock")
}

func TestLockOtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookd.db")
	s := open(t, path)
	child := func() (int, string) {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+path)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		}
		require.NoError(t, err)
		return 0, string(out)
	}
	code, out := child()
	assert.Equal(t, 3, code, "a second process refuses to start: %s", out)
	assert.Contains(t, out, "another hookd process holds the database file")

	require.NoError(t, s.Close())
	code, out = child()
	assert.Equal(t, 0, code, "once closed, another process may open it: %s", out)
}

func TestOpenReleasesLeases(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hookd.db")
	s := open(t, path)
	now := time.Now().UTC().Truncate(time.Millisecond)
	ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: hookd.DefaultTenant, Type: "a.b",
		CreatedAt: now}
	ev.Payload, _ = hookd.RenderPayload(ev.Type, now, []byte(`{}`))
	mk := func(status string) *hookd.Delivery {
		return &hookd.Delivery{ID: hookd.NewID(hookd.PrefixDelivery), EventID: ev.ID, EndpointID: "ep_1",
			TenantID: ev.TenantID, Status: status, NextAttemptAt: now, CreatedAt: now,
			LeaseOwner: "crashed-node", LeaseUntil: now.Add(time.Hour)}
	}
	pending, failed := mk(hookd.StatusPending), mk(hookd.StatusFailed)
	require.NoError(t, s.Commit(ctx, &hookd.Batch{Events: []*hookd.EventWrite{
		{Event: ev, Deliveries: []*hookd.Delivery{pending, failed}},
	}}))
	require.NoError(t, s.Close())

	s = open(t, path)
	for _, d := range []*hookd.Delivery{pending, failed} {
		got, err := s.GetDelivery(ctx, d.ID)
		require.NoError(t, err)
		assert.Empty(t, got.LeaseOwner, "the lease of the previous process is gone")
		assert.True(t, got.LeaseUntil.IsZero())
	}
	cl, err := s.ClaimDeliveries(ctx, hookd.Claim{Owner: "new-node", Now: now, Until: now.Add(time.Minute), Limit: 10})
	require.NoError(t, err)
	assert.Len(t, cl, 2, "claimable at once, without waiting for the lease to lapse")
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hookd.db")
	s := open(t, path)
	_, err := s.PutTenant(ctx, &hookd.Tenant{ID: "acme"})
	require.NoError(t, err)
	ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: "acme", Type: "a.b", CreatedAt: time.Now()}
	var start int
	ev.Payload, start = hookd.RenderPayload(ev.Type, ev.CreatedAt, []byte(`{"k":1}`))
	ev.Data = ev.Payload[start : len(ev.Payload)-1]
	require.NoError(t, s.Commit(ctx, &hookd.Batch{Events: []*hookd.EventWrite{{Event: ev}}}))
	seq, err := s.ChangeSeq(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	for range 2 { // migrations run again at each Open, and change nothing
		s = open(t, path)
		_, err = s.GetTenant(ctx, "acme")
		require.NoError(t, err)
		got, err := s.GetEvent(ctx, "acme", ev.ID)
		require.NoError(t, err)
		assert.Equal(t, ev.Payload, got.Payload)
		assert.Equal(t, `{"k":1}`, string(got.Data))
		again, err := s.ChangeSeq(ctx)
		require.NoError(t, err)
		assert.Equal(t, seq, again)
		ts, _, err := s.ListTenants(ctx, hookd.Page{})
		require.NoError(t, err)
		assert.Len(t, ts, 2, "the default tenant is created once")
		require.NoError(t, s.Close())
	}
}

func TestNowFunc(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6789, time.UTC)
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hookd.db"), sqlite.Options{
		NowFunc: func() time.Time { return at },
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	tn := &hookd.Tenant{ID: "acme"}
	_, err = s.PutTenant(t.Context(), tn)
	require.NoError(t, err)
	assert.Equal(t, at.Truncate(time.Microsecond), tn.CreatedAt)
	got, err := s.GetTenant(t.Context(), "acme")
	require.NoError(t, err)
	assert.Equal(t, tn.CreatedAt, got.CreatedAt, "kept to the microsecond")
}

func TestOpenRefusesBadPaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		_, err := sqlite.Open(t.Context(), p, sqlite.Options{})
		assert.Error(t, err, p)
	}
}

// TestCheckpointsOffTheWritePath checks that the WAL is copied into the
// database file by the store's own checkpoints, commits having none.
func TestCheckpointsOffTheWritePath(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookd.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	batch, _ := storetest.EventBatch(2000, time.Now())
	if err := s.Commit(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		after, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if after.Size() > before.Size()+1<<20 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes (was %d): no checkpoint ran", after.Size(), before.Size())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCopyCoversEveryTable(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "hookd.db"))
	tables, err := sqlite.TableNames(s, t.Context())
	require.NoError(t, err)
	storetest.RequireTablesCopied(t, tables, sqlite.UncopiedTables())
}

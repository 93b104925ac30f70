package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/sqlite"
	"github.com/hookd/hookd/store/storetest"
)

// counts returns the rows of each kind of an inspection.
func counts(in *sqlite.Inspection) map[hookd.Kind]int64 {
	m := map[hookd.Kind]int64{}
	for _, c := range in.Counts {
		m[c.Kind] = c.Rows
	}
	return m
}

// writeLoop commits events with two deliveries each until stop is
// closed, and counts the events committed.
func writeLoop(t *testing.T, s hookd.Store, stop <-chan struct{}, committed *atomic.Int64) {
	t.Helper()
	ctx := context.Background()
	for {
		select {
		case <-stop:
			return
		default:
		}
		data := []byte(`{"n":1}`)
		now := time.Now().UTC()
		payload, start := hookd.RenderPayload("order.created", now, data)
		ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: hookd.DefaultTenant, Type: "order.created",
			Data: payload[start : start+len(data)], Payload: payload, CreatedAt: now}
		ds := []*hookd.Delivery{{EndpointID: "ep_a"}, {EndpointID: "ep_b"}}
		if err := s.Commit(ctx, &hookd.Batch{Events: []*hookd.EventWrite{{Event: ev, Deliveries: ds}}}); err != nil {
			t.Errorf("commit: %v", err)
			return
		}
		committed.Add(1)
	}
}

// waitFor waits until cond holds, up to a minute.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.db")
	s := open(t, path)
	sd := storetest.Seed(t, t.Context(), s, 3)
	stop := make(chan struct{})
	var (
		committed atomic.Int64
		wg        sync.WaitGroup
	)
	wg.Add(1)
	go func() { defer wg.Done(); writeLoop(t, s, stop, &committed) }()
	t.Cleanup(func() { close(stop); wg.Wait() })

	for i, after := range []int64{10, 40, 80} {
		waitFor(t, func() bool { return committed.Load() >= after })
		out := filepath.Join(dir, "backup-"+string(rune('a'+i))+".db")
		require.NoError(t, sqlite.Backup(t.Context(), path, out))
		fi, err := os.Stat(out)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

		in, err := sqlite.Inspect(t.Context(), out)
		require.NoError(t, err)
		c := counts(in)
		loop := c[hookd.KindEvents] - sd.Counts[hookd.KindEvents]
		assert.GreaterOrEqual(t, loop, after, "the backup holds the events committed before it began")
		assert.Equal(t, sd.Counts[hookd.KindDeliveries]+2*loop, c[hookd.KindDeliveries],
			"every event of the backup has both its deliveries: one consistent instant")
		assert.Equal(t, sd.Counts[hookd.KindEndpoints], c[hookd.KindEndpoints])
		assert.NotEmpty(t, in.KeyID)
	}
	require.Error(t, sqlite.Backup(t.Context(), path, filepath.Join(dir, "backup-a.db")), "an existing file is not overwritten")

	// A backup opens as a store, with the same master key, beside the
	// live one.
	b, err := sqlite.Open(t.Context(), filepath.Join(dir, "backup-c.db"), sqlite.Options{Cipher: cipherOf(t, path)})
	require.NoError(t, err)
	defer b.Close()
	k, err := b.APIKeyBySecret(t.Context(), sd.APIKeySecret)
	require.NoError(t, err)
	assert.Equal(t, "ci", k.Name)
	e, err := b.GetEndpoint(t.Context(), "acme", sd.Endpoint.ID)
	require.NoError(t, err)
	assert.Equal(t, sd.Endpoint.Secrets[0].Value, e.Secrets[0].Value)
}

// cipherOf returns the cipher under the default key file of path.
func cipherOf(t *testing.T, path string) *secrets.Cipher {
	t.Helper()
	k, _, err := secrets.LoadKeyFile(path+".key", false)
	require.NoError(t, err)
	c, err := secrets.NewCipher(k)
	require.NoError(t, err)
	return c
}

func TestRestore(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	s := open(t, live)
	sd := storetest.Seed(t, t.Context(), s, 2)
	backup := filepath.Join(dir, "backup.db")
	require.NoError(t, sqlite.Backup(t.Context(), live, backup))

	err := sqlite.Restore(t.Context(), backup, live, true, nil)
	require.ErrorIs(t, err, sqlite.ErrLocked, "a store that has the file open keeps it")
	require.NoError(t, s.Close())

	other := filepath.Join(dir, "other.db")
	o := open(t, other)
	require.NoError(t, o.Close())
	err = sqlite.Restore(t.Context(), backup, other, false, nil)
	require.ErrorIs(t, err, sqlite.ErrNotEmpty)

	require.NoError(t, sqlite.Restore(t.Context(), backup, other, true, nil))
	restored, err := sqlite.Open(t.Context(), other, sqlite.Options{Cipher: cipherOf(t, live)})
	require.NoError(t, err)
	defer restored.Close()
	n, err := restored.Count(t.Context(), hookd.KindDeliveries)
	require.NoError(t, err)
	assert.Equal(t, sd.Counts[hookd.KindDeliveries], n)
	_, err = restored.APIKeyBySecret(t.Context(), sd.APIKeySecret)
	require.NoError(t, err)

	fresh := filepath.Join(dir, "new", "fresh.db")
	require.NoError(t, os.Mkdir(filepath.Dir(fresh), 0o700))
	require.NoError(t, sqlite.Restore(t.Context(), backup, fresh, false, nil), "a missing file is restored into")
}

func TestRestoreRefusesCorrupt(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.db")
	require.NoError(t, os.WriteFile(bad, []byte("this is not a database, not at all, not even close"), 0o600))
	target := filepath.Join(dir, "hookd.db")
	err := sqlite.Restore(t.Context(), bad, target, true, nil)
	require.Error(t, err)
	_, statErr := os.Stat(target)
	assert.True(t, os.IsNotExist(statErr), "nothing is created when the backup is refused")
}

func TestCheckKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookd.db")
	s := open(t, path)
	require.NoError(t, sqlite.CheckKey(t.Context(), path, cipherOf(t, path)), "beside the open store")
	require.NoError(t, s.Close())
	k, err := secrets.GenerateKey()
	require.NoError(t, err)
	c, err := secrets.NewCipher(k)
	require.NoError(t, err)
	err = sqlite.CheckKey(t.Context(), path, c)
	require.ErrorIs(t, err, sqlite.ErrWrongKey)
	assert.Contains(t, err.Error(), cipherOf(t, path).KeyID(), "names the key it needs")
}

func TestRestoreRefusesLiveDatabase(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	s := open(t, live)
	storetest.Seed(t, t.Context(), s, 1)
	err := sqlite.Restore(t.Context(), live, filepath.Join(dir, "target.db"), true, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "it is a live database, not a backup")
}

func TestBackupThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.db")
	s := open(t, path)
	sd := storetest.Seed(t, t.Context(), s, 2) // in the WAL: no checkpoint ran yet
	link := filepath.Join(dir, "link.db")
	require.NoError(t, os.Symlink(path, link))
	out := filepath.Join(dir, "backup.db")
	require.NoError(t, sqlite.Backup(t.Context(), link, out))
	in, err := sqlite.Inspect(t.Context(), out)
	require.NoError(t, err)
	assert.Equal(t, sd.Counts[hookd.KindEvents], counts(in)[hookd.KindEvents], "the live WAL is read through the link")
}

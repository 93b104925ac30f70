package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/store/postgres"
	"github.com/hookd/hookd/store/storetest"
)

func open(t testing.TB, dsn string, opts postgres.Options) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := postgres.Open(ctx, dsn, withCipher(opts))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore(t *testing.T) {
	pgtest.BaseURL(t)
	storetest.Run(t, func(t *testing.T) hookd.Store {
		return open(t, pgtest.Schema(t), postgres.Options{})
	})
}

func TestConcurrentOpensMigrateOnce(t *testing.T) {
	dsn := pgtest.Schema(t)
	const nodes = 4
	var (
		wg     sync.WaitGroup
		stores [nodes]*postgres.Store
		errs   [nodes]error
	)
	for i := range nodes {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			stores[i], errs[i] = postgres.Open(ctx, dsn, withCipher(postgres.Options{}))
		})
	}
	wg.Wait()
	for i := range nodes {
		require.NoError(t, errs[i], "node %d", i)
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	ctx := t.Context()
	ts, _, err := stores[0].ListTenants(ctx, hookd.Page{})
	require.NoError(t, err)
	assert.Len(t, ts, 1, "the default tenant is created once")
	_, err = stores[1].PutTenant(ctx, &hookd.Tenant{ID: "acme"})
	require.NoError(t, err)
	_, err = stores[2].GetTenant(ctx, "acme")
	require.NoError(t, err, "every node sees one schema")

	again := open(t, dsn, postgres.Options{})
	ts, _, err = again.ListTenants(ctx, hookd.Page{})
	require.NoError(t, err)
	assert.Len(t, ts, 2, "migrations run again at each Open, and change nothing")
}

func TestSkipMigrations(t *testing.T) {
	dsn := pgtest.Schema(t)
	_, err := postgres.Open(t.Context(), dsn, withCipher(postgres.Options{SkipMigrations: true}))
	require.Error(t, err, "an empty schema is refused")
	assert.Contains(t, err.Error(), "hookd migrate")

	open(t, dsn, postgres.Options{})
	s := open(t, dsn, postgres.Options{SkipMigrations: true})
	require.NoError(t, s.Ping(t.Context()), "a migrated schema is accepted")
}

func TestOpenFailsWhenUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://hookd@127.0.0.1:1/hookd?sslmode=disable&connect_timeout=5", withCipher(postgres.Options{}))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "password")
}

// commitDue commits one event with a pending delivery, leased to owner
// (or free when owner is "").
func commitDue(t *testing.T, s *postgres.Store, owner string) *hookd.Delivery {
	t.Helper()
	now := time.Now().UTC()
	ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: hookd.DefaultTenant, Type: "a.b", CreatedAt: now}
	ev.Payload, _ = hookd.RenderPayload(ev.Type, now, []byte(`{}`))
	d := &hookd.Delivery{ID: hookd.NewID(hookd.PrefixDelivery), EventID: ev.ID, EndpointID: "ep_1",
		Status: hookd.StatusPending, NextAttemptAt: now}
	if owner != "" {
		d.LeaseOwner, d.LeaseUntil = owner, now.Add(time.Minute)
	}
	require.NoError(t, s.Commit(t.Context(), &hookd.Batch{Events: []*hookd.EventWrite{
		{Event: ev, Deliveries: []*hookd.Delivery{d}},
	}}))
	return d
}

// requireWoken fails unless ch receives within a deadline.
func requireWoken(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		require.True(t, ok, "%s: channel closed", what)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no notification", what)
	}
}

// drain empties ch of a pending signal.
func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

func TestDueNotify(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b := open(t, dsn, postgres.Options{}), open(t, dsn, postgres.Options{})
	ch := a.DueNotify()
	requireWoken(t, ch, "listening") // the first signal says the LISTEN is in place

	commitDue(t, b, "")
	requireWoken(t, ch, "unleased delivery stored by another node")

	d := commitDue(t, b, "node-b")
	drain(ch)
	require.NoError(t, b.ReleaseLeases(t.Context(), "node-b", []string{d.ID}))
	requireWoken(t, ch, "lease released by another node")

	drain(ch)
	now := time.Now()
	err := b.CreateEndpoint(t.Context(), &hookd.Endpoint{ID: hookd.NewID(hookd.PrefixEndpoint),
		TenantID: hookd.DefaultTenant, URL: "https://example.com/hook", Enabled: true,
		Secrets: []hookd.Secret{{Value: "whsec_bmV3c2VjcmV0bmV3c2VjcmV0", CreatedAt: now}}, CreatedAt: now, UpdatedAt: now})
	require.NoError(t, err)
	requireWoken(t, ch, "endpoint created through another node")

	require.NoError(t, a.Close())
	for range ch { // closed by Close, after at most the pending signal
	}
}

func TestHeartbeat(t *testing.T) {
	s := open(t, pgtest.Schema(t), postgres.Options{})
	ctx := t.Context()
	now := time.Now()
	n, err := s.Heartbeat(ctx, "a", now, 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = s.Heartbeat(ctx, "b", now.Add(time.Second), 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "a and b")
	n, err = s.Heartbeat(ctx, "b", now.Add(11*time.Second), 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "a missed its heartbeats")
	n, err = s.Heartbeat(ctx, "a", now.Add(12*time.Second), 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "a is back")
	require.NoError(t, s.Leave(ctx, "b"))
	n, err = s.Heartbeat(ctx, "a", now.Add(13*time.Second), 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "b left")
}

// TestCommitWithoutKeysIsAtomic checks the one-round-trip commit of a batch
// without idempotency keys: when a later statement of the pipeline fails,
// the earlier ones are rolled back with it.
func TestCommitWithoutKeysIsAtomic(t *testing.T) {
	s := open(t, pgtest.Schema(t), postgres.Options{})
	ctx := t.Context()
	first := commitDue(t, s, "")
	now := time.Now().UTC()
	ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: hookd.DefaultTenant, Type: "a.b", CreatedAt: now}
	ev.Payload, _ = hookd.RenderPayload(ev.Type, now, []byte(`{}`))
	clash := &hookd.Delivery{ID: first.ID, EndpointID: "ep_1", NextAttemptAt: now}
	att := &hookd.Attempt{DeliveryID: first.ID, EventID: first.EventID, EndpointID: "ep_1", Number: 1}
	err := s.Commit(ctx, &hookd.Batch{
		Events:   []*hookd.EventWrite{{Event: ev, Deliveries: []*hookd.Delivery{clash}}},
		Attempts: []*hookd.Attempt{att},
	})
	require.Error(t, err)
	assert.Equal(t, hookd.ECONFLICT, hookd.ErrorCode(err), "%v", err)
	_, err = s.GetEvent(ctx, hookd.DefaultTenant, ev.ID)
	assert.Equal(t, hookd.ENOTFOUND, hookd.ErrorCode(err), "the event inserted before the clash is rolled back")
	as, _, err := s.ListAttempts(ctx, hookd.AttemptFilter{DeliveryID: first.ID})
	require.NoError(t, err)
	assert.Empty(t, as, "nothing after the clash is written")
}

func TestCopyCoversEveryTable(t *testing.T) {
	s := open(t, pgtest.Schema(t), postgres.Options{})
	tables, err := postgres.TableNames(s, t.Context())
	require.NoError(t, err)
	storetest.RequireTablesCopied(t, tables, postgres.UncopiedTables())
}

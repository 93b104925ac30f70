package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/store/postgres"
	"github.com/hookd/hookd/store/storetest"
)

// urlEnv names the database the tests run against. Each test works in a
// schema of its own, created and dropped by the test.
const urlEnv = "HOOKD_TEST_POSTGRES_URL"

// baseURL returns the test database's URL. Without one the test is
// skipped; with one, a server that cannot be reached fails the test, so
// that CI never passes by skipping.
func baseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(urlEnv)
	if u == "" {
		t.Skip(urlEnv + " is not set: skipping the PostgreSQL tests (./.ci/run sets it; see the README)")
	}
	return u
}

// newSchema creates an empty schema in the test database, drops it when
// the test ends, and returns a DSN whose search_path selects it.
func newSchema(t testing.TB) string {
	t.Helper()
	base := baseURL(t)
	name := "hookd_test_" + randomHex(6)
	admin(t, base, `CREATE SCHEMA `+name)
	t.Cleanup(func() { admin(t, base, `DROP SCHEMA `+name+` CASCADE`) })
	return withSearchPath(t, base, name)
}

// admin runs one statement on its own connection to the test database.
func admin(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test database (%s): %v", urlEnv, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// withSearchPath adds search_path=schema to a URL or keyword/value DSN.
func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

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
	baseURL(t)
	storetest.Run(t, func(t *testing.T) hookd.Store {
		return open(t, newSchema(t), postgres.Options{})
	})
}

func TestConcurrentOpensMigrateOnce(t *testing.T) {
	dsn := newSchema(t)
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
	dsn := newSchema(t)
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
	dsn := newSchema(t)
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
	s := open(t, newSchema(t), postgres.Options{})
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
	s := open(t, newSchema(t), postgres.Options{})
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
	s := open(t, newSchema(t), postgres.Options{})
	tables, err := postgres.TableNames(s, t.Context())
	require.NoError(t, err)
	storetest.RequireTablesCopied(t, tables, postgres.UncopiedTables())
}

package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd/internal/pgtest"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/store/sqlite"
)

// apiNode is one node's REST API, with its own engine, over st: several
// nodes over stores of one database make a cluster.
func apiNode(t *testing.T, st hookd.Store, key string) (h *harness, stop func()) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	guard := egress.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	eng := delivery.New(st, delivery.Config{Guard: guard, Logger: quiet, PollInterval: 20 * time.Millisecond})
	if err := eng.Start(context.Background()); err != nil {
		t.Fatalf("start engine: %v", err)
	}
	srv := httpapi.New(httpapi.Config{Store: st, Engine: eng, URLCheckFunc: guard.CheckURL, Logger: quiet,
		EndpointCheckFunc: delivery.CheckEndpoint})
	ts := httptest.NewServer(srv.Handler())
	stop = sync.OnceFunc(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Close(ctx)
	})
	t.Cleanup(stop)
	return &harness{t: t, store: st, engine: eng, server: srv, ts: ts, key: key,
		client: httpapi.NewClient(ts.URL, key)}, stop
}

// newAPIKey stores a new admin key and returns it.
func newAPIKey(t *testing.T, st hookd.Store) string {
	t.Helper()
	key, _, err := httpapi.CreateAPIKey(context.Background(), st, &hookd.APIKey{Name: "test", Scope: hookd.ScopeAdmin})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// countEndpoints returns how many endpoints the default tenant has.
func countEndpoints(t *testing.T, st hookd.Store) int {
	t.Helper()
	eps, _, err := st.ListEndpoints(context.Background(), hookd.DefaultTenant, hookd.Page{Limit: hookd.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(eps)
}

// requireReplay checks that again is first replayed.
func requireReplay(t *testing.T, first, again response) {
	t.Helper()
	ep1 := decode[httpapi.Endpoint](t, first, http.StatusCreated)
	ep2 := decode[httpapi.Endpoint](t, again, http.StatusCreated)
	if ep1.ID != ep2.ID || ep1.Secret == "" || ep1.Secret != ep2.Secret || !bytes.Equal(first.body, again.body) {
		t.Fatalf("replay = %s, want %s", again.body, first.body)
	}
	if again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("Location") != first.header.Get("Location") ||
		again.header.Get("Content-Type") != "application/json" {
		t.Fatalf("replay headers = %v, first %v", again.header, first.header)
	}
}

// TestIdempotencyAcrossNodes: the same Idempotency-Key sent to two nodes
// of one PostgreSQL database creates one endpoint, and both answer with
// it; requests racing on one key through both nodes create one endpoint.
func TestIdempotencyAcrossNodes(t *testing.T) {
	dsn := pgtest.Schema(t) // several nodes need PostgreSQL
	stA := openStore(t, options{postgres: dsn})
	key := newAPIKey(t, stA)
	a, _ := apiNode(t, stA, key)
	b, _ := apiNode(t, openStore(t, options{postgres: dsn}), key)
	recv := newReceiver(t)
	body := `{"url":"` + recv.URL + `/hook"}`
	const path = "/v1/tenants/default/endpoints"

	first := a.do("POST", path, body, "Idempotency-Key", "create-1")
	requireReplay(t, first, b.do("POST", path, body, "Idempotency-Key", "create-1"))
	problem(t, b.do("POST", path, `{"url":"`+recv.URL+`/other"}`, "Idempotency-Key", "create-1"),
		http.StatusUnprocessableEntity, hookd.EMISMATCH)
	if n := countEndpoints(t, stA); n != 1 {
		t.Fatalf("%d endpoints, want 1", n)
	}

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
		ids      = map[string]bool{}
	)
	for i := range 8 {
		node := []*harness{a, b}[i%2]
		wg.Go(func() {
			r := node.do("POST", path, body, "Idempotency-Key", "race-1")
			mu.Lock()
			defer mu.Unlock()
			statuses[r.status]++
			if r.status == http.StatusCreated {
				ids[decode[httpapi.Endpoint](t, r, http.StatusCreated).ID] = true
			}
		})
	}
	wg.Wait()
	if statuses[http.StatusCreated] == 0 || statuses[http.StatusCreated]+statuses[http.StatusConflict] != 8 || len(ids) != 1 {
		t.Fatalf("statuses %v, endpoint ids %v: want 201 with one endpoint, or 409", statuses, ids)
	}
	if n := countEndpoints(t, stA); n != 2 {
		t.Fatalf("%d endpoints after the race, want 2", n)
	}
}

// TestIdempotencyAfterRestart: a node started again on the same SQLite
// file replays the reply it kept, and the endpoint's secret in that reply
// is not in the database files in clear.
func TestIdempotencyAfterRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookd.db")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key := newAPIKey(t, st)
	n, stop := apiNode(t, st, key)
	recv := newReceiver(t)
	body := `{"url":"` + recv.URL + `/hook"}`
	first := n.do("POST", "/v1/tenants/default/endpoints", body, "Idempotency-Key", "create-1")
	secret := decode[httpapi.Endpoint](t, first, http.StatusCreated).Secret
	stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(secret[len("whsec_"):])) {
			t.Fatalf("%s holds the endpoint's secret in clear", f)
		}
	}

	st, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	n, _ = apiNode(t, st, key)
	requireReplay(t, first, n.do("POST", "/v1/tenants/default/endpoints", body, "Idempotency-Key", "create-1"))
	if c := countEndpoints(t, st); c != 1 {
		t.Fatalf("%d endpoints, want 1", c)
	}
}

// TestIdempotentAPIKeyReply: the reply of a key creation, which carries
// the new key, is replayed whole.
func TestIdempotentAPIKeyReply(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	body := `{"name":"ci","scope":"admin"}`
	first := h.do("POST", "/v1/api-keys", body, "Idempotency-Key", "key-1")
	again := h.do("POST", "/v1/api-keys", body, "Idempotency-Key", "key-1")
	if first.status != http.StatusCreated || again.status != first.status || !bytes.Equal(first.body, again.body) ||
		again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("first %d %s, again %d %s", first.status, first.body, again.status, again.body)
	}
	keys, err := h.store.ListAPIKeys(context.Background())
	if err != nil || len(keys) != 2 { // the harness's and ci
		t.Fatalf("%d keys, %v; want 2", len(keys), err)
	}
}

// panickyStore panics in the first CreateEndpoint.
type panickyStore struct {
	hookd.Store
	once sync.Once
}

func (p *panickyStore) CreateEndpoint(ctx context.Context, e *hookd.Endpoint) error {
	p.once.Do(func() { panic("store bug") })
	return p.Store.CreateEndpoint(ctx, e)
}

// TestIdempotencyKeyFreedByPanic: a request that panics answers 500 and
// frees its key, so that the retry runs rather than waiting for the key
// to be abandoned.
func TestIdempotencyKeyFreedByPanic(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{wrapStore: func(s hookd.Store) hookd.Store { return &panickyStore{Store: s} }})
	body := `{"url":"` + h.recv.URL + `/hook"}`
	problem(t, h.do("POST", "/v1/tenants/default/endpoints", body, "Idempotency-Key", "p-1"),
		http.StatusInternalServerError, hookd.EINTERNAL)
	r := h.do("POST", "/v1/tenants/default/endpoints", body, "Idempotency-Key", "p-1")
	decode[httpapi.Endpoint](t, r, http.StatusCreated)
	if r.header.Get("Idempotent-Replayed") != "" {
		t.Fatal("the retry was answered from a kept reply")
	}
}

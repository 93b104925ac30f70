package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/store/sqlite"
)

// waitTimeout bounds every wait on a condition.
const waitTimeout = 10 * time.Second

// harness is the real server over a real SQLite store and delivery engine,
// on loopback, with a webhook receiver.
type harness struct {
	t      *testing.T
	store  hookd.Store
	engine *delivery.Engine
	server *httpapi.Server
	ts     *httptest.Server
	key    string
	client *httpapi.Client
	recv   *receiver
	reg    *prometheus.Registry
}

// options adjust a harness: the server's config, and wrappers of the store
// and engine the server sees (to inject faults).
type options struct {
	config     func(*httpapi.Config)
	wrapStore  func(hookd.Store) hookd.Store
	wrapEngine func(hookd.Engine) hookd.Engine
	// engine adjusts the engine's config, given the store (to wire a
	// catalog's Check).
	engine func(hookd.Store, *delivery.Config)
	// sqlite are the options of the store. Default: the zero Options.
	sqlite sqlite.Options
	// postgres, when set, is the DSN of a PostgreSQL schema to use
	// instead of a SQLite file (see eachStore).
	postgres string
}

func newHarness(t *testing.T, o options) *harness {
	t.Helper()
	ctx := context.Background()
	st := openStore(t, o)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	guard := egress.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	dcfg := delivery.Config{
		Guard:        guard,
		Schedule:     []time.Duration{5 * time.Millisecond, 10 * time.Millisecond},
		Jitter:       -1,
		PollInterval: 20 * time.Millisecond,
		Timeout:      5 * time.Second,
		Logger:       quiet,
	}
	if o.engine != nil {
		o.engine(st, &dcfg)
	}
	eng := delivery.New(st, dcfg)
	if err := eng.Start(ctx); err != nil {
		t.Fatalf("start engine: %v", err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = eng.Close(cctx)
	})
	key, err := httpapi.EnsureAPIKey(ctx, st, "")
	if err != nil || key == "" {
		t.Fatalf("EnsureAPIKey = %q, %v", key, err)
	}
	h := &harness{t: t, store: st, engine: eng, key: key, recv: newReceiver(t), reg: prometheus.NewRegistry()}
	var store hookd.Store = st
	var engine hookd.Engine = eng
	if o.wrapStore != nil {
		store = o.wrapStore(st)
	}
	if o.wrapEngine != nil {
		engine = o.wrapEngine(eng)
	}
	cfg := httpapi.Config{Store: store, Engine: engine, URLCheckFunc: guard.CheckURL, Logger: quiet, Registry: h.reg,
		EndpointCheckFunc: delivery.CheckEndpoint, TransformTestFunc: eng.TestTransform}
	if o.config != nil {
		o.config(&cfg)
	}
	h.server = httpapi.New(cfg)
	h.ts = httptest.NewServer(h.server.Handler())
	t.Cleanup(h.ts.Close)
	h.client = httpapi.NewClient(h.ts.URL, key, httpapi.WithBackoff(time.Millisecond, 10*time.Millisecond))
	return h
}

// response is a raw answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a raw request with the harness's key, unless headers set
// Authorization ("" removes it). A body is sent as application/json unless
// headers set Content-Type.
func (h *harness) do(method, path, body string, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// decode decodes a 2xx answer with the wanted status.
func decode[T any](t *testing.T, r response, status int) T {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

// problem checks that r is a problem+json answer with status and code,
// and returns it.
func problem(t *testing.T, r response, status int, code string) httpapi.Problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("decode problem %s: %v", r.body, err)
	}
	if p.Status != status || p.Code != code || p.Title == "" || p.Type == "" {
		t.Fatalf("problem = %+v, want status %d code %s", p, status, code)
	}
	return p
}

// hasPointer fails unless p lists an error at pointer.
func hasPointer(t *testing.T, p httpapi.Problem, pointer string) {
	t.Helper()
	for _, e := range p.Errors {
		if e.Pointer == pointer && e.Message != "" {
			return
		}
	}
	t.Fatalf("problem %+v has no error at %q", p, pointer)
}

// waitFor polls cond until it holds or waitTimeout passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// receiver is a loopback webhook receiver; fail makes it answer 500, and
// so do the next failures requests.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []received
	fail     atomic.Bool
	failures atomic.Int32
}

type received struct {
	header http.Header
	body   []byte
	path   string
	method string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{header: r.Header.Clone(), body: body, path: r.URL.Path, method: r.Method})
		rc.mu.Unlock()
		if rc.fail.Load() || rc.failures.Add(-1) >= 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// byID returns the requests received for webhook-id id.
func (rc *receiver) byID(id string) []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []received
	for _, r := range rc.got {
		if r.header.Get("webhook-id") == id {
			out = append(out, r)
		}
	}
	return out
}

// byPath returns the requests received for webhook-id id at path.
func (rc *receiver) byPath(id, path string) []received {
	var out []received
	for _, r := range rc.byID(id) {
		if r.path == path {
			out = append(out, r)
		}
	}
	return out
}

// waitAt waits for n requests of event id at path and returns them.
func (h *harness) waitAt(id, path string, n int) []received {
	h.t.Helper()
	waitFor(h.t, "delivery of "+id+" to "+path, func() bool { return len(h.recv.byPath(id, path)) >= n })
	return h.recv.byPath(id, path)
}

// waitReceived waits for a request of event id and returns the first.
func (h *harness) waitReceived(id string) received {
	h.t.Helper()
	waitFor(h.t, "delivery of "+id, func() bool { return len(h.recv.byID(id)) > 0 })
	return h.recv.byID(id)[0]
}

// createEndpoint creates an endpoint to the receiver through the client.
func (h *harness) createEndpoint(tenant string, in httpapi.EndpointInput) *httpapi.Endpoint {
	h.t.Helper()
	if in.URL == "" {
		in.URL = h.recv.URL + "/hook"
	}
	ep, err := h.client.CreateEndpoint(context.Background(), tenant, in)
	if err != nil {
		h.t.Fatalf("create endpoint: %v", err)
	}
	return ep
}

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// big returns a JSON body of about n bytes.
func big(n int) string {
	return `{"url":"` + string(bytes.Repeat([]byte("a"), n)) + `"}`
}

// isNullJSON reports whether raw is absent or JSON null.
func isNullJSON(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

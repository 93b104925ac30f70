package receive_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/receive"
	"github.com/hookd/hookd/signature"
	"github.com/hookd/hookd/store/sqlite"
)

const forwardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// harness is receive.Server over a real SQLite store and delivery engine,
// with a loopback receiver for forwards.
type harness struct {
	t      testing.TB
	store  *sqlite.Store
	engine *delivery.Engine
	reg    *receive.Registry
	srv    *receive.Server
	mux    http.Handler
	got    *receiver
	offset atomic.Int64 // added to the server's clock
}

// receiver records what forwards deliver.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func newReceiver(t testing.TB) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs, rc.body = append(rc.reqs, r), append(rc.body, b)
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

func newHarness(t testing.TB, specs map[string]string, opts ...func(*receive.Config)) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{t: t, got: newReceiver(t)}
	st, err := sqlite.Open(ctx, t.TempDir()+"/hookd.db", sqlite.Options{NowFunc: h.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.store = st
	for id, spec := range specs {
		spec = string(bytes.ReplaceAll([]byte(spec), []byte("RECEIVER"), []byte(h.got.URL)))
		if err := st.PutSource(ctx, &hookd.Source{ID: id, Spec: json.RawMessage(spec)}); err != nil {
			t.Fatal(err)
		}
	}
	h.reg = receive.NewRegistry(receive.RegistryConfig{Store: st, NowFunc: h.now})
	if err := h.reg.Load(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := receive.Config{Registry: h.reg, Store: st, NowFunc: h.now}
	for _, o := range opts {
		o(&cfg)
	}
	guard := egress.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	h.engine = delivery.New(st, delivery.Config{ForwardsFunc: h.reg.Forward, Schedule: []time.Duration{10 * time.Millisecond}, Jitter: -1,
		Guard: guard, Client: &http.Client{Transport: egress.NewTransport(guard, egress.TransportOptions{})},
		TracerProvider: cfg.TracerProvider})
	if err := h.engine.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cfg.Engine = h.engine
	h.srv = receive.NewServer(cfg)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); h.srv.Run(rctx) }()
	t.Cleanup(func() { cancel(); <-done; h.engine.Close(context.Background()) })
	mux := http.NewServeMux()
	mux.Handle("/", h.srv)
	h.mux = mux
	return h
}

func (h *harness) now() time.Time { return time.Now().Add(time.Duration(h.offset.Load())) }

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) requests(source string, accepted *bool) []*hookd.Request {
	h.t.Helper()
	reqs, _, err := h.store.ListRequests(context.Background(), hookd.RequestFilter{SourceID: source, Accepted: accepted, Page: hookd.Page{Limit: 250}})
	if err != nil {
		h.t.Fatal(err)
	}
	return reqs
}

const serverSpec = `{
  "verify": [{"provider": "github", "secret": "s3cret"}],
  "schema": {"body": {"type": "object", "required": ["action"]}},
  "destinations": [{"forward": {"url": "RECEIVER/hook", "secret": "` + forwardSecret + `", "headers": ["X-GitHub-Event"]}}]
}`

// TestServerLogsDedupesAndForwards runs the whole intake: rejected
// requests land in the log with their reason and redacted headers; an
// accepted one is stored, answered with its id and forwarded, signed by
// hookd; a repeat of its delivery id is answered 200 as a duplicate of
// the original and forwarded no second time.
func TestServerLogsDedupesAndForwards(t *testing.T) {
	h := newHarness(t, map[string]string{"gh": serverSpec})
	expectStatus(t, serve(h.mux, req("POST", "/in/nope", []byte(`{}`), "Content-Type", "application/json")), http.StatusNotFound)

	bad := githubReq([]byte(`{"action":"x"}`), "Authorization", "Bearer top-secret")
	bad.Header.Set("X-Hub-Signature-256", "sha256="+hexMAC("wrong", []byte(`{"action":"x"}`)))
	bad.URL.Path = "/in/gh"
	expectStatus(t, serve(h.mux, bad), http.StatusUnauthorized)
	invalid := githubReq([]byte(`{"n":1}`))
	invalid.URL.Path = "/in/gh"
	expectStatus(t, serve(h.mux, invalid), http.StatusBadRequest)

	body := []byte(`{"action":"opened"}`)
	good := githubReq(body)
	good.URL.Path = "/in/gh"
	w := serve(h.mux, good)
	expectStatus(t, w, http.StatusOK)
	var out struct{ ID string }
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	dup := githubReq(body)
	dup.URL.Path = "/in/gh"
	w = serve(h.mux, dup)
	expectStatus(t, w, http.StatusOK)
	var dupOut struct {
		ID        string
		Duplicate bool
	}
	if err := json.Unmarshal(w.Body.Bytes(), &dupOut); err != nil || dupOut.ID != out.ID || !dupOut.Duplicate {
		t.Fatalf("duplicate answered %s, want the original %s", w.Body, out.ID)
	}

	waitFor(t, "the forward", func() bool { return h.got.count() == 1 })
	h.checkForward(body)
	no := false
	waitFor(t, "the log of rejected requests", func() bool { return len(h.requests("gh", &no)) == 3 })
	reasons := map[int]*hookd.Request{}
	for _, r := range h.requests("gh", &no) {
		reasons[r.Status] = r
	}
	if r := reasons[401]; r == nil || r.Code != hookd.EUNAUTHORIZED || r.Reason == "" || r.Headers["authorization"] != "[redacted]" {
		t.Errorf("401 logged as %+v", r)
	}
	if r := reasons[400]; r == nil || !bytes.Contains([]byte(r.Reason), []byte("/body")) {
		t.Errorf("400 logged as %+v", r)
	}
	if r := reasons[200]; r == nil || r.DuplicateOf != out.ID {
		t.Errorf("duplicate logged as %+v", r)
	}
	yes := true
	if acc := h.requests("gh", &yes); len(acc) != 1 || acc[0].ID != out.ID || acc[0].Verified != "github" || acc[0].DedupeKey != "d-1" {
		t.Errorf("accepted log %+v", acc)
	}
	// Every forward is stored before its request is answered: the store
	// holds all there will ever be.
	if ds, _, err := h.store.ListDeliveries(context.Background(), hookd.DeliveryFilter{}); err != nil || len(ds) != 1 {
		t.Errorf("%d forwards stored (%v), want 1", len(ds), err)
	}
	if n := h.got.count(); n != 1 {
		t.Errorf("%d forwards, want 1", n)
	}
}

// checkForward checks the first forward: the original body and content
// type, the allowlisted header, and hookd's Standard Webhooks signature.
func (h *harness) checkForward(body []byte) {
	h.t.Helper()
	h.got.mu.Lock()
	defer h.got.mu.Unlock()
	r, b := h.got.reqs[0], h.got.body[0]
	if !bytes.Equal(b, body) || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-GitHub-Event") != "push" || r.URL.Path != "/hook" {
		h.t.Errorf("forwarded %s %s %v", r.URL.Path, b, r.Header)
	}
	if r.Header.Get("X-Hub-Signature-256") != "" {
		h.t.Error("a header off the allowlist was forwarded")
	}
	v, _ := signature.NewVerifier(forwardSecret)
	if err := v.Verify(r.Header, b); err != nil {
		h.t.Errorf("forward signature: %v", err)
	}
}

// TestServerReplay routes an accepted request again and refuses to replay
// a rejected one.
func TestServerReplay(t *testing.T) {
	h := newHarness(t, map[string]string{"gh": serverSpec})
	good := githubReq([]byte(`{"action":"opened"}`))
	good.URL.Path = "/in/gh"
	w := serve(h.mux, good)
	expectStatus(t, w, http.StatusOK)
	var out struct{ ID string }
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	waitFor(t, "the forward", func() bool { return h.got.count() == 1 })
	rep, err := h.srv.Replay(context.Background(), "gh", out.ID)
	if err != nil || len(rep.EventIDs) != 1 || rep.RequestID == out.ID {
		t.Fatalf("replay: %+v %v", rep, err)
	}
	waitFor(t, "the replayed forward", func() bool { return h.got.count() == 2 })

	bad := githubReq([]byte(`{"n":1}`))
	bad.URL.Path = "/in/gh"
	expectStatus(t, serve(h.mux, bad), http.StatusBadRequest)
	no := false
	waitFor(t, "the rejected request", func() bool { return len(h.requests("gh", &no)) == 1 })
	if _, err := h.srv.Replay(context.Background(), "gh", h.requests("gh", &no)[0].ID); hookd.ErrorCode(err) != hookd.EINVALID {
		t.Errorf("replay of a rejected request: %v", err)
	}
}

// TestServerPrunesRejected keeps only the newest keep_rejected rejected
// requests of a source.
func TestServerPrunesRejected(t *testing.T) {
	h := newHarness(t, map[string]string{"small": `{"keep_rejected": 5, "verify": [{"token": {"value": "t"}}]}`})
	for range 40 {
		expectStatus(t, serve(h.mux, req("POST", "/in/small", []byte(`{}`), "Content-Type", "application/json")), http.StatusUnauthorized)
	}
	no := false
	waitFor(t, "pruning", func() bool { n := len(h.requests("small", &no)); return n >= 5 && n < 10 })
}

// TestServerDedupeWindow takes a delivery id again once the source's
// window has passed, and still refuses a repeat within the window.
func TestServerDedupeWindow(t *testing.T) {
	h := newHarness(t, map[string]string{"w": `{"dedupe": {"header": "X-Id", "window": "1m"}}`})
	send := func() (string, bool) {
		w := serve(h.mux, req("POST", "/in/w", []byte(`{}`), "Content-Type", "application/json", "X-Id", "same"))
		expectStatus(t, w, http.StatusOK)
		var out struct {
			ID        string
			Duplicate bool
		}
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		return out.ID, out.Duplicate
	}
	first, dup := send()
	if dup {
		t.Fatal("first delivery is a duplicate")
	}
	if id, dup := send(); !dup || id != first {
		t.Fatalf("repeat within the window: %s %v", id, dup)
	}
	h.offset.Store(int64(2 * time.Minute))
	second, dup := send()
	if dup || second == first {
		t.Fatalf("repeat after the window: %s %v", second, dup)
	}
	if id, dup := send(); !dup || id != second {
		t.Fatalf("repeat of the second within its window: %s %v, want %s", id, dup, second)
	}
}

// TestServerPublish republishes the body as an event whose type a CEL
// expression takes from a header, to the tenant's subscribed endpoint.
func TestServerPublish(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarness(t, map[string]string{"pub": `{"destinations": [{"publish": {"type": {"cel": "'github.' + request.headers['x-github-event']"}}}]}`},
		func(c *receive.Config) { c.Registerer = reg })
	ctx := context.Background()
	secret, _ := signature.GenerateSecret()
	now := time.Now().UTC()
	ep := &hookd.Endpoint{ID: hookd.NewID(hookd.PrefixEndpoint), TenantID: hookd.DefaultTenant, URL: h.got.URL, Enabled: true,
		EventTypes: []string{"github.*"}, Secrets: []hookd.Secret{{Value: secret, CreatedAt: now}}, CreatedAt: now, UpdatedAt: now}
	if err := h.store.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	h.engine.Invalidate()
	expectStatus(t, serve(h.mux, req("POST", "/in/pub", []byte(`{"ref":"main"}`), "Content-Type", "application/json")), http.StatusBadRequest)
	expectStatus(t, serve(h.mux, req("POST", "/in/pub", []byte(`{"ref":"main"}`), "Content-Type", "application/json", "X-GitHub-Event", "push")), http.StatusOK)
	waitFor(t, "the published event", func() bool { return h.got.count() == 1 })
	if n := gatheredValue(t, reg, "hookd_inbound_routed_total", "publish", "pub"); n != 1 {
		t.Errorf("hookd_inbound_routed_total{source=pub,kind=publish} = %v, want 1", n)
	}
	h.got.mu.Lock()
	defer h.got.mu.Unlock()
	var ev struct {
		Type string
		Data json.RawMessage
	}
	if err := json.Unmarshal(h.got.body[0], &ev); err != nil || ev.Type != "github.push" || string(ev.Data) != `{"ref":"main"}` {
		t.Errorf("delivered %s", h.got.body[0])
	}
}

// TestForwardNames checks that a forward keeps its name, and so its
// deliveries in flight, when the destinations are reordered (bad and
// shared names are in TestSpecErrors).
func TestForwardNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, map[string]string{"s": `{"destinations": [
		{"forward": {"url": "https://a.example/hook", "secret": "` + forwardSecret + `"}},
		{"forward": {"name": "billing", "url": "https://b.example/hook", "secret": "` + forwardSecret + `"}}]}`})
	// The default name comes from the URL; "billing" is the forward's own.
	ids := map[string]string{
		"https://a.example/hook": receive.ForwardTargetID("s", "url-"+urlSum("https://a.example/hook")),
		"https://b.example/hook": receive.ForwardTargetID("s", "billing"),
	}
	for url, id := range ids {
		if ep := h.reg.Forward(id); ep == nil || ep.URL != url {
			t.Fatalf("%s resolves to %+v, want %s", id, ep, url)
		}
	}
	// The same destinations in the other order, as an operator edits them.
	err := h.store.PutSource(ctx, &hookd.Source{ID: "s", Spec: json.RawMessage(`{"destinations": [
		{"forward": {"name": "billing", "url": "https://b.example/hook", "secret": "` + forwardSecret + `"}},
		{"forward": {"url": "https://a.example/hook", "secret": "` + forwardSecret + `"}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.reg.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for url, id := range ids {
		if ep := h.reg.Forward(id); ep == nil || ep.URL != url {
			t.Errorf("after reordering, %s resolves to %+v, want %s", id, ep, url)
		}
	}

	// Distinct names make the same URL twice acceptable.
	compile(t, `{"destinations": [
		{"forward": {"name": "one", "url": "https://a.example/", "secret": "`+forwardSecret+`"}},
		{"forward": {"name": "two", "url": "https://a.example/", "secret": "`+forwardSecret+`"}}]}`)
}

func urlSum(url string) string {
	sum := sha256.Sum256([]byte(url))
	return hex.EncodeToString(sum[:6])
}

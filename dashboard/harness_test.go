package dashboard_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd/internal/pgtest"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/bulkretry"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/dashboard"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/postgres"
	"github.com/hookd/hookd/store/sqlite"
)

// waitTimeout bounds every wait on a condition: generous, for a busy
// machine.
const waitTimeout = 20 * time.Second

// harness is hookd's API and dashboard over a real SQLite store and
// delivery engine, on loopback, with a receiver whose answer tests set.
type harness struct {
	t      testing.TB
	store  hookd.Store
	api    *httpapi.Server
	cipher *secrets.Cipher
	ts     *httptest.Server
	key    string // an admin key
	admin  *httpapi.Client
	recv   *receiver
	now    atomic.Pointer[time.Time] // the dashboard's clock; nil: time.Now
	// replayed counts the inbound requests replayed through the API; the
	// routing of a replay is the receive package's, tested there.
	replayed atomic.Int32
}

func (h *harness) replay(ctx context.Context, sourceID, requestID string) (string, []string, error) {
	if _, err := h.store.GetRequest(ctx, sourceID, requestID); err != nil {
		return "", nil, err
	}
	h.replayed.Add(1)
	return hookd.NewID(hookd.PrefixRequest), nil, nil
}

type harnessOptions struct {
	frameAncestors string
	// postgres runs the harness on PostgreSQL (HOOKD_TEST_POSTGRES_URL,
	// in a schema of the test's own) rather than SQLite.
	postgres bool
}

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	ctx := context.Background()
	mk, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	cipher, err := secrets.NewCipher(mk)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, o, cipher)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	guard := egress.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	cat, err := catalog.Open(ctx, st)
	if err != nil {
		t.Fatalf("open catalog: %v", err)
	}
	eng := delivery.New(st, delivery.Config{Guard: guard, Schedule: []time.Duration{time.Hour}, Jitter: -1,
		PollInterval: 20 * time.Millisecond, Timeout: 5 * time.Second, Logger: quiet, CheckFunc: cat.Check})
	if err := eng.Start(ctx); err != nil {
		t.Fatalf("start engine: %v", err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Close(cctx)
	})
	key, err := httpapi.EnsureAPIKey(ctx, st, "")
	if err != nil || key == "" {
		t.Fatalf("EnsureAPIKey = %q, %v", key, err)
	}
	h := &harness{t: t, store: st, key: key, recv: newReceiver(t)}
	runner := bulkretry.New(bulkretry.Config{Store: st, Engine: eng, NodeID: eng.NodeID(), Logger: quiet,
		PollInterval: 50 * time.Millisecond})
	runner.Start(ctx)
	t.Cleanup(runner.Close)
	h.api = httpapi.New(httpapi.Config{Store: st, Engine: eng, URLCheckFunc: guard.CheckURL, Logger: quiet, Catalog: cat,
		RetryJobsChangedFunc: runner.Wake, ReplayFunc: h.replay})
	h.cipher = cipher
	mux := http.NewServeMux()
	mux.Handle("/v1/", h.api.Handler())
	mux.Handle("/ui/", h.newUI(o))
	h.ts = httptest.NewServer(mux)
	t.Cleanup(h.ts.Close)
	h.admin = httpapi.NewClient(h.ts.URL, key)
	return h
}

// openStore opens the harness's store: SQLite in a temporary directory,
// or PostgreSQL in a new schema.
func openStore(t testing.TB, o harnessOptions, c *secrets.Cipher) hookd.Store {
	t.Helper()
	ctx := context.Background()
	var (
		st  hookd.Store
		err error
	)
	if o.postgres {
		st, err = postgres.Open(ctx, pgtest.Schema(t), postgres.Options{Cipher: c})
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "hookd.db"), sqlite.Options{Cipher: c})
	}
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// newUI returns another dashboard over the same API and master key: as
// another node would run it.
func (h *harness) newUI(o harnessOptions) http.Handler {
	h.t.Helper()
	ui, err := dashboard.New(dashboard.Config{API: h.api.Handler(), VerifyFunc: h.api.Verify, Cipher: h.cipher, Portals: h.store,
		FrameAncestors: o.frameAncestors, SessionTTL: time.Hour,
		NowFunc: func() time.Time {
			if p := h.now.Load(); p != nil {
				return *p
			}
			return time.Now()
		}})
	if err != nil {
		h.t.Fatal(err)
	}
	return ui.Handler()
}

// newKey creates an API key with scope and returns it.
func (h *harness) newKey(scope string, readOnly bool) string {
	h.t.Helper()
	k, err := h.admin.CreateAPIKey(context.Background(), httpapi.APIKeyInput{Name: "test " + scope, Scope: scope, ReadOnly: readOnly})
	if err != nil {
		h.t.Fatalf("create key: %v", err)
	}
	return k.Key
}

// putTenant creates a tenant.
func (h *harness) putTenant(id string) {
	h.t.Helper()
	if _, _, err := h.admin.PutTenant(context.Background(), id, nil); err != nil {
		h.t.Fatalf("put tenant: %v", err)
	}
}

// browser is a cookie-keeping HTTP client of the dashboard that does not
// follow redirects, so tests see them.
type browser struct {
	h    *harness
	hc   *http.Client
	csrf string // the last CSRF token a page showed
}

type page struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (h *harness) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &browser{h: h, hc: &http.Client{Jar: jar, Timeout: waitTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) page {
	b.h.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.h.t.Fatal(err)
	}
	p := page{status: resp.StatusCode, header: resp.Header, body: string(body), location: resp.Header.Get("Location")}
	if m := csrfField.FindStringSubmatch(p.body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) page {
	b.h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.h.ts.URL+path, nil)
	if err != nil {
		b.h.t.Fatal(err)
	}
	return b.do(req)
}

// post submits a form; with withCSRF it carries the last token seen.
func (b *browser) post(path string, form url.Values, withCSRF bool) page {
	b.h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if withCSRF {
		form.Set("csrf", b.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, b.h.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// signIn signs in with key and fails the test unless it works.
func (b *browser) signIn(key string) page {
	b.h.t.Helper()
	if p := b.get("/ui/"); p.status != http.StatusOK || !strings.Contains(p.body, ">API key<") {
		b.h.t.Fatalf("GET /ui/ = %d %s", p.status, p.body)
	}
	p := b.post("/ui/signin", url.Values{"api_key": {key}}, true)
	if p.status != http.StatusSeeOther {
		b.h.t.Fatalf("sign in = %d %s", p.status, p.body)
	}
	return p
}

// must fails unless p has status.
func must(t testing.TB, p page, status int) page {
	t.Helper()
	if p.status != status {
		t.Fatalf("status = %d, want %d; Location %q; body %s", p.status, status, p.location, p.body)
	}
	return p
}

// waitFor polls cond until it holds or waitTimeout passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// receiver is a webhook receiver answering status (200 unless set).
type receiver struct {
	*httptest.Server
	status atomic.Int32
	got    atomic.Int32
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{}
	r.status.Store(http.StatusOK)
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.got.Add(1)
		w.WriteHeader(int(r.status.Load()))
	}))
	t.Cleanup(r.Close)
	return r
}

// endpoints lists a tenant's endpoints through the API.
func (h *harness) endpoints(tenant string) []httpapi.Endpoint {
	h.t.Helper()
	eps, _, err := h.admin.ListEndpoints(context.Background(), tenant, httpapi.ListOptions{Limit: 250})
	if err != nil {
		h.t.Fatal(err)
	}
	return eps
}

func hookdKeyInput(scope string) httpapi.APIKeyInput {
	return httpapi.APIKeyInput{Name: "test " + scope, Scope: scope}
}

func deliveryFilterOf(endpointID string) httpapi.DeliveryListOptions {
	return httpapi.DeliveryListOptions{DeliveryFilter: httpapi.DeliveryFilter{EndpointID: endpointID}}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

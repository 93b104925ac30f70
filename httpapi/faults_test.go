package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// blockingStore holds GetTenant("slow") and CreateEndpoint until released,
// and fails GetTenant("broken") with an internal error.
type blockingStore struct {
	hookd.Store
	entered chan struct{}
	release chan struct{}
}

func newBlockingStore(s hookd.Store) *blockingStore {
	return &blockingStore{Store: s, entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (b *blockingStore) GetTenant(ctx context.Context, id string) (*hookd.Tenant, error) {
	switch id {
	case "slow":
		b.entered <- struct{}{}
		<-b.release
	case "broken":
		return nil, errors.New("disk on fire at /var/lib/secret-path")
	}
	return b.Store.GetTenant(ctx, id)
}

func (b *blockingStore) CreateEndpoint(ctx context.Context, e *hookd.Endpoint) error {
	b.entered <- struct{}{}
	<-b.release
	return b.Store.CreateEndpoint(ctx, e)
}

func TestSaturationAnswers503(t *testing.T) {
	t.Parallel()
	var bs *blockingStore
	h := newHarness(t, options{
		config:    func(c *httpapi.Config) { c.MaxInFlight = 1 },
		wrapStore: func(s hookd.Store) hookd.Store { bs = newBlockingStore(s); return bs },
	})
	done := make(chan response)
	go func() { done <- h.do("GET", "/v1/tenants/slow", "") }()
	<-bs.entered
	r := h.do("GET", "/v1/tenants", "")
	problem(t, r, http.StatusServiceUnavailable, hookd.EUNAVAILABLE)
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	close(bs.release)
	if first := <-done; first.status != http.StatusNotFound {
		t.Fatalf("blocked request: %d %s", first.status, first.body)
	}
	decode[httpapi.List[httpapi.Tenant]](t, h.do("GET", "/v1/tenants", ""), http.StatusOK)
}

func TestIdempotencyKeyInFlight(t *testing.T) {
	t.Parallel()
	var bs *blockingStore
	h := newHarness(t, options{wrapStore: func(s hookd.Store) hookd.Store { bs = newBlockingStore(s); return bs }})
	body := `{"url":"` + h.recv.URL + `"}`
	done := make(chan response)
	go func() { done <- h.do("POST", "/v1/tenants/default/endpoints", body, "Idempotency-Key", "k") }()
	<-bs.entered
	problem(t, h.do("POST", "/v1/tenants/default/endpoints", body, "Idempotency-Key", "k"), http.StatusConflict, hookd.ECONFLICT)
	close(bs.release)
	first := decode[httpapi.Endpoint](t, <-done, http.StatusCreated)
	again := decode[httpapi.Endpoint](t, h.do("POST", "/v1/tenants/default/endpoints", body, "Idempotency-Key", "k"), http.StatusCreated)
	if again.ID != first.ID {
		t.Fatalf("replay %s, want %s", again.ID, first.ID)
	}
}

func TestInternalErrorsAreHidden(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{wrapStore: func(s hookd.Store) hookd.Store { return newBlockingStore(s) }})
	r := h.do("GET", "/v1/tenants/broken", "")
	p := problem(t, r, http.StatusInternalServerError, hookd.EINTERNAL)
	if p.Detail != "internal error" || strings.Contains(string(r.body), "secret-path") {
		t.Fatalf("internal error leaks: %s", r.body)
	}
}

// fakeEngine fails Publish with err and passes everything else through.
type fakeEngine struct {
	hookd.Engine
	err error
}

func (f *fakeEngine) Publish(ctx context.Context, p *hookd.Publish) (*hookd.PublishResult, error) {
	return nil, f.err
}

func TestPublishEngineErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"in flight", hookd.Errorf(hookd.ECONFLICT, "a request with idempotency key k is still being processed"), 409, hookd.ECONFLICT},
		{"saturated", hookd.Errorf(hookd.EUNAVAILABLE, "queue full"), 503, hookd.EUNAVAILABLE},
		{"mismatch", &hookd.Error{Code: hookd.EMISMATCH, Message: "key reused"}, 422, hookd.EMISMATCH},
		{"schema", hookd.Invalid("invalid event", hookd.FieldError{Pointer: "/data/amount", Message: "must be a number"}), 422, hookd.EINVALID},
		{"internal", errors.New("boom"), 500, hookd.EINTERNAL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{wrapEngine: func(e hookd.Engine) hookd.Engine { return &fakeEngine{Engine: e, err: tc.err} }})
			r := h.do("POST", "/v1/tenants/default/events", `{"type":"a.b","data":{"amount":"x"}}`, "Idempotency-Key", "k")
			p := problem(t, r, tc.status, tc.code)
			if tc.status == 503 && r.header.Get("Retry-After") != "1" {
				t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
			}
			if tc.code == hookd.EINVALID {
				hasPointer(t, p, "/data/amount")
			}
		})
	}
}

// overtakingStore disables the endpoint (as the engine does after days of
// failures) between the API's read of it and the first n updates.
type overtakingStore struct {
	hookd.Store
	n int
}

func (o *overtakingStore) UpdateEndpoint(ctx context.Context, e *hookd.Endpoint) error {
	if o.n > 0 {
		o.n--
		err := o.Store.SetEndpointHealth(ctx, e.TenantID, e.ID,
			hookd.EndpointHealth{Disable: true, DisabledReason: "failing since Monday"})
		if err != nil {
			return err
		}
	}
	return o.Store.UpdateEndpoint(ctx, e)
}

// TestPatchDoesNotUndoConcurrentChanges: a PATCH that another change
// overtook starts over from a fresh read, so it neither re-enables an
// endpoint the engine just disabled nor loses its own edit; one that is
// overtaken every time gives up with 409.
func TestPatchDoesNotUndoConcurrentChanges(t *testing.T) {
	t.Parallel()
	st := &overtakingStore{}
	h := newHarness(t, options{wrapStore: func(s hookd.Store) hookd.Store { st.Store = s; return st }})
	ep := h.createEndpoint("default", httpapi.EndpointInput{})
	path := "/v1/tenants/default/endpoints/" + ep.ID

	st.n = 1
	got := decode[httpapi.Endpoint](t, h.do(http.MethodPatch, path, `{"description":"billing"}`), http.StatusOK)
	if got.Enabled || got.DisabledReason != "failing since Monday" || got.Description != "billing" {
		t.Errorf("after an overtaken PATCH: enabled=%v reason=%q description=%q; want the engine's disable and the edit",
			got.Enabled, got.DisabledReason, got.Description)
	}

	st.n = 100
	r := h.do(http.MethodPatch, path, `{"description":"again"}`)
	if r.status != http.StatusConflict {
		t.Errorf("a PATCH overtaken every time: status %d, want 409; body %s", r.status, r.body)
	}
}

package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

func TestPortalLink(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	if _, _, err := h.client.PutTenant(ctx, "acme", nil); err != nil {
		t.Fatal(err)
	}
	link, err := h.client.CreatePortalLink(ctx, "acme", []string{"retry", "send_tests", "retry"}, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	prefix := h.ts.URL + "/ui/portal#token=" + httpapi.PortalTokenPrefix
	if !strings.HasPrefix(link.URL, prefix) || len(link.URL) < len(prefix)+40 {
		t.Errorf("url = %q", link.URL)
	}
	if want := []string{"view", "send_tests", "retry"}; strings.Join(link.Capabilities, ",") != strings.Join(want, ",") {
		t.Errorf("capabilities = %v, want %v", link.Capabilities, want)
	}
	if d := time.Until(link.ExpiresAt); d < 25*time.Minute || d > 31*time.Minute {
		t.Errorf("expires in %v", d)
	}
	token := strings.TrimPrefix(link.URL, h.ts.URL+"/ui/portal#token=")
	got, err := h.store.RedeemPortalToken(ctx, token, time.Now())
	if err != nil || got.TenantID != "acme" {
		t.Fatalf("redeem = %+v, %v", got, err)
	}
}

func TestPortalLinkRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	if _, _, err := h.client.PutTenant(context.Background(), "acme", nil); err != nil {
		t.Fatal(err)
	}
	tenantKey, err := h.client.CreateAPIKey(context.Background(), httpapi.APIKeyInput{Name: "acme", Scope: hookd.TenantScope("acme")})
	if err != nil {
		t.Fatal(err)
	}
	roKey, err := h.client.CreateAPIKey(context.Background(), httpapi.APIKeyInput{Name: "ro", Scope: hookd.ScopeAdmin, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	const path = "/v1/tenants/acme/portal"
	problem(t, h.do("POST", path, `{"capabilities":[]}`, "Authorization", "Bearer "+tenantKey.Key), http.StatusForbidden, hookd.EFORBIDDEN)
	problem(t, h.do("POST", path, `{"capabilities":[]}`, "Authorization", "Bearer "+roKey.Key), http.StatusForbidden, hookd.EFORBIDDEN)
	problem(t, h.do("POST", path, `{"capabilities":[]}`, "Authorization", ""), http.StatusUnauthorized, hookd.EUNAUTHORIZED)
	hasPointer(t, problem(t, h.do("POST", path, `{"capabilities":["view","admin"]}`), http.StatusUnprocessableEntity, hookd.EINVALID), "/capabilities/1")
	hasPointer(t, problem(t, h.do("POST", path, `{"capabilities":[],"ttl":"48h"}`), http.StatusUnprocessableEntity, hookd.EINVALID), "/ttl")
	hasPointer(t, problem(t, h.do("POST", path, `{"capabilities":[],"ttl":"-1s"}`), http.StatusUnprocessableEntity, hookd.EINVALID), "/ttl")
	problem(t, h.do("POST", path, `{"capabilities":`), http.StatusBadRequest, hookd.EMALFORMED)
	problem(t, h.do("POST", "/v1/tenants/nobody/portal", `{"capabilities":[]}`), http.StatusNotFound, hookd.ENOTFOUND)
}

func TestWithCallerActsAsATenant(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	for _, id := range []string{"acme", "globex"} {
		if _, _, err := h.client.PutTenant(context.Background(), id, nil); err != nil {
			t.Fatal(err)
		}
	}
	serve := func(c httpapi.Caller, method, path string) int {
		req := httptest.NewRequest(method, path, strings.NewReader(`{"url":"https://example.com"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.server.Handler().ServeHTTP(rec, req.WithContext(httpapi.WithCaller(req.Context(), c)))
		return rec.Code
	}
	acme := httpapi.Caller{KeyID: "portal", Tenant: "acme"}
	for _, tc := range []struct {
		c            httpapi.Caller
		method, path string
		want         int
	}{
		{acme, "GET", "/v1/tenants/acme/endpoints", http.StatusOK},
		{acme, "GET", "/v1/tenants/globex/endpoints", http.StatusNotFound},
		{acme, "GET", "/v1/api-keys", http.StatusForbidden},
		{acme, "POST", "/v1/tenants/acme/portal", http.StatusForbidden},
		{httpapi.Caller{Tenant: "acme", ReadOnly: true}, "POST", "/v1/tenants/acme/endpoints", http.StatusForbidden},
		{httpapi.Caller{KeyID: "no tenant"}, "GET", "/v1/tenants", http.StatusUnauthorized},
	} {
		if got := serve(tc.c, tc.method, tc.path); got != tc.want {
			t.Errorf("%+v %s %s = %d, want %d", tc.c, tc.method, tc.path, got, tc.want)
		}
	}
}

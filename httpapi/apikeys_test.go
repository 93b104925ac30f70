package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// newKey creates an API key through the API and returns it.
func (h *harness) newKey(t *testing.T, body string) httpapi.APIKey {
	t.Helper()
	r := h.do("POST", "/v1/api-keys", body)
	k := decode[httpapi.APIKey](t, r, http.StatusCreated)
	if k.Key == "" || !strings.HasPrefix(k.Key, k.Prefix) || r.header.Get("Location") != "/v1/api-keys/"+k.ID {
		t.Fatalf("created key %+v, Location %q", k, r.header.Get("Location"))
	}
	return k
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	h.do("PUT", "/v1/tenants/acme", "")
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	k := h.newKey(t, fmt.Sprintf(`{"name":"portal","scope":"tenant:acme","read_only":true,"expires_at":%q}`,
		exp.Format(time.RFC3339)))
	if k.Scope != "tenant:acme" || !k.ReadOnly || k.ExpiresAt == nil || !k.ExpiresAt.Equal(exp) || k.LastUsedAt != nil {
		t.Fatalf("created %+v", k)
	}

	list := decode[httpapi.List[httpapi.APIKey]](t, h.do("GET", "/v1/api-keys", ""), http.StatusOK)
	if len(list.Data) != 2 || list.Data[0].ID != k.ID || list.Data[0].Key != "" {
		t.Fatalf("list = %+v", list.Data)
	}
	if r := h.do("GET", "/v1/api-keys", ""); strings.Contains(string(r.body), k.Key) || strings.Contains(string(r.body), `"key"`) {
		t.Fatalf("a listing shows a key: %s", r.body)
	}
	got := decode[httpapi.APIKey](t, h.do("GET", "/v1/api-keys/"+k.ID, ""), http.StatusOK)
	if got.Name != "portal" || got.Key != "" {
		t.Fatalf("get = %+v", got)
	}

	for _, tc := range []struct{ body, pointer string }{
		{`{"name":"x","scope":"root"}`, "/scope"},
		{`{"name":"x","scope":"tenant:"}`, "/scope"},
		{`{"name":"x","scope":"tenant:nope"}`, "/scope"},
		{`{"name":"","scope":"admin"}`, "/name"},
		{`{"name":"x","scope":"admin","expires_at":"2001-01-01T00:00:00Z"}`, "/expires_at"},
		{`{"name":"x","scope":"admin","extra":1}`, "/extra"},
	} {
		hasPointer(t, problem(t, h.do("POST", "/v1/api-keys", tc.body), http.StatusUnprocessableEntity, hookd.EINVALID), tc.pointer)
	}

	bearer := "Bearer " + k.Key
	decode[httpapi.Tenant](t, h.do("GET", "/v1/tenants/acme", "", "Authorization", bearer), http.StatusOK)
	if r := h.do("DELETE", "/v1/api-keys/"+k.ID, ""); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	problem(t, h.do("GET", "/v1/tenants/acme", "", "Authorization", bearer), http.StatusUnauthorized, hookd.EUNAUTHORIZED)
	problem(t, h.do("DELETE", "/v1/api-keys/"+k.ID, ""), http.StatusNotFound, hookd.ENOTFOUND)
}

// TestScopeMatrix: what admin, tenant and read-only keys reach, route by
// route.
func TestScopeMatrix(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	h.do("PUT", "/v1/tenants/acme", "")
	h.do("PUT", "/v1/tenants/other", "")
	h.do("POST", "/v1/event-types", `{"name":"invoice.paid"}`)
	ep := decode[httpapi.Endpoint](t, h.do("POST", "/v1/tenants/acme/endpoints", `{"url":"`+h.recv.URL+`"}`), http.StatusCreated)
	otherEp := decode[httpapi.Endpoint](t, h.do("POST", "/v1/tenants/other/endpoints", `{"url":"`+h.recv.URL+`"}`), http.StatusCreated)
	keys := map[string]string{
		"admin":    "Bearer " + h.key,
		"admin-ro": "Bearer " + h.newKey(t, `{"name":"ro","scope":"admin","read_only":true}`).Key,
		"acme":     "Bearer " + h.newKey(t, `{"name":"acme","scope":"tenant:acme"}`).Key,
		"acme-ro":  "Bearer " + h.newKey(t, `{"name":"acme-ro","scope":"tenant:acme","read_only":true}`).Key,
	}
	acmeEp, otherEpPath := "/v1/tenants/acme/endpoints/"+ep.ID, "/v1/tenants/other/endpoints/"+otherEp.ID
	tests := []struct {
		method, path, body string
		want               map[string]int // by key; missing: 200
	}{
		{"GET", "/v1/tenants/acme", "", nil},
		{"GET", "/v1/tenants/acme/endpoints", "", nil},
		{"GET", acmeEp, "", nil},
		{"PATCH", acmeEp, `{"description":"x"}`, map[string]int{"admin-ro": 403, "acme-ro": 403}},
		{"POST", "/v1/tenants/acme/events", `{"type":"invoice.paid","data":{}}`, map[string]int{"admin": 202, "acme": 202, "admin-ro": 403, "acme-ro": 403}},
		{"POST", "/v1/tenants/acme/events/batch", `{"events":[{"type":"invoice.paid","data":{}}]}`,
			map[string]int{"admin": 202, "acme": 202, "admin-ro": 403, "acme-ro": 403}},
		{"POST", "/v1/tenants/other/events/batch", `{"events":[{"type":"invoice.paid","data":{}}]}`,
			map[string]int{"admin": 202, "acme": 404, "admin-ro": 403, "acme-ro": 404}},
		{"POST", acmeEp + "/secret/reveal", "", map[string]int{"admin-ro": 403, "acme-ro": 403}},
		{"GET", "/v1/tenants/other", "", map[string]int{"acme": 404, "acme-ro": 404}},
		{"GET", otherEpPath, "", map[string]int{"acme": 404, "acme-ro": 404}},
		{"POST", otherEpPath + "/secret/reveal", "", map[string]int{"admin-ro": 403, "acme": 404, "acme-ro": 404}},
		{"GET", "/v1/event-types", "", nil},
		{"GET", "/v1/event-types/invoice.paid", "", nil},
		{"PATCH", "/v1/event-types/invoice.paid", `{"description":"x"}`, map[string]int{"admin-ro": 403, "acme": 403, "acme-ro": 403}},
		{"GET", "/v1/tenants", "", map[string]int{"acme": 403, "acme-ro": 403}},
		{"PUT", "/v1/tenants/acme", "", map[string]int{"admin-ro": 403, "acme": 403, "acme-ro": 403}},
		{"GET", "/v1/sources", "", map[string]int{"acme": 403, "acme-ro": 403}},
		{"GET", "/v1/api-keys", "", map[string]int{"acme": 403, "acme-ro": 403}},
		{"POST", "/v1/api-keys", `{"name":"x","scope":"admin"}`, map[string]int{"admin": 201, "admin-ro": 403, "acme": 403, "acme-ro": 403}},
		{"DELETE", "/v1/tenants/acme", "", map[string]int{"admin-ro": 403, "acme": 403, "acme-ro": 403, "admin": 0}},
	}
	for _, tc := range tests {
		for _, who := range []string{"acme-ro", "acme", "admin-ro", "admin"} {
			want, ok := tc.want[who]
			if !ok {
				want = http.StatusOK
			}
			if want == 0 { // not run: it would change what other cases see
				continue
			}
			r := h.do(tc.method, tc.path, tc.body, "Authorization", keys[who])
			if r.status != want {
				t.Errorf("%s %s as %s: %d, want %d (%s)", tc.method, tc.path, who, r.status, want, r.body)
				continue
			}
			switch want {
			case http.StatusForbidden:
				problem(t, r, want, hookd.EFORBIDDEN)
			case http.StatusNotFound:
				if p := problem(t, r, want, hookd.ENOTFOUND); !strings.Contains(p.Detail, `tenant "other" not found`) {
					t.Errorf("%s %s as %s: detail %q tells the tenant exists", tc.method, tc.path, who, p.Detail)
				}
			}
		}
	}
}

func TestExpiredKey(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	h := newHarness(t, options{config: func(c *httpapi.Config) {
		c.NowFunc = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	}})
	exp := time.Now().Add(time.Hour).UTC()
	k := h.newKey(t, fmt.Sprintf(`{"name":"short","scope":"admin","expires_at":%q}`, exp.Format(time.RFC3339Nano)))
	decode[httpapi.Tenant](t, h.do("GET", "/v1/tenants/default", "", "Authorization", "Bearer "+k.Key), http.StatusOK)
	offset.Store(int64(2 * time.Hour))
	p := problem(t, h.do("GET", "/v1/tenants/default", "", "Authorization", "Bearer "+k.Key), http.StatusUnauthorized, hookd.EUNAUTHORIZED)
	if !strings.Contains(p.Detail, "expired") {
		t.Fatalf("detail = %q", p.Detail)
	}
}

func TestLastUsed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	k := h.newKey(t, `{"name":"ci","scope":"admin"}`)
	for range 3 {
		h.do("GET", "/v1/tenants", "", "Authorization", "Bearer "+k.Key)
	}
	waitFor(t, "last_used_at", func() bool {
		got, err := h.store.GetAPIKey(context.Background(), k.ID)
		return err == nil && !got.LastUsedAt.IsZero()
	})
}

func TestBootstrapKey(t *testing.T) {
	t.Parallel()
	const boot = "an-operator-chosen-bootstrap-key"
	h := newHarness(t, options{config: func(c *httpapi.Config) { c.BootstrapKey = boot }})
	decode[httpapi.List[httpapi.APIKey]](t, h.do("GET", "/v1/api-keys", "", "Authorization", "Bearer "+boot), http.StatusOK)
	problem(t, h.do("GET", "/v1/api-keys", "", "Authorization", "Bearer "+boot+"x"), http.StatusUnauthorized, hookd.EUNAUTHORIZED)
	keys, err := h.store.ListAPIKeys(context.Background())
	if err != nil || len(keys) != 1 || keys[0].Name != "generated" {
		t.Fatalf("stored keys = %+v, %v: the bootstrap key must not be stored", keys, err)
	}
}

func TestClientKeysAndReveal(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	if _, _, err := h.client.PutTenant(ctx, "acme", nil); err != nil {
		t.Fatal(err)
	}
	k, err := h.client.CreateAPIKey(ctx, httpapi.APIKeyInput{Name: "acme", Scope: "tenant:acme"})
	if err != nil || k.Key == "" {
		t.Fatalf("CreateAPIKey = %+v, %v", k, err)
	}
	ep, err := h.client.CreateEndpoint(ctx, "acme", httpapi.EndpointInput{URL: h.recv.URL})
	if err != nil {
		t.Fatal(err)
	}
	tenantClient := httpapi.NewClient(h.ts.URL, k.Key)
	rev, err := tenantClient.RevealSecret(ctx, "acme", ep.ID)
	if err != nil || rev.Secret != ep.Secret || len(rev.Secrets) != 1 {
		t.Fatalf("RevealSecret = %+v, %v; want %s", rev, err, ep.Secret)
	}
	rotated, err := h.client.RotateSecret(ctx, "acme", ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	rev, err = h.client.RevealSecret(ctx, "acme", ep.ID)
	if err != nil || rev.Secret != rotated || len(rev.Secrets) != 2 || rev.Secrets[1] != ep.Secret {
		t.Fatalf("after rotation RevealSecret = %+v, %v", rev, err)
	}
	keys, _, err := h.client.ListAPIKeys(ctx, httpapi.ListOptions{Limit: 1})
	if err != nil || len(keys) != 1 || keys[0].ID != k.ID {
		t.Fatalf("ListAPIKeys = %+v, %v", keys, err)
	}
	if got, err := h.client.GetAPIKey(ctx, k.ID); err != nil || got.Scope != "tenant:acme" {
		t.Fatalf("GetAPIKey = %+v, %v", got, err)
	}
	if err := h.client.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tenantClient.RevealSecret(ctx, "acme", ep.ID); hookd.ErrorCode(err) != hookd.EUNAUTHORIZED {
		t.Fatalf("revoked key: %v", err)
	}
}

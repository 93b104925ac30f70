package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/store/sqlite"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	tests := []struct {
		name   string
		header string
		status int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"wrong key", "Bearer hk_wrong", http.StatusUnauthorized},
		{"wrong scheme", "Basic " + h.key, http.StatusUnauthorized},
		{"empty bearer", "Bearer ", http.StatusUnauthorized},
		{"valid", "Bearer " + h.key, http.StatusOK},
		{"valid, scheme in lower case", "bearer " + h.key, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // the second time through the key cache
				r := h.do("GET", "/v1/tenants", "", "Authorization", tc.header)
				if tc.status == http.StatusOK {
					decode[httpapi.List[httpapi.Tenant]](t, r, http.StatusOK)
					continue
				}
				problem(t, r, tc.status, hookd.EUNAUTHORIZED)
				if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="hookd"` {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			}
		})
	}
	t.Run("unknown route needs the key too", func(t *testing.T) {
		problem(t, h.do("GET", "/v1/nope", "", "Authorization", ""), http.StatusUnauthorized, hookd.EUNAUTHORIZED)
	})
	t.Run("client with a wrong key", func(t *testing.T) {
		_, _, err := httpapi.NewClient(h.ts.URL, "hk_nope").ListTenants(context.Background(), httpapi.ListOptions{})
		if hookd.ErrorCode(err) != hookd.EUNAUTHORIZED {
			t.Fatalf("err = %v, want unauthorized", err)
		}
	})
}

func TestAuthenticateWrapsOtherHandlers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	metrics := httptest.NewServer(h.server.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})))
	defer metrics.Close()
	resp, err := http.Get(metrics.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("without key: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ := http.NewRequest("GET", metrics.URL, nil)
	req.Header.Set("Authorization", "Bearer "+h.key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with key: %d", resp.StatusCode)
	}
	tenantKey := h.newKey(t, `{"name":"t","scope":"tenant:default"}`)
	req.Header.Set("Authorization", "Bearer "+tenantKey.Key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("with a tenant key: %d, want 403", resp.StatusCode)
	}
}

func TestEnsureAPIKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	open := func(t *testing.T) *sqlite.Store {
		st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "k.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	t.Run("generated once, stored hashed", func(t *testing.T) {
		st := open(t)
		key, err := httpapi.EnsureAPIKey(ctx, st, "")
		if err != nil || !strings.HasPrefix(key, "hk_") || len(key) != 3+43 {
			t.Fatalf("EnsureAPIKey = %q, %v", key, err)
		}
		again, err := httpapi.EnsureAPIKey(ctx, st, "")
		if err != nil || again != "" {
			t.Fatalf("second EnsureAPIKey = %q, %v; want no new key", again, err)
		}
		keys, _ := st.ListAPIKeys(ctx)
		if len(keys) != 1 || keys[0].Prefix != key[:7] || keys[0].Scope != hookd.ScopeAdmin {
			t.Fatalf("stored keys = %+v", keys)
		}
		if k, err := st.APIKeyBySecret(ctx, key); err != nil || k.ID != keys[0].ID {
			t.Fatalf("APIKeyBySecret = %v, %v", k, err)
		}
	})
	t.Run("configured: held in memory, nothing stored", func(t *testing.T) {
		st := open(t)
		for range 2 {
			key, err := httpapi.EnsureAPIKey(ctx, st, "a-configured-key-that-is-long-enough")
			if err != nil || key != "" {
				t.Fatalf("EnsureAPIKey = %q, %v", key, err)
			}
		}
		if keys, _ := st.ListAPIKeys(ctx); len(keys) != 0 {
			t.Fatalf("stored keys = %+v", keys)
		}
	})
}

func TestRouting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	t.Run("unknown route", func(t *testing.T) {
		problem(t, h.do("GET", "/v1/nope", ""), http.StatusNotFound, hookd.ENOTFOUND)
	})
	t.Run("outside /v1", func(t *testing.T) {
		problem(t, h.do("GET", "/healthz", ""), http.StatusNotFound, hookd.ENOTFOUND)
	})
	t.Run("method not allowed", func(t *testing.T) {
		r := h.do("PUT", "/v1/event-types", "{}")
		problem(t, r, http.StatusMethodNotAllowed, hookd.EMETHOD)
		if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
			t.Errorf("Allow = %q", allow)
		}
	})
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	h.do("GET", "/v1/tenants/default", "")
	h.do("GET", "/v1/tenants/nope", "")
	h.do("GET", "/v1/nope", "")
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"GET /v1/tenants/{tenant} 200": false,
		"GET /v1/tenants/{tenant} 404": false,
		"unmatched 404":                false,
	}
	for _, mf := range mfs {
		if mf.GetName() != "hookd_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var route, code string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "route":
					route = l.GetValue()
				case "code":
					code = l.GetValue()
				}
			}
			want[route+" "+code] = true
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no metric for %s", k)
		}
	}
}

func TestRoutesListsEveryRoute(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	routes := h.server.Routes()
	for _, want := range []string{
		"POST /v1/event-types", "GET /v1/event-types", "GET /v1/event-types/{name}", "PUT /v1/event-types/{name}", "PATCH /v1/event-types/{name}",
		"DELETE /v1/event-types/{name}", "PUT /v1/tenants/{tenant}", "GET /v1/tenants/{tenant}",
		"DELETE /v1/tenants/{tenant}", "GET /v1/tenants", "POST /v1/tenants/{tenant}/endpoints",
		"GET /v1/tenants/{tenant}/endpoints", "GET /v1/tenants/{tenant}/endpoints/{id}",
		"PATCH /v1/tenants/{tenant}/endpoints/{id}", "DELETE /v1/tenants/{tenant}/endpoints/{id}",
		"POST /v1/tenants/{tenant}/endpoints/{id}/rotate-secret", "POST /v1/tenants/{tenant}/endpoints/{id}/test",
		"POST /v1/tenants/{tenant}/endpoints/{id}/recover", "GET /v1/tenants/{tenant}/endpoints/{id}/attempts",
		"POST /v1/tenants/{tenant}/endpoints/{id}/transform/test",
		"POST /v1/tenants/{tenant}/events", "POST /v1/tenants/{tenant}/events/batch", "GET /v1/tenants/{tenant}/events", "GET /v1/tenants/{tenant}/events/{id}",
		"POST /v1/tenants/{tenant}/events/{id}/retry", "POST /v1/sources", "GET /v1/sources", "GET /v1/sources/{id}",
		"PATCH /v1/sources/{id}", "DELETE /v1/sources/{id}", "GET /v1/sources/{id}/requests",
		"POST /v1/sources/{id}/requests/{rid}/replay", "POST /v1/api-keys", "GET /v1/api-keys",
		"GET /v1/api-keys/{id}", "DELETE /v1/api-keys/{id}", "POST /v1/tenants/{tenant}/endpoints/{id}/secret/reveal",
		"GET /v1/tenants/{tenant}/deliveries", "POST /v1/tenants/{tenant}/deliveries/retry", "GET /v1/tenants/{tenant}/deliveries/retry/{id}",
		"POST /v1/tenants/{tenant}/portal",
	} {
		if !slices.Contains(routes, want) {
			t.Errorf("route %q missing from %v", want, routes)
		}
	}
	if len(routes) != 41 {
		t.Errorf("%d routes, want 41", len(routes))
	}
}

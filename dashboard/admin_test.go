package dashboard_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

func TestAPIKeysScreen(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.putTenant("acme")
	b := h.browser()
	b.signIn(h.key)
	list := must(t, b.get("/ui/t/default/api-keys"), http.StatusOK)
	if !strings.Contains(list.body, ">generated<") || !strings.Contains(list.body, `value="tenant:acme"`) {
		t.Errorf("key list: %s", list.body)
	}
	p := must(t, b.post("/ui/t/default/api-keys", url.Values{"name": {"ci deploys"}, "scope": {"tenant:acme"},
		"read_only": {"1"}}, true), http.StatusOK)
	key := regexp.MustCompile(`id="new-key" class="secret" readonly value="(hk_[^"]+)"`).FindStringSubmatch(p.body)
	if key == nil {
		t.Fatalf("the new key is not shown: %s", p.body)
	}
	if _, _, err := httpapi.NewClient(h.ts.URL, html.UnescapeString(key[1])).ListEndpoints(context.Background(), "acme", httpapi.ListOptions{}); err != nil {
		t.Fatalf("the new key does not work: %v", err)
	}
	keys, _, _ := h.admin.ListAPIKeys(context.Background(), httpapi.ListOptions{})
	var id string
	for _, k := range keys {
		if k.Name == "ci deploys" && k.Scope == "tenant:acme" && k.ReadOnly {
			id = k.ID
		}
	}
	if id == "" {
		t.Fatalf("no such key in %+v", keys)
	}
	row := regexp.MustCompile(`(?s)<td>ci deploys</td>.*?</tr>`)
	waitFor(t, "the key's last use on the list", func() bool {
		r := row.FindString(b.get("/ui/t/default/api-keys").body)
		return strings.Count(r, ">never<") == 1 && strings.Count(r, " UTC<") == 2 // created, last used; expires never
	})
	must(t, b.get("/ui/t/default/api-keys/"+id+"/revoke"), http.StatusOK)
	must(t, b.post("/ui/t/default/api-keys/"+id+"/revoke", nil, true), http.StatusSeeOther)
	if _, err := h.admin.GetAPIKey(context.Background(), id); hookd.ErrorCode(err) != hookd.ENOTFOUND {
		t.Errorf("revoked key: %v", err)
	}
	bad := b.post("/ui/t/default/api-keys", url.Values{"name": {""}, "scope": {"admin"}}, true)
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "/name") {
		t.Errorf("empty name: %d", bad.status)
	}
	testKeyScreensRefused(t, h, id)
}

// testKeyScreensRefused checks that read-only and tenant keys cannot
// change API keys, and that tenant keys do not see them.
func testKeyScreensRefused(t *testing.T, h *harness, id string) {
	ro := h.browser()
	ro.signIn(h.newKey(hookd.ScopeAdmin, true))
	p := must(t, ro.get("/ui/t/default/api-keys"), http.StatusOK)
	if strings.Contains(p.body, ">Revoke<") || strings.Contains(p.body, "Create key") {
		t.Error("a read-only key is offered key changes")
	}
	must(t, ro.post("/ui/t/default/api-keys", url.Values{"name": {"x"}, "scope": {"admin"}}, true), http.StatusForbidden)
	tenant := h.browser()
	tenant.signIn(h.newKey(hookd.TenantScope("acme"), false))
	if p := must(t, tenant.get("/ui/t/acme/endpoints"), http.StatusOK); strings.Contains(p.body, "API keys") || strings.Contains(p.body, "Sources") {
		t.Error("a tenant key sees admin nav links")
	}
	for _, path := range []string{"/ui/t/acme/api-keys", "/ui/t/acme/sources", "/ui/t/acme/api-keys/" + id + "/revoke"} {
		must(t, tenant.get(path), http.StatusNotFound)
	}
	must(t, tenant.post("/ui/t/acme/api-keys", url.Values{"name": {"x"}, "scope": {"admin"}}, true), http.StatusForbidden)
}

func TestEventTypesScreen(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.putTenant("acme")
	b := h.browser()
	b.signIn(h.key)
	must(t, b.get("/ui/t/default/new-event-type"), http.StatusOK)
	form := url.Values{"name": {"invoice.paid"}, "group": {"billing"}, "description": {"An invoice was paid"},
		"schema": {`{"type":"object","required":["amount"]}`}, "examples": {`[{"amount": 5}]`}}
	p := must(t, b.post("/ui/t/default/event-types", form, true), http.StatusSeeOther)
	if p.location != "/ui/t/default/event-types/invoice.paid?done=saved" {
		t.Errorf("Location = %q", p.location)
	}
	detail := must(t, b.get("/ui/t/default/event-types/invoice.paid"), http.StatusOK)
	for _, want := range []string{"billing", "An invoice was paid", "&#34;required&#34;", "&#34;amount&#34;: 5"} {
		if !strings.Contains(detail.body, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	edit := must(t, b.get("/ui/t/default/event-types/invoice.paid/edit"), http.StatusOK)
	if !strings.Contains(edit.body, `value="billing"`) {
		t.Errorf("edit form not filled")
	}
	must(t, b.post("/ui/t/default/event-types/invoice.paid/edit", url.Values{"group": {"money"}, "deprecated": {"1"},
		"schema": {""}, "examples": {"[]"}}, true), http.StatusSeeOther)
	et, err := h.admin.GetEventType(context.Background(), "invoice.paid")
	if err != nil || et.Group != "money" || !et.Deprecated || len(et.Schema) != 0 && string(et.Schema) != "null" {
		t.Errorf("after edit: %+v %s, %v", et, et.Schema, err)
	}
	bad := b.post("/ui/t/default/event-types", url.Values{"name": {"x.y"}, "schema": {"{not json"}}, true)
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "Schema must be JSON") || !strings.Contains(bad.body, "{not json") {
		t.Errorf("bad schema: %d", bad.status)
	}
	if list := must(t, b.get("/ui/t/default/event-types"), http.StatusOK); !strings.Contains(list.body, "invoice.paid") {
		t.Error("list lacks the type")
	}

	portal := h.openPortal("acme", "manage_endpoints")
	p = must(t, portal.get("/ui/t/acme/event-types"), http.StatusOK)
	if !strings.Contains(p.body, "invoice.paid") || strings.Contains(p.body, "New event type") {
		t.Error("the portal does not see the catalog, or may change it")
	}
	must(t, portal.get("/ui/t/acme/new-event-type"), http.StatusForbidden)
	must(t, portal.post("/ui/t/acme/event-types", form, true), http.StatusForbidden)
}

func TestSourcesScreen(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	if _, err := h.admin.CreateSource(ctx, httpapi.Source{ID: "github", Description: "GitHub pushes",
		Spec: json.RawMessage(`{"verify":[{"provider":"github","secret":"gh-s3cret"}]}`)}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	accepted := &hookd.Request{ID: hookd.NewID(hookd.PrefixRequest), SourceID: "github", ReceivedAt: now, Method: "POST",
		Path: "/in/github", Status: 200, Accepted: true, RemoteIP: "192.0.2.7"}
	rejected := &hookd.Request{ID: hookd.NewID(hookd.PrefixRequest), SourceID: "github", ReceivedAt: now.Add(time.Millisecond),
		Method: "POST", Path: "/in/github", Status: 401, Code: "unauthorized", Reason: "bad signature", RemoteIP: "192.0.2.8"}
	if err := h.store.Commit(ctx, &hookd.Batch{Requests: []*hookd.RequestWrite{{Request: accepted}, {Request: rejected}}}); err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	b.signIn(h.key)
	list := must(t, b.get("/ui/t/default/sources"), http.StatusOK)
	if !strings.Contains(list.body, h.ts.URL+"/in/github") || !strings.Contains(list.body, "GitHub pushes") {
		t.Errorf("sources list: %s", list.body)
	}
	p := must(t, b.get("/ui/t/default/sources/github"), http.StatusOK)
	for _, want := range []string{"accepted 200", "rejected 401", "bad signature", "&#34;provider&#34;: &#34;github&#34;"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("source page lacks %q", want)
		}
	}
	if i := strings.Index(p.body, "gh-s3cret"); i >= 0 {
		t.Errorf("the source page shows its secret: %s", p.body[max(0, i-200):i+20])
	}
	if n := strings.Count(p.body, ">Replay<"); n != 1 {
		t.Errorf("%d replay buttons, want 1 (accepted requests only)", n)
	}
	must(t, b.post("/ui/t/default/sources/github/requests/"+accepted.ID+"/replay", nil, true), http.StatusSeeOther)
	if h.replayed.Load() != 1 {
		t.Error("replay did not reach the API")
	}
	must(t, b.post("/ui/t/default/sources/github/requests/req_nope/replay", nil, true), http.StatusNotFound)
	must(t, b.get("/ui/t/default/sources/nope"), http.StatusNotFound)
}

package dashboard_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

var secretPattern = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]{20,}`)

// findSecret returns the first endpoint secret on a page.
func findSecret(body string) string { return secretPattern.FindString(html.UnescapeString(body)) }

// createEndpoint creates an endpoint through the form and returns its id
// and the page that showed its secret.
func (b *browser) createEndpoint(tenant, target string) (string, page) {
	b.h.t.Helper()
	must(b.h.t, b.get("/ui/t/"+tenant+"/endpoints/new"), http.StatusOK)
	p := must(b.h.t, b.post("/ui/t/"+tenant+"/endpoints", url.Values{
		"url": {target}, "description": {"orders"}, "other_event_types": {"order.*"},
		"headers": {"X-Team: billing"}, "signature_scheme": {"standard-webhooks"}, "payload": {"envelope"},
		"rate_limit": {"5"}, "max_concurrency": {"2"}, "timeout": {"10s"},
	}, true), http.StatusOK)
	m := regexp.MustCompile(`/ui/t/[^/]+/endpoints/(ep_[A-Za-z0-9_-]+)`).FindStringSubmatch(p.body)
	if m == nil {
		b.h.t.Fatalf("no endpoint link on %s", p.body)
	}
	return m[1], p
}

func TestEndpointLifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	b.signIn(h.key)
	form := must(t, b.get("/ui/t/default/endpoints/new"), http.StatusOK)
	for _, label := range []string{">URL<", ">Description<", ">Event types<", ">Custom headers<", ">Signature scheme<",
		">Payload<", ">Rate limit (requests per second)<", ">Max concurrency<", ">Create<"} {
		if !strings.Contains(form.body, label) {
			t.Errorf("new endpoint form lacks %q", label)
		}
	}
	id, shown := b.createEndpoint("default", h.recv.URL)
	secret := findSecret(shown.body)
	if secret == "" {
		t.Fatalf("the secret is not shown once: %s", shown.body)
	}
	e, err := h.admin.GetEndpoint(context.Background(), "default", id)
	if err != nil {
		t.Fatal(err)
	}
	if e.Description != "orders" || e.Headers["X-Team"] != "billing" || e.RateLimit != 5 || e.MaxConcurrency != 2 ||
		len(e.EventTypes) != 1 || e.EventTypes[0] != "order.*" || !strings.HasPrefix(secret, e.SecretPrefix) {
		t.Errorf("stored endpoint = %+v", e)
	}
	detail := must(t, b.get("/ui/t/default/endpoints/"+id), http.StatusOK)
	if strings.Contains(html.UnescapeString(detail.body), secret) {
		t.Error("the detail page shows the secret again")
	}
	list := must(t, b.get("/ui/t/default/endpoints"), http.StatusOK)
	if !strings.Contains(list.body, h.recv.URL) || !strings.Contains(list.body, "enabled") {
		t.Errorf("list lacks the endpoint: %s", list.body)
	}
	testSendAndFail(t, b, id)
	testEditAndToggle(t, b, id)
	testDelete(t, b, id)
}

func testSendAndFail(t *testing.T, b *browser, id string) {
	h := b.h
	b.get("/ui/t/default/endpoints/" + id)
	p := must(t, b.post("/ui/t/default/endpoints/"+id+"/test", nil, true), http.StatusSeeOther)
	if !strings.HasPrefix(p.location, "/ui/t/default/endpoints/"+id+"?done=test&test=evt_") {
		t.Errorf("Location = %q", p.location)
	}
	waitFor(t, "the test delivery to succeed on the page", func() bool {
		body := b.get("/ui/t/default/endpoints/" + id).body
		return strings.Contains(body, `<span class="status succeeded">succeeded</span>`) && strings.Contains(body, ">200<")
	})
	h.recv.status.Store(http.StatusInternalServerError)
	b.post("/ui/t/default/endpoints/"+id+"/test", nil, true)
	waitFor(t, "the failed attempt on the page", func() bool {
		return strings.Contains(b.get("/ui/t/default/endpoints/"+id).body, ">500<")
	})
	h.recv.status.Store(http.StatusOK)
	p = must(t, b.post("/ui/t/default/endpoints/"+id+"/recover", url.Values{"since": {"2020-01-01T00:00"}}, true), http.StatusSeeOther)
	waitFor(t, "the recovered delivery to succeed", func() bool {
		ds, _, err := h.admin.ListDeliveries(context.Background(), "default", httpapi.DeliveryListOptions{
			DeliveryFilter: httpapi.DeliveryFilter{EndpointID: id, Status: []httpapi.DeliveryStatus{"succeeded"}}})
		return err == nil && len(ds) == 2
	})
	rot := must(t, b.post("/ui/t/default/endpoints/"+id+"/rotate-secret", nil, true), http.StatusOK)
	rev := must(t, b.post("/ui/t/default/endpoints/"+id+"/reveal-secret", nil, true), http.StatusOK)
	if s := findSecret(rot.body); s == "" || s != findSecret(rev.body) {
		t.Errorf("rotated secret %q, revealed %q", s, findSecret(rev.body))
	}
	bad := must(t, b.post("/ui/t/default/endpoints/"+id+"/recover", url.Values{"since": {"yesterday"}}, true), http.StatusUnprocessableEntity)
	if !strings.Contains(bad.body, "Recover failed since must be a date") {
		t.Errorf("bad since: %s", bad.body)
	}
}

func testEditAndToggle(t *testing.T, b *browser, id string) {
	h := b.h
	edit := must(t, b.get("/ui/t/default/endpoints/"+id+"/edit"), http.StatusOK)
	if !strings.Contains(edit.body, "X-Team: billing") || !strings.Contains(edit.body, `value="order.*"`) {
		t.Errorf("edit form is not filled: %s", edit.body)
	}
	p := b.post("/ui/t/default/endpoints/"+id+"/edit", url.Values{"url": {h.recv.URL + "/v2"}, "description": {"v2"},
		"signature_scheme": {"standard-webhooks"}, "payload": {"raw"}}, true)
	must(t, p, http.StatusSeeOther)
	e, _ := h.admin.GetEndpoint(context.Background(), "default", id)
	if e.URL != h.recv.URL+"/v2" || e.Description != "v2" || len(e.Headers) != 0 || e.Payload.Kind != "raw" || e.RateLimit != 0 {
		t.Errorf("after edit: %+v", e)
	}
	testShapeFields(t, b, id)
	bad := b.post("/ui/t/default/endpoints/"+id+"/edit", url.Values{"url": {"not a url"}, "headers": {"X-Ok: 1"}}, true)
	must(t, bad, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.body, "/url") || !strings.Contains(bad.body, "X-Ok: 1") {
		t.Errorf("the form does not show the API's problem with what was typed: %s", bad.body)
	}
	must(t, b.post("/ui/t/default/endpoints/"+id+"/disable", nil, true), http.StatusSeeOther)
	if e, _ := h.admin.GetEndpoint(context.Background(), "default", id); e.Enabled {
		t.Error("still enabled")
	}
	if body := b.get("/ui/t/default/endpoints/" + id).body; !strings.Contains(body, "status disabled") || !strings.Contains(body, ">Enable<") {
		t.Errorf("disabled endpoint page: %s", body)
	}
	must(t, b.post("/ui/t/default/endpoints/"+id+"/enable", nil, true), http.StatusSeeOther)
	if e, _ := h.admin.GetEndpoint(context.Background(), "default", id); !e.Enabled {
		t.Error("not enabled again")
	}
}

func testDelete(t *testing.T, b *browser, id string) {
	confirm := must(t, b.get("/ui/t/default/endpoints/"+id+"/delete"), http.StatusOK)
	if !strings.Contains(confirm.body, ">Delete endpoint<") {
		t.Errorf("confirmation: %s", confirm.body)
	}
	must(t, b.post("/ui/t/default/endpoints/"+id+"/delete", nil, true), http.StatusSeeOther)
	if _, err := b.h.admin.GetEndpoint(context.Background(), "default", id); hookd.ErrorCode(err) != hookd.ENOTFOUND {
		t.Errorf("after delete: %v", err)
	}
	must(t, b.get("/ui/t/default/endpoints/"+id), http.StatusNotFound)
}

// postRoutes are every state-changing route of the endpoint screens.
func postRoutes(id string) []string {
	base := "/ui/t/default/endpoints"
	return []string{base, base + "/" + id + "/edit", base + "/" + id + "/enable", base + "/" + id + "/disable",
		base + "/" + id + "/delete", base + "/" + id + "/test", base + "/" + id + "/rotate-secret",
		base + "/" + id + "/reveal-secret", base + "/" + id + "/recover", "/ui/signout"}
}

func TestEveryFormNeedsTheCSRFToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	b.signIn(h.key)
	id, _ := b.createEndpoint("default", h.recv.URL)
	others := []string{"/ui/t/default/deliveries/retry", "/ui/t/default/events/evt_x/retry",
		"/ui/t/default/events/evt_x/deliveries/dlv_x/retry", "/ui/t/default/api-keys",
		"/ui/t/default/api-keys/key_x/revoke", "/ui/t/default/sources/s/requests/req_x/replay",
		"/ui/t/default/event-types", "/ui/t/default/event-types/a.b/edit"}
	for _, path := range append(postRoutes(id), others...) {
		for _, token := range []string{"", "forged"} {
			p := b.post(path, url.Values{"csrf": {token}, "url": {h.recv.URL}, "since": {"2020-01-01T00:00"}}, false)
			if p.status != http.StatusForbidden || !strings.Contains(p.body, "security token") {
				t.Errorf("POST %s with csrf %q = %d", path, token, p.status)
			}
		}
	}
	if eps := h.endpoints("default"); len(eps) != 1 || !eps[0].Enabled || eps[0].URL != h.recv.URL {
		t.Errorf("a refused form changed something: %+v", eps)
	}
	if h.recv.got.Load() != 0 {
		t.Error("a refused form sent a test event")
	}
	if keys, _, _ := h.admin.ListAPIKeys(context.Background(), httpapi.ListOptions{}); len(keys) != 1 {
		t.Errorf("a refused form created an API key: %d keys", len(keys))
	}
	must(t, b.get("/ui/t/default/endpoints"), http.StatusOK) // still signed in
}

func TestReadOnlyKeySeesNoButtonsAndIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	admin := h.browser()
	admin.signIn(h.key)
	id, _ := admin.createEndpoint("default", h.recv.URL)
	b := h.browser()
	b.signIn(h.newKey(hookd.ScopeAdmin, true))
	for _, path := range []string{"/ui/t/default/endpoints", "/ui/t/default/endpoints/" + id} {
		p := must(t, b.get(path), http.StatusOK)
		if n := strings.Count(p.body, `method="post"`); n != 1 { // sign out only
			t.Errorf("%s: %d POST forms for a read-only key", path, n)
		}
		for _, label := range []string{"New endpoint", "Send test event", "Rotate secret", ">Edit<", ">Delete<", ">Disable<"} {
			if strings.Contains(p.body, label) {
				t.Errorf("%s shows %q to a read-only key", path, label)
			}
		}
	}
	must(t, b.get("/ui/t/default/endpoints/new"), http.StatusForbidden)
	must(t, b.get("/ui/t/default/endpoints/"+id+"/edit"), http.StatusForbidden)
	for _, path := range postRoutes(id) {
		if path == "/ui/signout" {
			continue
		}
		p := b.post(path, url.Values{"url": {h.recv.URL}, "since": {"2020-01-01T00:00"}}, true)
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "read-only") {
			t.Errorf("POST %s by a read-only key = %d", path, p.status)
		}
	}
	if eps := h.endpoints("default"); len(eps) != 1 || !eps[0].Enabled {
		t.Errorf("a read-only key changed something: %+v", eps)
	}
}

func TestTenantKeySeesOnlyItsTenant(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.putTenant("acme")
	h.putTenant("globex")
	admin := h.browser()
	admin.signIn(h.key)
	other, _ := admin.createEndpoint("globex", h.recv.URL)
	if p := must(t, admin.get("/ui/t/globex/endpoints"), http.StatusOK); !strings.Contains(p.body, `id="tenant-switch"`) {
		t.Error("an admin has no tenant switcher")
	}
	if p := admin.get("/ui/switch?tenant=acme"); p.location != "/ui/t/acme/endpoints" {
		t.Errorf("switch: %d %q", p.status, p.location)
	}

	b := h.browser()
	if p := b.signIn(h.newKey(hookd.TenantScope("acme"), false)); p.location != "/ui/t/acme/endpoints" {
		t.Errorf("tenant key lands on %q", p.location)
	}
	p := must(t, b.get("/ui/t/acme/endpoints"), http.StatusOK)
	if strings.Contains(p.body, "tenant-switch") || strings.Contains(p.body, "globex") {
		t.Error("a tenant key sees other tenants")
	}
	for _, path := range []string{"/ui/t/globex/endpoints", "/ui/t/globex/endpoints/" + other, "/ui/t/globex/endpoints/new",
		"/ui/t/acme/endpoints/" + other, "/ui/switch?tenant=globex"} {
		if p := b.get(path); p.status != http.StatusNotFound || strings.Contains(p.body, h.recv.URL) {
			t.Errorf("GET %s by another tenant's key = %d", path, p.status)
		}
	}
	for _, path := range postRoutes(other)[1:9] {
		path = strings.Replace(path, "/t/default/", "/t/globex/", 1)
		if p := b.post(path, url.Values{"since": {"2020-01-01T00:00"}}, true); p.status != http.StatusNotFound {
			t.Errorf("POST %s by another tenant's key = %d", path, p.status)
		}
	}
	if eps := h.endpoints("globex"); len(eps) != 1 || !eps[0].Enabled || h.recv.got.Load() != 0 {
		t.Errorf("another tenant's key changed globex: %+v", eps)
	}
}

func TestUnknownPageIsNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	p := must(t, b.get("/ui/nope"), http.StatusNotFound)
	if !strings.Contains(p.body, "there is no page at /ui/nope") {
		t.Errorf("body: %s", p.body)
	}
	b.signIn(h.key)
	must(t, b.get("/ui/t/nobody/endpoints"), http.StatusNotFound)
}

// testShapeFields sets a template, a transform and a filter through the
// form, reads them back on the edit form, and clears them again.
func testShapeFields(t *testing.T, b *browser, id string) {
	h := b.h
	form := url.Values{"url": {h.recv.URL + "/v2"}, "signature_scheme": {"standard-webhooks"}, "payload": {"template"},
		"template":  {`{"id":"{{event.id}}","kind":"{{event.type}}"}`},
		"transform": {"function handler(w) { return w }"}, "filter": {`event.type != "x"`}}
	must(t, b.post("/ui/t/default/endpoints/"+id+"/edit", form, true), http.StatusSeeOther)
	e, _ := h.admin.GetEndpoint(context.Background(), "default", id)
	if e.Payload.Kind != "template" || string(e.Payload.Template) != `{"id":"{{event.id}}","kind":"{{event.type}}"}` ||
		e.Transform == "" || e.Filter != `event.type != "x"` {
		t.Errorf("after setting a template, transform and filter: %+v", e)
	}
	if body := must(t, b.get("/ui/t/default/endpoints/"+id+"/edit"), http.StatusOK).body; !strings.Contains(body, "function handler(w)") {
		t.Errorf("the edit form does not show the transform: %s", body)
	}
	form.Set("template", "{not json")
	bad := b.post("/ui/t/default/endpoints/"+id+"/edit", form, true)
	must(t, bad, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.body, "Template must be a JSON value") {
		t.Errorf("a bad template: %s", bad.body)
	}
	form = url.Values{"url": {h.recv.URL + "/v2"}, "signature_scheme": {"standard-webhooks"}, "payload": {"raw"}}
	must(t, b.post("/ui/t/default/endpoints/"+id+"/edit", form, true), http.StatusSeeOther)
	if e, _ := h.admin.GetEndpoint(context.Background(), "default", id); e.Transform != "" || e.Filter != "" || e.Payload.Kind != "raw" {
		t.Errorf("after clearing them: %+v", e)
	}
}

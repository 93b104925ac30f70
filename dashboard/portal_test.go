package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// openPortal creates a portal link for tenant and opens it in a new
// browser, as portal.js does.
func (h *harness) openPortal(tenant string, caps ...string) *browser {
	h.t.Helper()
	link, err := h.admin.CreatePortalLink(context.Background(), tenant, caps, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	_, token, ok := strings.Cut(link.URL, "#token=")
	if !ok || !strings.HasPrefix(link.URL, h.ts.URL+"/ui/portal#") {
		h.t.Fatalf("portal url = %q", link.URL)
	}
	b := h.browser()
	must(h.t, b.get("/ui/portal"), http.StatusOK)
	p := must(h.t, b.post("/ui/portal", url.Values{"token": {token}}, true), http.StatusSeeOther)
	if p.location != "/ui/t/"+tenant+"/endpoints" {
		h.t.Fatalf("portal lands on %q", p.location)
	}
	must(h.t, b.get(p.location), http.StatusOK) // and its forms' token
	return b
}

func TestPortalLinkWorksOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.putTenant("acme")
	link, err := h.admin.CreatePortalLink(context.Background(), "acme", nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, token, _ := strings.Cut(link.URL, "#token=")
	b := h.browser()
	page := must(t, b.get("/ui/portal"), http.StatusOK)
	if !strings.Contains(page.body, `src="/ui/static/portal.js"`) || strings.Contains(page.body, token) {
		t.Error("the portal page does not load its script, or shows the token")
	}
	must(t, b.post("/ui/portal", url.Values{"token": {token}}, false), http.StatusForbidden) // no form token
	must(t, b.post("/ui/portal", url.Values{"token": {token}}, true), http.StatusSeeOther)
	p := must(t, b.get("/ui/t/acme/endpoints"), http.StatusOK)
	if !strings.Contains(p.body, `<span class="badge">portal</span>`) || strings.Contains(p.body, "tenant-switch") {
		t.Errorf("portal page: %s", p.body)
	}
	again := h.browser()
	again.get("/ui/portal")
	if p := again.post("/ui/portal", url.Values{"token": {token}}, true); p.status != http.StatusNotFound ||
		!strings.Contains(p.body, "used already") {
		t.Errorf("second use = %d %s", p.status, p.body)
	}
	must(t, again.get("/ui/t/acme/endpoints"), http.StatusSeeOther)
	js := must(t, b.get("/ui/static/portal.js"), http.StatusOK)
	if !strings.Contains(js.body, "replaceState") {
		t.Error("portal.js does not drop the token from the address bar")
	}
}

func TestPortalCapabilities(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.putTenant("acme")
	admin := h.browser()
	admin.signIn(h.key)
	id, _ := admin.createEndpoint("acme", h.recv.URL)

	view := h.openPortal("acme")
	p := must(t, view.get("/ui/t/acme/endpoints/"+id), http.StatusOK)
	if n := strings.Count(p.body, `method="post"`); n != 1 || strings.Contains(p.body, "New endpoint") {
		t.Errorf("a view-only portal sees %d forms", n)
	}
	for path, want := range map[string]string{"/test": "send tests", "/disable": "manage endpoints",
		"/reveal-secret": "view secrets", "/recover": "retry"} {
		r := view.post("/ui/t/acme/endpoints/"+id+path, url.Values{"since": {"2020-01-01T00:00"}}, true)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "does not allow "+want) {
			t.Errorf("view-only portal POST %s = %d", path, r.status)
		}
	}
	must(t, view.get("/ui/t/acme/endpoints/new"), http.StatusForbidden)

	tests := h.openPortal("acme", "send_tests")
	p = must(t, tests.get("/ui/t/acme/endpoints/"+id), http.StatusOK)
	if !strings.Contains(p.body, ">Send test event<") || strings.Contains(p.body, ">Rotate secret<") || strings.Contains(p.body, ">Reveal secret<") {
		t.Error("a send_tests portal sees the wrong buttons")
	}
	must(t, tests.post("/ui/t/acme/endpoints/"+id+"/test", nil, true), http.StatusSeeOther)
	waitFor(t, "the portal's test event", func() bool { return h.recv.got.Load() == 1 })
	must(t, tests.post("/ui/t/acme/endpoints/"+id+"/rotate-secret", nil, true), http.StatusForbidden)

	manage := h.openPortal("acme", "manage_endpoints", "view_secrets")
	must(t, manage.post("/ui/t/acme/endpoints/"+id+"/disable", nil, true), http.StatusSeeOther)
	if findSecret(must(t, manage.post("/ui/t/acme/endpoints/"+id+"/reveal-secret", nil, true), http.StatusOK).body) == "" {
		t.Error("view_secrets does not reveal the secret")
	}
	newID, _ := manage.createEndpoint("acme", h.recv.URL+"/two")
	if len(h.endpoints("acme")) != 2 || newID == "" {
		t.Error("manage_endpoints did not create an endpoint")
	}
}

// TestPortalCannotReachAnotherTenant tries every dashboard URL, read and
// change, of another tenant's data from a portal with every capability.
func TestPortalCannotReachAnotherTenant(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.putTenant("acme")
	h.putTenant("globex")
	admin := h.browser()
	admin.signIn(h.key)
	ep, _ := admin.createEndpoint("globex", h.recv.URL+"/globex")
	h.recv.status.Store(http.StatusInternalServerError)
	ev, err := h.admin.Publish(context.Background(), "globex", "order.created", json.RawMessage(`{"secret":"globex-data"}`))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "globex's failed delivery", func() bool {
		d, err := h.admin.GetEvent(context.Background(), "globex", ev.ID)
		return err == nil && len(d.Deliveries) == 1 && d.Deliveries[0].Status == "failed"
	})
	got := h.recv.got.Load()
	b := h.openPortal("acme", "manage_endpoints", "view_secrets", "send_tests", "retry")

	for _, tenant := range []string{"globex", "acme"} { // globex's ids under both tenants' paths
		base := "/ui/t/" + tenant
		for _, path := range []string{base + "/endpoints", base + "/endpoints/" + ep, base + "/endpoints/" + ep + "/edit",
			base + "/endpoints/" + ep + "/delete", base + "/deliveries?endpoint_id=" + ep, base + "/events/" + ev.ID,
			base + "/deliveries/retry?endpoint_id=" + ep, "/ui/switch?tenant=globex"} {
			p := b.get(path)
			leak := strings.Contains(p.body, "globex-data") || strings.Contains(p.body, h.recv.URL+"/globex") || strings.Contains(p.body, ev.ID+"<")
			if (tenant == "globex" && p.status != http.StatusNotFound) || leak {
				t.Errorf("GET %s from acme's portal = %d (leak %v)", path, p.status, leak)
			}
		}
		for _, path := range []string{base + "/endpoints", base + "/endpoints/" + ep + "/edit", base + "/endpoints/" + ep + "/disable",
			base + "/endpoints/" + ep + "/delete", base + "/endpoints/" + ep + "/test", base + "/endpoints/" + ep + "/rotate-secret",
			base + "/endpoints/" + ep + "/reveal-secret", base + "/endpoints/" + ep + "/recover", base + "/events/" + ev.ID + "/retry",
			base + "/deliveries/retry"} {
			p := b.post(path, url.Values{"url": {h.recv.URL + "/evil"}, "since": {"2020-01-01T00:00"}, "endpoint_id": {ep}}, true)
			if p.status != http.StatusNotFound && !(tenant == "acme" && path == base+"/endpoints") &&
				!(tenant == "acme" && path == base+"/deliveries/retry") {
				t.Errorf("POST %s from acme's portal = %d", path, p.status)
			}
		}
	}
	e, err := h.admin.GetEndpoint(context.Background(), "globex", ep)
	if err != nil || !e.Enabled || e.URL != h.recv.URL+"/globex" {
		t.Errorf("globex's endpoint changed: %+v, %v", e, err)
	}
	d, _ := h.admin.GetEvent(context.Background(), "globex", ev.ID)
	if d.Deliveries[0].Status != "failed" || d.Deliveries[0].AttemptCount != 1 || h.recv.got.Load() != got {
		t.Errorf("globex's delivery was retried or tested: %+v", d.Deliveries[0])
	}
	// The bulk retry acme's portal could start selects acme's deliveries only.
	if ds, _, _ := h.admin.ListDeliveries(context.Background(), "globex", deliveryFilterOf(ep)); len(ds) != 1 || ds[0].AttemptCount != 1 {
		t.Errorf("globex deliveries: %+v", ds)
	}
}

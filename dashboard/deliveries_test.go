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

	"github.com/hookd/hookd/httpapi"
)

// failedDelivery creates an endpoint whose receiver fails, publishes one
// event to it and waits for its failed attempt; it returns the endpoint
// and event ids.
func failedDelivery(t *testing.T, h *harness, b *browser) (string, string) {
	t.Helper()
	id, _ := b.createEndpoint("default", h.recv.URL)
	if _, err := h.admin.PatchEndpoint(context.Background(), "default", id,
		map[string]any{"headers": map[string]string{"Authorization": "Bearer s3cr3t-token"}}); err != nil {
		t.Fatal(err)
	}
	h.recv.status.Store(http.StatusInternalServerError)
	ev, err := h.admin.Publish(context.Background(), "default", "order.created", json.RawMessage(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failed attempt", func() bool {
		d, err := h.admin.GetEvent(context.Background(), "default", ev.ID)
		return err == nil && len(d.Deliveries) == 1 && d.Deliveries[0].Status == "failed"
	})
	return id, ev.ID
}

func TestEventPageAndRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	b.signIn(h.key)
	_, evID := failedDelivery(t, h, b)
	p := must(t, b.get("/ui/t/default/events/"+evID), http.StatusOK)
	for _, want := range []string{"order.created", `&#34;n&#34;: 1`, "status failed", `<span class="code">500</span>`, ">Retry<", "Webhook-Signature"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("event page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "s3cr3t-token") {
		t.Error("the event page shows a credential header")
	}
	d, err := h.admin.GetEvent(context.Background(), "default", evID)
	if err != nil || d.Payload == "" {
		t.Fatalf("GetEvent = %+v, %v", d, err)
	}
	if !strings.Contains(p.body, `<pre class="body">`+html.EscapeString(d.Payload)+"</pre>") {
		t.Errorf("the event page does not show the exact body %s", d.Payload)
	}
	for k, v := range d.Deliveries[0].Attempts[0].RequestHeaders {
		if strings.Contains(strings.ToLower(k), "signature") && strings.Contains(p.body, v) {
			t.Errorf("the event page shows the signature %s: %s", k, v)
		}
	}
	h.recv.status.Store(http.StatusOK)
	r := must(t, b.post("/ui/t/default/events/"+evID+"/retry", nil, true), http.StatusSeeOther)
	if r.location != "/ui/t/default/events/"+evID+"?done=retried" {
		t.Errorf("Location = %q", r.location)
	}
	waitFor(t, "the retried delivery to succeed on the page", func() bool {
		return strings.Contains(b.get("/ui/t/default/events/"+evID).body, "status succeeded")
	})
	again := b.post("/ui/t/default/events/"+evID+"/retry", nil, true)
	must(t, again, http.StatusConflict)
}

func TestDeliveriesFilterAndPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	b.signIn(h.key)
	id, evID := failedDelivery(t, h, b)
	h.recv.status.Store(http.StatusOK)
	for i := 0; i < 55; i++ {
		if _, err := h.admin.Publish(context.Background(), "default", "order.paid", json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	failed := must(t, b.get("/ui/t/default/deliveries?status=failed&status=dead"), http.StatusOK)
	if strings.Count(failed.body, "/ui/t/default/events/") != 1 || !strings.Contains(failed.body, evID) {
		t.Errorf("failed filter: %s", failed.body)
	}
	first := must(t, b.get("/ui/t/default/deliveries?event_type=order.paid&endpoint_id="+id), http.StatusOK)
	if n := strings.Count(first.body, `<span class="status `); n != 50 {
		t.Errorf("first page shows %d deliveries, want 50", n)
	}
	m := regexp.MustCompile(`href="/ui/t/default/deliveries\?([^"]*cursor[^"]*)">Next page`).FindStringSubmatch(first.body)
	if m == nil {
		t.Fatal("no next page link")
	}
	q, _ := url.ParseQuery(html.UnescapeString(m[1]))
	if q.Get("event_type") != "order.paid" || q.Get("endpoint_id") != id || q.Get("cursor") == "" {
		t.Errorf("next page link drops the filter: %v", q)
	}
	second := must(t, b.get("/ui/t/default/deliveries?"+q.Encode()), http.StatusOK)
	if n := strings.Count(second.body, `<span class="status `); n != 5 || strings.Contains(second.body, "Next page") {
		t.Errorf("second page shows %d deliveries", n)
	}
	bad := b.get("/ui/t/default/deliveries?since=yesterday")
	must(t, bad, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.body, "From must be a date") {
		t.Errorf("bad date: %s", bad.body)
	}
	live := must(t, b.get("/ui/t/default/deliveries?live=1&status=failed"), http.StatusOK)
	if !strings.Contains(live.body, `hx-trigger="every 3s"`) || !strings.Contains(live.body, "Live tail: on") {
		t.Error("live tail does not poll")
	}
}

func TestBulkRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	b.signIn(h.key)
	id, _ := failedDelivery(t, h, b)
	for i := 0; i < 2; i++ {
		if _, err := h.admin.Publish(context.Background(), "default", "order.created", json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three failed deliveries", func() bool {
		ds, _, err := h.admin.ListDeliveries(context.Background(), "default", httpapi.DeliveryListOptions{
			DeliveryFilter: httpapi.DeliveryFilter{Status: []httpapi.DeliveryStatus{"failed"}}})
		return err == nil && len(ds) == 3
	})
	h.recv.status.Store(http.StatusOK)
	c := must(t, b.get("/ui/t/default/deliveries/retry?endpoint_id="+id), http.StatusOK)
	if !strings.Contains(c.body, "3 failed or dead deliveries match") || !strings.Contains(c.body, ">Retry 3 deliveries<") {
		t.Fatalf("confirmation: %s", c.body)
	}
	p := must(t, b.post("/ui/t/default/deliveries/retry", url.Values{"endpoint_id": {id}}, true), http.StatusSeeOther)
	if !strings.HasPrefix(p.location, "/ui/t/default/retries/") {
		t.Fatalf("Location = %q", p.location)
	}
	waitFor(t, "the bulk retry to finish", func() bool {
		body := b.get(p.location).body
		return strings.Contains(body, "status succeeded") && strings.Contains(body, "3 of 3 deliveries")
	})
	none := must(t, b.get("/ui/t/default/deliveries/retry?endpoint_id=ep_none"), http.StatusOK)
	if !strings.Contains(none.body, "nothing to retry") || strings.Contains(none.body, `method="post" action="/ui/t/default/deliveries/retry"`) {
		t.Error("an empty filter offers a retry")
	}
	ro := h.browser()
	ro.signIn(h.newKey("admin", true))
	list := must(t, ro.get("/ui/t/default/deliveries"), http.StatusOK)
	if strings.Contains(list.body, "Retry failed deliveries") {
		t.Error("a read-only key is offered a bulk retry")
	}
	must(t, ro.post("/ui/t/default/deliveries/retry", nil, true), http.StatusForbidden)
}

func TestEventPageShowsRawEndpointBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	b.signIn(h.key)
	id, _ := b.createEndpoint("default", h.recv.URL)
	if _, err := h.admin.PatchEndpoint(context.Background(), "default", id, map[string]any{"payload": "raw"}); err != nil {
		t.Fatal(err)
	}
	ev, err := h.admin.Publish(context.Background(), "default", "order.created", json.RawMessage(`{"n":7,"s":"q"}`))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery to succeed", func() bool {
		d, err := h.admin.GetEvent(context.Background(), "default", ev.ID)
		return err == nil && len(d.Deliveries) == 1 && d.Deliveries[0].Status == "succeeded"
	})
	p := must(t, b.get("/ui/t/default/events/"+ev.ID), http.StatusOK)
	if !strings.Contains(p.body, `<pre class="body">`+html.EscapeString(`{"n":7,"s":"q"}`)+"</pre>") {
		t.Errorf("the event page does not show the data a raw endpoint sends: %s", p.body)
	}
}

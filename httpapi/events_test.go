package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/signature"
)

func TestPublishDeliversSignedEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	ep := h.createEndpoint("default", httpapi.EndpointInput{EventTypes: []string{"invoice.*"}})

	ev, err := h.client.Publish(ctx, "default", "invoice.paid", map[string]any{"amount": 42})
	if err != nil || !strings.HasPrefix(ev.ID, "evt_") || ev.Tenant != "default" || ev.Type != "invoice.paid" ||
		string(ev.Data) != `{"amount":42}` || ev.CreatedAt.IsZero() {
		t.Fatalf("Publish = %+v, %v", ev, err)
	}
	got := h.waitReceived(ev.ID)
	v, err := signature.NewVerifier(ep.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(got.header, got.body); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	if !strings.Contains(string(got.body), `"data":{"amount":42}`) {
		t.Errorf("body = %s", got.body)
	}

	var detail *httpapi.EventDetail
	waitFor(t, "the delivery to succeed", func() bool {
		detail, err = h.client.GetEvent(ctx, "default", ev.ID)
		return err == nil && len(detail.Deliveries) == 1 && detail.Deliveries[0].Status == hookd.StatusSucceeded
	})
	if detail.Payload != string(got.body) || detail.ContentType != "application/json" {
		t.Errorf("payload = %q (%s), the endpoint got %q", detail.Payload, detail.ContentType, got.body)
	}
	d := detail.Deliveries[0]
	if d.EndpointID != ep.ID || d.AttemptCount != 1 || len(d.Attempts) != 1 || d.NextAttemptAt != nil || d.LastAttemptAt == nil {
		t.Fatalf("delivery = %+v", d)
	}
	a := d.Attempts[0]
	if a.ResponseStatus != http.StatusNoContent || a.Number != 1 || a.DeliveryID != d.ID || a.URL != ep.URL ||
		a.RequestHeaders["webhook-id"] == "" && a.RequestHeaders["Webhook-Id"] == "" {
		t.Fatalf("attempt = %+v", a)
	}
	t.Run("raw detail has deliveries and attempts arrays", func(t *testing.T) {
		var raw map[string]json.RawMessage
		_ = json.Unmarshal(h.do("GET", "/v1/tenants/default/events/"+ev.ID, "").body, &raw)
		for _, k := range []string{"id", "tenant", "type", "data", "created_at", "payload", "content_type", "deliveries"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("GET event lacks %q: %v", k, raw)
			}
		}
	})
	t.Run("filter skips other types", func(t *testing.T) {
		other, err := h.client.Publish(ctx, "default", "user.created", map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		detail, err := h.client.GetEvent(ctx, "default", other.ID)
		if err != nil || len(detail.Deliveries) != 0 {
			t.Fatalf("GetEvent = %+v, %v", detail, err)
		}
	})
}

func TestPublishIdempotency(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	first := decode[httpapi.Event](t, h.do("POST", "/v1/tenants/default/events",
		`{"type":"order.created","data":{"n":1},"id":"order-1"}`), http.StatusAccepted)
	again := decode[httpapi.Event](t, h.do("POST", "/v1/tenants/default/events",
		`{"type":"order.created","data":{"n":1}}`, "Idempotency-Key", "order-1"), http.StatusAccepted)
	if again.ID != first.ID || !again.CreatedAt.Equal(first.CreatedAt) || string(again.Data) != `{"n":1}` {
		t.Fatalf("replay = %+v, want %+v", again, first)
	}
	both := decode[httpapi.Event](t, h.do("POST", "/v1/tenants/default/events",
		`{"type":"order.created","data":{"n":1},"id":"order-1"}`, "Idempotency-Key", "order-1"), http.StatusAccepted)
	if both.ID != first.ID {
		t.Fatalf("same id in body and header: %s, want %s", both.ID, first.ID)
	}
	viaClient, err := h.client.Publish(ctx, "default", "order.created", map[string]int{"n": 1}, httpapi.WithIdempotencyKey("order-1"))
	if err != nil || viaClient.ID != first.ID {
		t.Fatalf("client replay = %+v, %v", viaClient, err)
	}
	problem(t, h.do("POST", "/v1/tenants/default/events", `{"type":"order.created","data":{"n":1},"id":"a"}`,
		"Idempotency-Key", "b"), http.StatusBadRequest, hookd.EMALFORMED)
	_, err = h.client.Publish(ctx, "default", "order.created", map[string]int{"n": 2}, httpapi.WithIdempotencyKey("order-1"))
	var p *httpapi.Problem
	if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity || p.Code != hookd.EMISMATCH {
		t.Fatalf("different body, same key: %v", err)
	}
	pb := problem(t, h.do("POST", "/v1/tenants/default/events", `{"type":"a.b","data":1,"id":"bad key"}`),
		http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, pb, "/id")
	pb = problem(t, h.do("POST", "/v1/tenants/default/events", `{"type":"a.b","data":1}`, "Idempotency-Key", "bad key"),
		http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, pb, "/headers/idempotency-key")
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	cases := []struct {
		name, tenant, body string
		status             int
		code, pointer      string
	}{
		{"missing data", "default", `{"type":"a.b"}`, 422, hookd.EINVALID, "/data"},
		{"null data", "default", `{"type":"a.b","data":null}`, 422, hookd.EINVALID, "/data"},
		{"missing type", "default", `{"data":{}}`, 422, hookd.EINVALID, "/type"},
		{"bad type", "default", `{"type":"a b","data":{}}`, 422, hookd.EINVALID, "/type"},
		{"type not a string", "default", `{"type":1,"data":{}}`, 422, hookd.EINVALID, "/type"},
		{"unknown field", "default", `{"type":"a.b","data":{},"extra":1}`, 422, hookd.EINVALID, "/extra"},
		{"unknown tenant", "nope", `{"type":"a.b","data":{}}`, 404, hookd.ENOTFOUND, ""},
		{"malformed", "default", `{"type":"a.b","data":{]}`, 400, hookd.EMALFORMED, ""},
		{"no body", "default", ``, 400, hookd.EMALFORMED, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := problem(t, h.do("POST", "/v1/tenants/"+tc.tenant+"/events", tc.body), tc.status, tc.code)
			if tc.pointer != "" {
				hasPointer(t, p, tc.pointer)
			}
		})
	}
	problem(t, h.do("GET", "/v1/tenants/default/events/evt_nope", ""), http.StatusNotFound, hookd.ENOTFOUND)
	problem(t, h.do("POST", "/v1/tenants/default/events/evt_nope/retry", ""), http.StatusNotFound, hookd.ENOTFOUND)
	problem(t, h.do("GET", "/v1/tenants/nope/events", ""), http.StatusNotFound, hookd.ENOTFOUND)
}

func TestEventListing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	var ids []string
	for i := range 7 {
		typ := "a.x"
		if i%2 == 1 {
			typ = "b.y"
		}
		ev, err := h.client.Publish(ctx, "default", typ, map[string]int{"i": i})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	walked, sizes := walkEvents(t, h, 3)
	var newestFirst []string
	for i := len(ids) - 1; i >= 0; i-- {
		newestFirst = append(newestFirst, ids[i])
	}
	if fmt.Sprint(sizes) != "[3 3 1]" || fmt.Sprint(walked) != fmt.Sprint(newestFirst) {
		t.Fatalf("walk: pages %v, ids %v, want %v", sizes, walked, newestFirst)
	}

	byType, _, err := h.client.ListEvents(ctx, "default", httpapi.EventListOptions{Types: []string{"b.y"}})
	if err != nil || len(byType) != 3 {
		t.Fatalf("type filter: %d events, %v", len(byType), err)
	}
	both := decode[httpapi.List[httpapi.Event]](t, h.do("GET", "/v1/tenants/default/events?type=a.x&type=b.y", ""), http.StatusOK)
	if len(both.Data) != 7 || both.NextCursor != nil {
		t.Fatalf("two types: %d events", len(both.Data))
	}
	future, _, err := h.client.ListEvents(ctx, "default", httpapi.EventListOptions{After: time.Now().Add(time.Hour)})
	if err != nil || len(future) != 0 {
		t.Fatalf("after filter: %v, %v", future, err)
	}
	past, _, err := h.client.ListEvents(ctx, "default", httpapi.EventListOptions{Before: time.Now().Add(time.Hour)})
	if err != nil || len(past) != 7 {
		t.Fatalf("before filter: %d, %v", len(past), err)
	}
	for q, ptr := range map[string]string{
		"after=yesterday": "/query/after", "before=1": "/query/before", "type=bad%20type": "/query/type",
		"limit=abc": "/query/limit", "cursor=@@": "/query/cursor",
	} {
		p := problem(t, h.do("GET", "/v1/tenants/default/events?"+q, ""), http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, ptr)
	}
}

func TestRotateSecretSignsWithBoth(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	ep := h.createEndpoint("default", httpapi.EndpointInput{})
	before := time.Now()
	r := h.do("POST", "/v1/tenants/default/endpoints/"+ep.ID+"/rotate-secret", "")
	res := decode[httpapi.SecretResult](t, r, http.StatusOK)
	if !strings.HasPrefix(res.Secret, "whsec_") || res.Secret == ep.Secret {
		t.Fatalf("rotated secret = %q", res.Secret)
	}
	got, _ := h.client.GetEndpoint(ctx, "default", ep.ID)
	if got.Secret != "" || got.SecretPrefix != res.Secret[:10] {
		t.Fatalf("after rotation: %+v", got)
	}
	stored, _ := h.store.GetEndpoint(ctx, "default", ep.ID)
	if len(stored.Secrets) != 2 || stored.Secrets[0].Value != ep.Secret || !stored.Secrets[1].ExpiresAt.IsZero() {
		t.Fatalf("stored secrets = %d", len(stored.Secrets))
	}
	exp := stored.Secrets[0].ExpiresAt
	if exp.Before(before.Add(24*time.Hour-time.Minute)) || exp.After(time.Now().Add(24*time.Hour+time.Minute)) {
		t.Fatalf("old secret expires at %v, want in 24 h", exp)
	}

	test, err := h.client.SendTest(ctx, "default", ep.ID)
	if err != nil || test.Type != hookd.TestEventType {
		t.Fatalf("SendTest = %+v, %v", test, err)
	}
	rec := h.waitReceived(test.ID)
	if n := strings.Count(rec.header.Get("webhook-signature"), "v1,"); n != 2 {
		t.Fatalf("webhook-signature %q has %d entries, want 2", rec.header.Get("webhook-signature"), n)
	}
	for _, secret := range []string{ep.Secret, res.Secret} {
		v, err := signature.NewVerifier(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Verify(rec.header, rec.body); err != nil {
			t.Errorf("secret %s…: %v", secret[:10], err)
		}
	}
	t.Run("client and given secret", func(t *testing.T) {
		s, err := h.client.RotateSecret(ctx, "default", ep.ID)
		if err != nil || s == res.Secret {
			t.Fatalf("RotateSecret = %q, %v", s, err)
		}
		p := problem(t, h.do("POST", "/v1/tenants/default/endpoints/"+ep.ID+"/rotate-secret", `{"secret":"nope"}`),
			http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/secret")
	})
}

func TestSendTestToDisabledEndpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ep := h.createEndpoint("default", httpapi.EndpointInput{Enabled: new(false)})
	problem(t, h.do("POST", "/v1/tenants/default/endpoints/"+ep.ID+"/test", ""), http.StatusUnprocessableEntity, hookd.EINVALID)
}

func TestRecoverRetryAndAttempts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	ep := h.createEndpoint("default", httpapi.EndpointInput{})
	start := time.Now().Add(-time.Minute)
	h.recv.fail.Store(true)
	ev, err := h.client.Publish(ctx, "default", "job.done", map[string]int{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	waitDelivery(t, h, ev.ID, hookd.StatusDead)

	failed, _, err := h.client.ListAttempts(ctx, "default", ep.ID, httpapi.AttemptListOptions{Status: "failed"})
	if err != nil || len(failed) != 3 || failed[0].ResponseStatus != 500 {
		t.Fatalf("failed attempts = %+v, %v", failed, err)
	}
	h.recv.fail.Store(false)
	n, err := h.client.RecoverEndpoint(ctx, "default", ep.ID, start)
	if err != nil || n != 1 {
		t.Fatalf("RecoverEndpoint = %d, %v", n, err)
	}
	waitDelivery(t, h, ev.ID, hookd.StatusSucceeded)
	ok, _, err := h.client.ListAttempts(ctx, "default", ep.ID, httpapi.AttemptListOptions{Status: "succeeded"})
	if err != nil || len(ok) != 1 || ok[0].ResponseStatus != http.StatusNoContent {
		t.Fatalf("succeeded attempts = %+v, %v", ok, err)
	}
	all, _, err := h.client.ListAttempts(ctx, "default", ep.ID, httpapi.AttemptListOptions{})
	if err != nil || len(all) != 4 {
		t.Fatalf("all attempts = %d, %v", len(all), err)
	}
	page, next, err := h.client.ListAttempts(ctx, "default", ep.ID, httpapi.AttemptListOptions{Status: "failed", ListOptions: httpapi.ListOptions{Limit: 2}})
	if err != nil || len(page) != 2 || next == "" {
		t.Fatalf("failed page 1 = %d, %q, %v", len(page), next, err)
	}
	page, next, err = h.client.ListAttempts(ctx, "default", ep.ID, httpapi.AttemptListOptions{Status: "failed", ListOptions: httpapi.ListOptions{Limit: 2, Cursor: next}})
	if err != nil || len(page) != 1 || next != "" || page[0].ResponseStatus != 500 {
		t.Fatalf("failed page 2 = %+v, %q, %v", page, next, err)
	}

	// Nothing failed is left: retry queues nothing.
	queued, err := h.client.RetryEvent(ctx, "default", ev.ID)
	if err != nil || queued != 0 {
		t.Fatalf("RetryEvent = %d, %v", queued, err)
	}
	path := "/v1/tenants/default/endpoints/" + ep.ID
	hasPointer(t, problem(t, h.do("POST", path+"/recover", `{}`), 422, hookd.EINVALID), "/since")
	hasPointer(t, problem(t, h.do("POST", path+"/recover", `{"since":"monday"}`), 422, hookd.EINVALID), "/since")
	problem(t, h.do("POST", path+"/recover", ``), 400, hookd.EMALFORMED)
	problem(t, h.do("POST", "/v1/tenants/default/endpoints/ep_nope/recover", `{"since":"2024-01-01T00:00:00Z"}`), 404, hookd.ENOTFOUND)
	hasPointer(t, problem(t, h.do("GET", path+"/attempts?status=maybe", ""), 422, hookd.EINVALID), "/query/status")
}

func TestRetryEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	h.createEndpoint("default", httpapi.EndpointInput{})
	h.recv.fail.Store(true)
	ev, err := h.client.Publish(ctx, "default", "job.done", map[string]int{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	waitDelivery(t, h, ev.ID, hookd.StatusDead)
	h.recv.fail.Store(false)
	r := h.do("POST", "/v1/tenants/default/events/"+ev.ID+"/retry", "")
	if q := decode[httpapi.Queued](t, r, http.StatusAccepted); q.Queued != 1 {
		t.Fatalf("queued = %d", q.Queued)
	}
	waitDelivery(t, h, ev.ID, hookd.StatusSucceeded)
}

// walkEvents lists the default tenant's events page by page and returns
// their ids and the page sizes.
func walkEvents(t *testing.T, h *harness, limit int) (ids []string, sizes []int) {
	t.Helper()
	cursor := ""
	for {
		o := httpapi.EventListOptions{ListOptions: httpapi.ListOptions{Limit: limit, Cursor: cursor}}
		page, next, err := h.client.ListEvents(context.Background(), "default", o)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page))
		for _, e := range page {
			ids = append(ids, e.ID)
		}
		if next == "" {
			return ids, sizes
		}
		cursor = next
	}
}

// waitDelivery waits until the event's only delivery has status.
func waitDelivery(t *testing.T, h *harness, eventID, status string) {
	t.Helper()
	waitFor(t, "delivery "+status, func() bool {
		d, err := h.client.GetEvent(context.Background(), "default", eventID)
		return err == nil && len(d.Deliveries) == 1 && string(d.Deliveries[0].Status) == status
	})
}

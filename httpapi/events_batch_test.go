package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

const batchPath = "/v1/tenants/default/events/batch"

// batchBody is a batch of n order.created events whose data is {"n": i}.
func batchBody(n int) string {
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"order.created","data":{"n":%d}}`, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// eventCount counts the tenant's events through the store.
func eventCount(t *testing.T, h *harness, tenant string) int {
	t.Helper()
	n, cursor := 0, ""
	for {
		es, next, err := h.store.ListEvents(context.Background(), hookd.EventFilter{TenantID: tenant,
			Page: hookd.Page{Limit: hookd.MaxPageLimit, Cursor: cursor}})
		if err != nil {
			t.Fatal(err)
		}
		n += len(es)
		if next == "" {
			return n
		}
		cursor = next
	}
}

func TestPublishBatchValidation(t *testing.T) {
	t.Parallel()
	h, _ := newCatalogHarness(t, true)
	decode[httpapi.EventType](t, h.do("POST", "/v1/event-types", `{"name":"invoice.paid","schema":`+invoiceSchema+`}`), http.StatusCreated)
	decode[httpapi.EventType](t, h.do("POST", "/v1/event-types", `{"name":"order.created"}`), http.StatusCreated)
	decode[httpapi.Event](t, h.do("POST", "/v1/tenants/default/events",
		`{"type":"order.created","data":{"n":0},"id":"taken"}`), http.StatusAccepted)
	before := eventCount(t, h, "default")
	cases := []struct {
		name, body string
		status     int
		code       string
		pointers   []string // exactly these, in order
	}{
		{"every event's errors", `{"events":[` +
			`{"type":"no.such","data":{}},` +
			`{"type":"order.created","data":{"n":1}},` +
			`{"type":"invoice.paid","data":{"id":"in_1","amount":"x","currency":"GBP"}},` +
			`{"type":"order.created","data":{},"id":"bad key"},` +
			`{"data":null},` +
			`{"type":"order.created","data":{"n":5},"id":"dup"},` +
			`{"type":"order.created","data":{"n":6},"id":"dup"}]}`,
			422, hookd.EINVALID, []string{"/events/0/type", "/events/2/data/amount", "/events/2/data/currency",
				"/events/3/id", "/events/4/type", "/events/4/data", "/events/6/id"}},
		{"shape of events", `{"events":[{"type":"order.created","data":{},"extra":1},{"type":1,"data":{}},3]}`,
			422, hookd.EINVALID, []string{"/events/0/extra", "/events/1/type", "/events/2"}},
		{"data not UTF-8", "{\"events\":[{\"type\":\"order.created\",\"data\":{}},{\"type\":\"order.created\",\"data\":\"\xff\"}]}",
			422, hookd.EINVALID, []string{"/events/1/data"}},
		{"key taken with other data", `{"events":[{"type":"order.created","data":{"n":1},"id":"taken"}]}`,
			422, hookd.EINVALID, []string{"/events/0/id"}},
		{"no events", `{"events":[]}`, 422, hookd.EINVALID, []string{"/events"}},
		{"events missing", `{}`, 422, hookd.EINVALID, []string{"/events"}},
		{"events not a list", `{"events":{}}`, 422, hookd.EINVALID, []string{"/events"}},
		{"unknown member", `{"events":[{"type":"order.created","data":{}}],"x":1}`, 422, hookd.EINVALID, []string{"/x"}},
		{"too many", batchBody(hookd.MaxPublishBatch + 1), 422, hookd.EINVALID, []string{"/events"}},
		{"type not UTF-8", "{\"events\":[{\"type\":\"a.\xff\",\"data\":{}}]}", 400, hookd.EMALFORMED, nil},
		{"malformed", `{"events":[{"type":"order.created","data":{]}`, 400, hookd.EMALFORMED, nil},
		{"no body", ``, 400, hookd.EMALFORMED, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := problem(t, h.do("POST", batchPath, tc.body), tc.status, tc.code)
			var got []string
			for _, e := range p.Errors {
				got = append(got, e.Pointer)
			}
			if !slices.Equal(got, tc.pointers) {
				t.Fatalf("pointers = %v, want %v (%+v)", got, tc.pointers, p.Errors)
			}
		})
	}
	problem(t, h.do("POST", "/v1/tenants/nope/events/batch", batchBody(1)), http.StatusNotFound, hookd.ENOTFOUND)
	if n := eventCount(t, h, "default"); n != before {
		t.Fatalf("refused batches stored %d events", n-before)
	}
}

func TestPublishBatchSizes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{config: func(c *httpapi.Config) { c.MaxBody, c.MaxBatchBody = 1000, 4000 }})
	big := `{"type":"order.created","data":"` + strings.Repeat("x", 1000) + `"}`
	p := problem(t, h.do("POST", batchPath, `{"events":[{"type":"order.created","data":{}},`+big+`]}`),
		http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, p, "/events/1")
	// A batch over the batch cap is 413; one over MaxBody but under it is fine.
	p = problem(t, h.do("POST", batchPath, batchBody(200)), http.StatusRequestEntityTooLarge, hookd.ETOOLARGE)
	if !strings.Contains(p.Detail, "4000 bytes") {
		t.Errorf("detail = %q", p.Detail)
	}
	body := batchBody(40)
	if len(body) <= 1000 || len(body) > 4000 {
		t.Fatalf("batch of %d bytes does not test the raised cap", len(body))
	}
	decode[httpapi.PublishBatchResult](t, h.do("POST", batchPath, body), http.StatusAccepted)
	problem(t, h.do("POST", "/v1/tenants/default/events", `{"type":"order.created","data":"`+strings.Repeat("x", 1000)+`"}`),
		http.StatusRequestEntityTooLarge, hookd.ETOOLARGE)
	if n := eventCount(t, h, "default"); n != 40 {
		t.Fatalf("%d events stored, want the 40 of the one accepted batch", n)
	}
}

func TestPublishBatchStoresInOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	h.createEndpoint("default", httpapi.EndpointInput{})
	res := decode[httpapi.PublishBatchResult](t, h.do("POST", batchPath, batchBody(hookd.MaxPublishBatch)), http.StatusAccepted)
	if len(res.Events) != hookd.MaxPublishBatch {
		t.Fatalf("%d results, want %d", len(res.Events), hookd.MaxPublishBatch)
	}
	seen := map[string]bool{}
	for i, e := range res.Events {
		if e.Status != httpapi.PublishCreated || !strings.HasPrefix(e.ID, "evt_") || seen[e.ID] {
			t.Fatalf("result %d = %+v", i, e)
		}
		seen[e.ID] = true
	}
	byID := map[string]string{}
	ctx := context.Background()
	for cursor := ""; ; {
		es, next, err := h.client.ListEvents(ctx, "default", httpapi.EventListOptions{ListOptions: httpapi.ListOptions{Limit: 250, Cursor: cursor}})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			byID[e.ID] = string(e.Data)
		}
		if cursor = next; next == "" {
			break
		}
	}
	for i, e := range res.Events {
		if want := fmt.Sprintf(`{"n":%d}`, i); byID[e.ID] != want {
			t.Fatalf("event %d (%s) has data %s, want %s", i, e.ID, byID[e.ID], want)
		}
	}
	last := res.Events[len(res.Events)-1].ID
	if got := h.waitReceived(last); !strings.Contains(string(got.body), `"data":{"n":999}`) {
		t.Fatalf("delivered %s", got.body)
	}
}

func TestPublishBatchIdempotency(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	first := decode[httpapi.Event](t, h.do("POST", "/v1/tenants/default/events",
		`{"type":"order.created","data":{"n":0},"id":"k0"}`), http.StatusAccepted)
	body := `{"events":[{"type":"order.created","data":{"n":0},"id":"k0"},{"type":"order.created","data":{"n":1},"id":"k1"},` +
		`{"type":"order.created","data":{"n":2}},{"type":"order.created","data":{"n": 1},"id":"k1"}]}`
	res := decode[httpapi.PublishBatchResult](t, h.do("POST", batchPath, body), http.StatusAccepted)
	var status []string
	for _, e := range res.Events {
		status = append(status, e.Status)
	}
	if want := []string{"duplicate", "created", "created", "duplicate"}; !slices.Equal(status, want) {
		t.Fatalf("statuses = %v, want %v", status, want)
	}
	if res.Events[0].ID != first.ID || res.Events[3].ID != res.Events[1].ID {
		t.Fatalf("duplicates do not answer the first events: %+v (first %s)", res.Events, first.ID)
	}
	again := decode[httpapi.PublishBatchResult](t, h.do("POST", batchPath, body), http.StatusAccepted)
	if again.Events[1].ID != res.Events[1].ID || again.Events[1].Status != httpapi.PublishDuplicate ||
		again.Events[2].ID == res.Events[2].ID || again.Events[2].Status != httpapi.PublishCreated {
		t.Fatalf("repeat = %+v, first %+v", again.Events, res.Events)
	}
	if n := eventCount(t, h, "default"); n != 4 {
		t.Fatalf("%d events, want 4", n)
	}

	// The Idempotency-Key header names the whole request, as for other POSTs.
	r1 := h.do("POST", batchPath, batchBody(2), "Idempotency-Key", "batch-1")
	r2 := h.do("POST", batchPath, batchBody(2), "Idempotency-Key", "batch-1")
	if r1.status != http.StatusAccepted || r2.status != http.StatusAccepted || string(r1.body) != string(r2.body) ||
		r2.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s / %d %s (%v)", r1.status, r1.body, r2.status, r2.body, r2.header)
	}
	problem(t, h.do("POST", batchPath, batchBody(3), "Idempotency-Key", "batch-1"), http.StatusUnprocessableEntity, hookd.EMISMATCH)
	if n := eventCount(t, h, "default"); n != 6 {
		t.Fatalf("%d events, want 6", n)
	}
}

func TestClientPublishBatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	events := []httpapi.PublishInput{
		{Type: "order.created", Data: json.RawMessage(`{"n":0}`), ID: "c0"},
		{Type: "order.created", Data: json.RawMessage(`{"n":1}`)},
	}
	got, err := h.client.PublishBatch(ctx, "default", events)
	if err != nil || len(got) != 2 || got[0].Status != httpapi.PublishCreated || got[1].Status != httpapi.PublishCreated {
		t.Fatalf("PublishBatch = %+v, %v", got, err)
	}
	ev, err := h.client.GetEvent(ctx, "default", got[1].ID)
	if err != nil || string(ev.Data) != `{"n":1}` {
		t.Fatalf("event 1 = %+v, %v", ev, err)
	}
	again, err := h.client.PublishBatch(ctx, "default", events[:1])
	if err != nil || again[0].ID != got[0].ID || again[0].Status != httpapi.PublishDuplicate {
		t.Fatalf("repeat = %+v, %v", again, err)
	}
	_, err = h.client.PublishBatch(ctx, "default", []httpapi.PublishInput{events[1], {Type: "a b", Data: json.RawMessage(`{}`)}})
	var p *httpapi.Problem
	if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Pointer != "/events/1/type" {
		t.Fatalf("invalid batch: %v", err)
	}
	if n := eventCount(t, h, "default"); n != 2 {
		t.Fatalf("%d events, want 2", n)
	}
}

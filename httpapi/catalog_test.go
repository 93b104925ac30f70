package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/httpapi"
)

// newCatalogHarness is a harness whose engine validates publishes
// against a store-backed catalog, which the server invalidates.
func newCatalogHarness(t *testing.T, strict bool) (*harness, *catalog.Catalog) {
	t.Helper()
	var cat *catalog.Catalog
	h := newHarness(t, options{
		engine: func(st hookd.Store, c *delivery.Config) {
			var err error
			if cat, err = catalog.Open(context.Background(), st); err != nil {
				t.Fatalf("open catalog: %v", err)
			}
			cat.SetStrict(strict)
			c.CheckFunc = cat.Check
		},
		config: func(c *httpapi.Config) { c.Catalog = cat },
	})
	return h, cat
}

const invoiceSchema = `{"type":"object","required":["id","amount","currency"],"properties":{` +
	`"id":{"type":"string"},"amount":{"type":"integer","minimum":1},"currency":{"enum":["EUR","USD"]}}}`

func TestPublishValidatesAgainstSchema(t *testing.T) {
	t.Parallel()
	h, _ := newCatalogHarness(t, false)
	ctx := context.Background()
	if _, _, err := h.client.PutTenant(ctx, "acme", nil); err != nil {
		t.Fatal(err)
	}
	h.createEndpoint("acme", httpapi.EndpointInput{})
	decode[httpapi.EventType](t, h.do("POST", "/v1/event-types",
		`{"name":"invoice.paid","schema":`+invoiceSchema+`}`), http.StatusCreated)

	// Every violation is listed, and nothing is stored.
	p := problem(t, h.do("POST", "/v1/tenants/acme/events",
		`{"type":"invoice.paid","data":{"amount":0,"currency":"GBP"}}`), http.StatusUnprocessableEntity, hookd.EINVALID)
	for _, ptr := range []string{"/data/id", "/data/amount", "/data/currency"} {
		hasPointer(t, p, ptr)
	}
	if len(p.Errors) != 3 {
		t.Errorf("errors = %+v, want 3", p.Errors)
	}
	evs, _, err := h.client.ListEvents(ctx, "acme", httpapi.EventListOptions{})
	if err != nil || len(evs) != 0 {
		t.Fatalf("events after a refused publish: %v, %v", evs, err)
	}

	// Valid data is stored and delivered; a type without a schema takes
	// any JSON; an unknown type is allowed when not strict.
	ev := decode[httpapi.Event](t, h.do("POST", "/v1/tenants/acme/events",
		`{"type":"invoice.paid","data":{"id":"in_1","amount":5,"currency":"EUR"}}`), http.StatusAccepted)
	got := h.waitReceived(ev.ID)
	if !strings.Contains(string(got.body), `"data":{"id":"in_1","amount":5,"currency":"EUR"}`) {
		t.Errorf("delivered %s", got.body)
	}
	decode[httpapi.Event](t, h.do("POST", "/v1/tenants/acme/events", `{"type":"not.declared","data":[1]}`), http.StatusAccepted)

	// A schema changed through the API applies to the next publish.
	decode[httpapi.EventType](t, h.do("PATCH", "/v1/event-types/invoice.paid",
		`{"schema":{"properties":{"amount":{"maximum":3}}}}`), http.StatusOK)
	p = problem(t, h.do("POST", "/v1/tenants/acme/events",
		`{"type":"invoice.paid","data":{"id":"in_2","amount":5,"currency":"EUR"}}`), http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, p, "/data/amount")
	if n := len(h.recv.byID(ev.ID)); n != 1 {
		t.Errorf("%d deliveries of the valid event", n)
	}
}

func TestStrictEventTypes(t *testing.T) {
	t.Parallel()
	h, _ := newCatalogHarness(t, true)
	ctx := context.Background()
	if _, _, err := h.client.PutTenant(ctx, "acme", nil); err != nil {
		t.Fatal(err)
	}
	ep := h.createEndpoint("acme", httpapi.EndpointInput{})
	p := problem(t, h.do("POST", "/v1/tenants/acme/events", `{"type":"not.declared","data":{}}`),
		http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, p, "/type")
	if _, err := h.client.SendTest(ctx, "acme", ep.ID); err != nil {
		t.Errorf("webhook.test in strict mode: %v", err)
	}
	if _, err := h.client.CreateEventType(ctx, httpapi.EventTypeInput{Name: "now.declared"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Publish(ctx, "acme", "now.declared", map[string]int{"n": 1}); err != nil {
		t.Errorf("publish a declared type: %v", err)
	}
}

// An event type's method is the method of its deliveries.
func TestEventTypeMethod(t *testing.T) {
	t.Parallel()
	h, _ := newCatalogHarness(t, false)
	ctx := context.Background()
	methods := make(chan string, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		methods <- r.Method
	}))
	defer recv.Close()
	if _, _, err := h.client.PutTenant(ctx, "acme", nil); err != nil {
		t.Fatal(err)
	}
	h.createEndpoint("acme", httpapi.EndpointInput{URL: recv.URL})
	if _, err := h.client.CreateEventType(ctx, httpapi.EventTypeInput{Name: "doc.replaced", Method: "PUT"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Publish(ctx, "acme", "doc.replaced", map[string]int{"v": 2}); err != nil {
		t.Fatal(err)
	}
	if m := <-methods; m != http.MethodPut {
		t.Errorf("delivered with %s, want PUT", m)
	}
}

func TestEventTypeSchemaErrors(t *testing.T) {
	t.Parallel()
	h, _ := newCatalogHarness(t, false)
	tests := []struct{ name, method, path, body, pointer string }{
		{"bad keyword", "POST", "/v1/event-types", `{"name":"a.b","schema":{"type":"strin"}}`, "/schema/type"},
		{"network ref", "POST", "/v1/event-types", `{"name":"a.b","schema":{"$ref":"https://example.com/s.json"}}`, "/schema"},
		{"file ref", "PUT", "/v1/event-types/a.b", `{"schema":{"$ref":"file:///etc/passwd"}}`, "/schema"},
		{"bad regex", "POST", "/v1/event-types", `{"name":"a.b","schema":{"pattern":"(?<=x)"}}`, "/schema/pattern"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := problem(t, h.do(tc.method, tc.path, tc.body), http.StatusBadRequest, hookd.EMALFORMED)
			hasPointer(t, p, tc.pointer)
		})
	}
	decode[httpapi.EventType](t, h.do("POST", "/v1/event-types", `{"name":"a.b","schema":{"type":"object"}}`), http.StatusCreated)
	p := problem(t, h.do("PATCH", "/v1/event-types/a.b", `{"schema":{"type":"strin"}}`), http.StatusBadRequest, hookd.EMALFORMED)
	hasPointer(t, p, "/schema/type")
	// An example must match the schema: that is a broken rule, 422.
	p = problem(t, h.do("PATCH", "/v1/event-types/a.b", `{"examples":[1]}`), http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, p, "/examples/0")
}

func TestPutEventType(t *testing.T) {
	t.Parallel()
	h, _ := newCatalogHarness(t, false)
	ctx := context.Background()
	in := httpapi.EventTypeInput{Name: "user.created", Description: "v1", Schema: []byte(`{"type":"object"}`)}
	et, created, err := h.client.PutEventType(ctx, in)
	if err != nil || !created || et.Description != "v1" {
		t.Fatalf("first put = %+v, %v, %v", et, created, err)
	}
	in.Description, in.Schema = "v2", nil
	et, created, err = h.client.PutEventType(ctx, in)
	if err != nil || created || et.Description != "v2" || !isNullJSON(et.Schema) {
		t.Fatalf("second put = %+v, %v, %v", et, created, err)
	}
	p := problem(t, h.do("PUT", "/v1/event-types/user.created", `{"name":"other.name"}`), http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, p, "/name")
	p = problem(t, h.do("PUT", "/v1/event-types/not%20valid", `{}`), http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, p, "/path/name")
}

// The typed client validates before sending, and the server validates
// what the client registered.
func TestTypedPublish(t *testing.T) {
	t.Parallel()
	h, _ := newCatalogHarness(t, true)
	ctx := context.Background()
	type order struct {
		ID    string `json:"id"`
		Total int    `json:"total"`
		Note  string `json:"note,omitempty"`
	}
	orderPlaced := catalog.Type[order]("order.placed", catalog.Description("An order was placed."))
	cat, err := catalog.New(catalog.Group("orders", orderPlaced))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.client.RegisterCatalog(ctx, cat); err != nil {
		t.Fatal(err)
	}
	if err := h.client.RegisterCatalog(ctx, cat); err != nil {
		t.Fatalf("a second registration: %v", err)
	}
	if _, _, err := h.client.PutTenant(ctx, "acme", nil); err != nil {
		t.Fatal(err)
	}
	h.createEndpoint("acme", httpapi.EndpointInput{})
	ev, err := httpapi.Publish(ctx, h.client, "acme", orderPlaced, order{ID: "o1", Total: 3})
	if err != nil {
		t.Fatal(err)
	}
	h.waitReceived(ev.ID)
	// The server holds the Go type's schema: raw data breaking it is 422.
	_, err = h.client.Publish(ctx, "acme", orderPlaced.Name(), map[string]any{"id": 1})
	if fs := hookd.ErrorFields(err); len(fs) != 2 {
		t.Errorf("raw publish = %v %+v, want 2 violations", err, fs)
	}
	got, err := h.client.GetEventType(ctx, "order.placed")
	if err != nil || got.Group != "orders" || got.Description != "An order was placed." {
		t.Errorf("registered = %+v, %v", got, err)
	}
}

// A change made through one node reaches another node's catalog through
// the store's change sequence, without an Invalidate on that node.
func TestCatalogFollowsOtherNodes(t *testing.T) {
	t.Parallel()
	h, _ := newCatalogHarness(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	other, err := catalog.Open(ctx, h.store) // another node's catalog on the same store
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = other.Watch(ctx, 10*time.Millisecond) }()
	decode[httpapi.EventType](t, h.do("POST", "/v1/event-types", `{"name":"invoice.paid","schema":`+invoiceSchema+`}`), http.StatusCreated)
	waitFor(t, "the other node to see the new type", func() bool { return other.Lookup("invoice.paid") != nil })
	if err := other.Validate("invoice.paid", []byte(`{}`)); hookd.ErrorCode(err) != hookd.EINVALID {
		t.Errorf("the other node's validation = %v", err)
	}
	decode[httpapi.EventType](t, h.do("PATCH", "/v1/event-types/invoice.paid", `{"schema":null}`), http.StatusOK)
	waitFor(t, "the other node to see the change", func() bool { return other.Validate("invoice.paid", []byte(`{}`)) == nil })
}

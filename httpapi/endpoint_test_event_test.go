package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/httpapi"
)

// A test event of a chosen catalog type goes to one endpoint whatever
// its filter, with the type's first example or the given data, checked
// against the type's schema; strict mode refuses none of them.
func TestSendTestEventOfAType(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, o options) {
		t.Parallel()
		var cat *catalog.Catalog
		o.engine = func(st hookd.Store, c *delivery.Config) {
			var err error
			if cat, err = catalog.Open(context.Background(), st); err != nil {
				t.Fatalf("open catalog: %v", err)
			}
			cat.SetStrict(true)
			c.CheckFunc = cat.Check
		}
		o.config = func(c *httpapi.Config) { c.Catalog = cat }
		h := newHarness(t, o)
		ctx := context.Background()
		decode[httpapi.EventType](t, h.do("POST", "/v1/event-types", `{"name":"invoice.paid","schema":`+invoiceSchema+
			`,"examples":[{"id":"in_ex","amount":7,"currency":"USD"}]}`), http.StatusCreated)
		ep := h.createEndpoint("default", httpapi.EndpointInput{EventTypes: []string{"user.*"}})
		path := "/v1/tenants/default/endpoints/" + ep.ID + "/test"

		ev, err := h.client.SendTestEvent(ctx, "default", ep.ID, httpapi.TestEventInput{EventType: "invoice.paid"})
		if err != nil || ev.Type != "invoice.paid" {
			t.Fatalf("SendTestEvent = %+v, %v", ev, err)
		}
		if got := h.waitReceived(ev.ID); !strings.Contains(string(got.body), `"data":{"id":"in_ex","amount":7,"currency":"USD"}`) {
			t.Errorf("the example was not sent: %s", got.body)
		}
		given := decode[httpapi.Event](t, h.do("POST", path,
			`{"event_type":"invoice.paid","data":{"id":"in_9","amount":9,"currency":"EUR"}}`), http.StatusAccepted)
		if got := h.waitReceived(given.ID); !strings.Contains(string(got.body), `"data":{"id":"in_9","amount":9,"currency":"EUR"}`) {
			t.Errorf("the given data was not sent: %s", got.body)
		}
		test := decode[httpapi.Event](t, h.do("POST", path, ``), http.StatusAccepted)
		if test.Type != hookd.TestEventType {
			t.Errorf("default type = %q", test.Type)
		}
		var data map[string]string
		if err := json.Unmarshal(test.Data, &data); err != nil || data["endpoint_id"] != ep.ID {
			t.Errorf("default data = %s", test.Data)
		}

		p := problem(t, h.do("POST", path, `{"event_type":"invoice.paid","data":{"amount":0}}`), 422, hookd.EINVALID)
		for _, ptr := range []string{"/data/id", "/data/amount", "/data/currency"} {
			hasPointer(t, p, ptr)
		}
		hasPointer(t, problem(t, h.do("POST", path, `{"event_type":"not.declared"}`), 422, hookd.EINVALID), "/event_type")
		hasPointer(t, problem(t, h.do("POST", path, `{"event_type":"bad type!"}`), 422, hookd.EINVALID), "/event_type")
		problem(t, h.do("POST", path, `{"event_type":"invoice.paid","data":`), 400, hookd.EMALFORMED)
		if evs, _, _ := h.client.ListEvents(ctx, "default", httpapi.EventListOptions{}); len(evs) != 3 {
			t.Errorf("%d events stored, want 3: a refused test stores nothing", len(evs))
		}
	})
}

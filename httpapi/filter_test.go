package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/httpapi"
)

// TestFilters: an endpoint's CEL filter decides at fan-out; an
// evaluation error is no match, counted in a metric.
func TestFilters(t *testing.T) {
	eachStore(t, func(t *testing.T, o options) {
		reg := prometheus.NewRegistry()
		o.engine = func(_ hookd.Store, c *delivery.Config) { c.Registry = reg }
		h := newHarness(t, o)
		ctx := context.Background()
		if _, _, err := h.client.PutTenant(ctx, "acme", &httpapi.TenantInput{Metadata: json.RawMessage(`{"plan":"pro"}`)}); err != nil {
			t.Fatal(err)
		}
		big := h.createEndpoint("acme", httpapi.EndpointInput{URL: h.recv.URL + "/big",
			Filter:   `event.data.amount > 100.0 && tenant.metadata.plan == "pro" && endpoint.metadata.region == "eu"`,
			Metadata: json.RawMessage(`{"region":"eu"}`)})
		h.createEndpoint("acme", httpapi.EndpointInput{URL: h.recv.URL + "/all"})
		if big.Filter == "" {
			t.Fatal("filter not shown")
		}
		small, err := h.client.Publish(ctx, "acme", "invoice.paid", json.RawMessage(`{"amount":5}`))
		if err != nil {
			t.Fatal(err)
		}
		large, err := h.client.Publish(ctx, "acme", "invoice.paid", json.RawMessage(`{"amount":500}`))
		if err != nil {
			t.Fatal(err)
		}
		odd, err := h.client.Publish(ctx, "acme", "invoice.paid", json.RawMessage(`{"total":500}`))
		if err != nil {
			t.Fatal(err)
		}
		h.waitAt(large.ID, "/big", 1)
		for _, id := range []string{small.ID, odd.ID} {
			d, err := h.client.GetEvent(ctx, "acme", id)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Deliveries) != 1 || d.Deliveries[0].EndpointID == big.ID {
				t.Errorf("event %s: deliveries %+v, want only the unfiltered endpoint's", id, d.Deliveries)
			}
		}
		// {"total":500} has no amount: an evaluation error, counted.
		if n := counterValue(t, reg, "hookd_filter_errors_total"); n != 1 {
			t.Errorf("hookd_filter_errors_total = %v, want 1", n)
		}
		// The test event ignores the filter.
		test, err := h.client.SendTest(ctx, "acme", big.ID)
		if err != nil {
			t.Fatal(err)
		}
		h.waitAt(test.ID, "/big", 1)
	})
}

func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestFilterValidation(t *testing.T) {
	h := newHarness(t, options{})
	url := `"url":"` + h.recv.URL + `/f"`
	for _, tc := range []struct{ filter, msg string }{
		{`event.data.amount`, "must return a bool"},
		{`event.data.amount >`, "does not compile"},
		{`nope == 1`, "undeclared reference"},
	} {
		body, _ := json.Marshal(tc.filter)
		p := problem(t, h.do("POST", "/v1/tenants/default/endpoints", `{`+url+`,"filter":`+string(body)+`}`),
			http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/filter")
		if !strings.Contains(p.Errors[0].Message, tc.msg) {
			t.Errorf("%s: %q, want %q", tc.filter, p.Errors[0].Message, tc.msg)
		}
	}
}

package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/bulkretry"
	"github.com/hookd/hookd/httpapi"
)

// endedDeliveries publishes n events of typ to a failing endpoint, which
// end dead, and one more type to a working endpoint, which succeed.
func endedDeliveries(t *testing.T, h *harness, n int) (dead, ok *httpapi.Endpoint, failing *receiver) {
	t.Helper()
	ctx := context.Background()
	failing = newReceiver(t)
	failing.fail.Store(true)
	dead = h.createEndpoint("default", httpapi.EndpointInput{URL: failing.URL + "/hook", EventTypes: []string{"a.*"}})
	ok = h.createEndpoint("default", httpapi.EndpointInput{EventTypes: []string{"b.*"}})
	for i := range n {
		if _, err := h.client.Publish(ctx, "default", "a.one", map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.client.Publish(ctx, "default", "b.two", map[string]int{"n": 0}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every delivery to end", func() bool {
		ds, _, err := h.client.ListDeliveries(ctx, "default", httpapi.DeliveryListOptions{DeliveryFilter: httpapi.DeliveryFilter{
			Status: []httpapi.DeliveryStatus{hookd.StatusDead, hookd.StatusSucceeded}}})
		return err == nil && len(ds) == n+1
	})
	return dead, ok, failing
}

func TestListDeliveries(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	dead, ok, _ := endedDeliveries(t, h, 3)
	ids := func(query string) []string {
		t.Helper()
		l := decode[httpapi.List[httpapi.Delivery]](t, h.do("GET", "/v1/tenants/default/deliveries?"+query, ""), http.StatusOK)
		var out []string
		for _, d := range l.Data {
			out = append(out, d.EndpointID+":"+string(d.Status))
		}
		return out
	}
	deadOnes := []string{dead.ID + ":dead", dead.ID + ":dead", dead.ID + ":dead"}
	cases := []struct {
		query string
		want  []string
	}{
		{"status=dead", deadOnes},
		{"status=succeeded,dead", append([]string{ok.ID + ":succeeded"}, deadOnes...)},
		{"status=succeeded&status=dead", append([]string{ok.ID + ":succeeded"}, deadOnes...)},
		{"status=failed", nil},
		{"endpoint_id=" + ok.ID, []string{ok.ID + ":succeeded"}},
		{"event_type=b.two", []string{ok.ID + ":succeeded"}},
		{"event_type=a.one,b.two&status=dead", deadOnes},
		{"until=2000-01-01T00:00:00Z", nil},
		{"since=2000-01-01T00:00:00Z&status=succeeded", []string{ok.ID + ":succeeded"}},
	}
	for _, tc := range cases {
		if got := ids(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.query, got, tc.want)
		}
	}

	t.Run("paging keeps the filter", func(t *testing.T) {
		var got []httpapi.Delivery
		o := httpapi.DeliveryListOptions{ListOptions: httpapi.ListOptions{Limit: 2},
			DeliveryFilter: httpapi.DeliveryFilter{Status: []httpapi.DeliveryStatus{hookd.StatusDead}}}
		for range 5 {
			page, next, err := h.client.ListDeliveries(context.Background(), "default", o)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page...)
			if next == "" {
				break
			}
			o.Cursor = next
		}
		if len(got) != 3 || got[0].Status != hookd.StatusDead || got[2].Status != hookd.StatusDead || got[0].ID <= got[2].ID {
			t.Fatalf("pages = %+v", got)
		}
	})
	t.Run("bad filters", func(t *testing.T) {
		for query, pointer := range map[string]string{
			"status=done":     "/query/status",
			"event_type=a..b": "/query/event_type",
			"since=yesterday": "/query/since",
			"since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z": "/query/until",
			"limit=0": "/query/limit",
		} {
			p := problem(t, h.do("GET", "/v1/tenants/default/deliveries?"+query, ""), http.StatusUnprocessableEntity, hookd.EINVALID)
			hasPointer(t, p, pointer)
		}
	})
	t.Run("unknown tenant says how to create it", func(t *testing.T) {
		p := problem(t, h.do("GET", "/v1/tenants/acme/deliveries", ""), http.StatusNotFound, hookd.ENOTFOUND)
		if !strings.Contains(p.Detail, "PUT /v1/tenants/acme") {
			t.Errorf("detail = %q", p.Detail)
		}
	})
}

func TestRetryDeliveries(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	dead, _, failing := endedDeliveries(t, h, 5)
	ctx := context.Background()
	runner := bulkretry.New(bulkretry.Config{Store: h.store, Engine: h.engine, NodeID: h.engine.NodeID(), BatchSize: 2})

	job, err := h.client.RetryDeliveries(ctx, "default", httpapi.DeliveryFilter{EndpointID: dead.ID, EventType: []string{"a.one"}})
	if err != nil || !strings.HasPrefix(job.ID, hookd.PrefixRetryJob) || job.Total != 5 || job.Status != hookd.RetryJobRunning ||
		job.Filter.EndpointID != dead.ID || job.Filter.Until == nil {
		t.Fatalf("RetryDeliveries = %+v, %v", job, err)
	}
	failing.fail.Store(false)
	if !runner.RunOnce(ctx) {
		t.Fatal("RunOnce found no job")
	}
	got, err := h.client.GetRetryJob(ctx, "default", job.ID)
	if err != nil || got.Status != hookd.RetryJobSucceeded || got.Queued != 5 || got.FinishedAt == nil {
		t.Fatalf("GetRetryJob = %+v, %v", got, err)
	}
	if runner.RunOnce(ctx) {
		t.Error("a finished job ran again")
	}
	waitFor(t, "the retried deliveries to succeed", func() bool {
		ds, _, err := h.client.ListDeliveries(ctx, "default", httpapi.DeliveryListOptions{DeliveryFilter: httpapi.DeliveryFilter{
			EndpointID: dead.ID, Status: []httpapi.DeliveryStatus{hookd.StatusSucceeded}}})
		return err == nil && len(ds) == 5
	})

	t.Run("raw answer", func(t *testing.T) {
		r := h.do("POST", "/v1/tenants/default/deliveries/retry?status=dead&endpoint_id="+url.QueryEscape(dead.ID), "")
		j := decode[httpapi.RetryJob](t, r, http.StatusAccepted)
		if j.Total != 0 || j.Status != hookd.RetryJobSucceeded || r.header.Get("Location") != "/v1/tenants/default/deliveries/retry/"+j.ID {
			t.Errorf("nothing to retry: %+v, Location %q", j, r.header.Get("Location"))
		}
		g := decode[httpapi.RetryJob](t, h.do("GET", r.header.Get("Location"), ""), http.StatusOK)
		if g.ID != j.ID || len(g.Filter.Status) != 1 || g.Filter.Status[0] != hookd.StatusDead {
			t.Errorf("GET = %+v", g)
		}
	})
	t.Run("bad requests change nothing", func(t *testing.T) {
		p := problem(t, h.do("POST", "/v1/tenants/default/deliveries/retry", `{"status":["pending"]}`), http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/status")
		p = problem(t, h.do("POST", "/v1/tenants/default/deliveries/retry?status=succeeded", ""), http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/query/status")
		problem(t, h.do("POST", "/v1/tenants/default/deliveries/retry?status=dead", `{"status":["dead"]}`), http.StatusBadRequest, hookd.EMALFORMED)
		p = problem(t, h.do("POST", "/v1/tenants/default/deliveries/retry", `{"colour":"red"}`), http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/colour")
		problem(t, h.do("POST", "/v1/tenants/nope/deliveries/retry", ""), http.StatusNotFound, hookd.ENOTFOUND)
		problem(t, h.do("GET", "/v1/tenants/default/deliveries/retry/rtj_nope", ""), http.StatusNotFound, hookd.ENOTFOUND)
		if runner.RunOnce(ctx) {
			t.Error("a refused request made a job")
		}
	})
}

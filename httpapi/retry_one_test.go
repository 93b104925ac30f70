package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// One endpoint's delivery of an event is sent again, a succeeded one
// only when the body asks for it; the others are left alone.
func TestRetryOneDelivery(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, o options) {
		t.Parallel()
		h := newHarness(t, o)
		ctx := context.Background()
		a := h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/a"})
		h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/b"})
		ev, err := h.client.Publish(ctx, "default", "job.done", map[string]int{"n": 1})
		if err != nil {
			t.Fatal(err)
		}
		first := h.waitAt(ev.ID, "/a", 1)[0]
		h.waitAt(ev.ID, "/b", 1)
		waitFor(t, "both deliveries to succeed", func() bool {
			d, err := h.client.GetEvent(ctx, "default", ev.ID)
			return err == nil && len(d.Deliveries) == 2 && d.Deliveries[0].Status == hookd.StatusSucceeded &&
				d.Deliveries[1].Status == hookd.StatusSucceeded
		})
		path := "/v1/tenants/default/events/" + ev.ID + "/retry"
		problem(t, h.do("POST", path, `{"endpoint_id":"`+a.ID+`"}`), http.StatusConflict, hookd.ECONFLICT)
		problem(t, h.do("POST", path, `{"endpoint_id":"ep_nope","include_succeeded":true}`), http.StatusNotFound, hookd.ENOTFOUND)
		hasPointer(t, problem(t, h.do("POST", path, `{"include_succeeded":"yes"}`), 422, hookd.EINVALID), "/include_succeeded")

		n, err := h.client.RetryDelivery(ctx, "default", ev.ID, a.ID, true)
		if err != nil || n != 1 {
			t.Fatalf("RetryDelivery = %d, %v", n, err)
		}
		again := h.waitAt(ev.ID, "/a", 2)[1]
		if string(again.body) != string(first.body) {
			t.Errorf("sent again %s, first %s", again.body, first.body)
		}
		waitFor(t, "the retried delivery to succeed", func() bool {
			d, err := h.client.GetEvent(ctx, "default", ev.ID)
			if err != nil {
				return false
			}
			for _, dl := range d.Deliveries {
				if dl.EndpointID == a.ID {
					return dl.Status == hookd.StatusSucceeded && dl.AttemptCount == 2
				}
			}
			return false
		})
		if got := len(h.recv.byPath(ev.ID, "/b")); got != 1 {
			t.Errorf("the other endpoint got %d requests, want 1", got)
		}
	})
}

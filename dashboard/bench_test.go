package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// benchDeliveries is how many deliveries the page benchmarks put in the
// store.
const benchDeliveries = 100_000

// seedDeliveries stores n deliveries to two endpoints of the default
// tenant (half the events each to both), mostly succeeded, some failed
// (due in an hour, so the engine leaves them) and dead, each with one
// attempt. It returns an endpoint id and an event id.
func seedDeliveries(b *testing.B, h *harness, n int) (string, string) {
	ctx := context.Background()
	var eps [2]*hookd.Endpoint
	for i := range eps {
		eps[i] = &hookd.Endpoint{TenantID: "default", URL: fmt.Sprintf("%s/bench%d", h.recv.URL, i), Enabled: true,
			Secrets: []hookd.Secret{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", CreatedAt: time.Now()}}}
		if err := h.store.CreateEndpoint(ctx, eps[i]); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now().Add(-20 * time.Hour)
	var lastEvent string
	for done := 0; done < n; {
		batch := &hookd.Batch{}
		for j := 0; j < 500 && done < n; j++ {
			at := start.Add(time.Duration(done) * time.Second / 2)
			ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: "default", Type: "order.created",
				Data: json.RawMessage(`{"n":1}`), Payload: []byte(`{"type":"order.created","data":{"n":1}}`), CreatedAt: at}
			w := &hookd.EventWrite{Event: ev}
			for _, ep := range eps {
				status := []string{"succeeded", "succeeded", "succeeded", "failed", "dead"}[done%5]
				d := &hookd.Delivery{ID: hookd.NewID(hookd.PrefixDelivery), EventID: ev.ID, EndpointID: ep.ID,
					TenantID: "default", Status: status, Attempts: 1, LastAttemptAt: at, CreatedAt: at, UpdatedAt: at,
					NextAttemptAt: time.Now().Add(time.Hour)}
				w.Deliveries = append(w.Deliveries, d)
				code := 200
				if status != "succeeded" {
					code = 500
				}
				batch.Attempts = append(batch.Attempts, &hookd.Attempt{ID: hookd.NewID(hookd.PrefixAttempt), DeliveryID: d.ID,
					EventID: ev.ID, EndpointID: ep.ID, TenantID: "default", Number: 1, StartedAt: at,
					Latency: 12 * time.Millisecond, URL: ep.URL, ResponseStatus: code})
				done++
			}
			batch.Events = append(batch.Events, w)
			lastEvent = ev.ID
		}
		if err := h.store.Commit(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	return eps[0].ID, lastEvent
}

// BenchmarkPages measures the dashboard's pages with 100,000 deliveries in
// the store, served in process with a signed-in admin session. The target
// is under 100 ms per page.
func BenchmarkPages(b *testing.B) {
	h := newHarness(b, harnessOptions{})
	ep, ev := seedDeliveries(b, h, benchDeliveries)
	br := h.browser()
	br.signIn(h.key)
	ui := h.ts.Config.Handler
	cookies := br.hc.Jar.Cookies(mustURL(h.ts.URL + "/ui/"))
	for _, page := range []struct{ name, path string }{
		{"endpoints", "/ui/t/default/endpoints"},
		{"endpoint", "/ui/t/default/endpoints/" + ep},
		{"deliveries", "/ui/t/default/deliveries"},
		{"deliveries-filtered", "/ui/t/default/deliveries?status=failed&status=dead&endpoint_id=" + ep},
		{"event", "/ui/t/default/events/" + ev},
		{"bulk-retry-count", "/ui/t/default/deliveries/retry?status=dead"},
	} {
		path := page.path
		b.Run(page.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				for _, c := range cookies {
					req.AddCookie(c)
				}
				rec := httptest.NewRecorder()
				ui.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", path, rec.Code)
				}
			}
		})
	}
}

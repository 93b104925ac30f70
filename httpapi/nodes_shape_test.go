package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/hookd/hookd/internal/pgtest"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/httpapi"
)

// TestShapesAcrossNodes: a delivery transformed and tried on one node is
// retried by another node, after the first stopped, with the same bytes
// and method (the transform, random on purpose, does not run again).
func TestShapesAcrossNodes(t *testing.T) {
	dsn := pgtest.Schema(t) // several nodes need PostgreSQL
	fast := func(c *delivery.Config) {
		c.Lease = 300 * time.Millisecond
		c.PollInterval = 20 * time.Millisecond
		c.Schedule = []time.Duration{400 * time.Millisecond, 400 * time.Millisecond, 400 * time.Millisecond}
	}
	h := newHarness(t, options{postgres: dsn, engine: func(_ hookd.Store, c *delivery.Config) { fast(c) }})
	ctx := context.Background()
	h.recv.fail.Store(true)
	h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/n", Payload: templateInput(t, chalkTemplate),
		Transform: `function handler(w) { w.payload.n = Math.random(); w.method = "PATCH"; return w }`})
	ev, err := h.client.Publish(ctx, "default", "a.b", json.RawMessage(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	first := h.waitAt(ev.ID, "/n", 1)[0]
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := h.engine.Close(cctx); err != nil { // node A stops, releasing its leases
		t.Fatal(err)
	}
	h.recv.fail.Store(false)

	other := openStore(t, options{postgres: dsn})
	cfg := delivery.Config{Guard: egress.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fast(&cfg)
	b := delivery.New(other, cfg)
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	all := h.waitAt(ev.ID, "/n", 2)
	if string(all[1].body) != string(first.body) || all[1].method != "PATCH" || first.method != "PATCH" {
		t.Errorf("node A sent %s %s, node B %s %s", first.method, first.body, all[1].method, all[1].body)
	}
}

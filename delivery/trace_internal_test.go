package delivery

import (
	"context"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hookd/hookd"
)

// TestUntracedPathAllocatesNothing checks that with tracing off (no
// provider, or a no-op one) the hooks on the publish and attempt paths
// cost no allocation.
func TestUntracedPathAllocatesNothing(t *testing.T) {
	for _, tp := range []*tracer{newTracer(nil), newTracer(noop.NewTracerProvider())} {
		if tp != nil {
			t.Fatal("a tracer was made for a provider that traces nothing")
		}
	}
	var tr *tracer
	ctx := context.Background()
	p := &hookd.Publish{TenantID: "default", Type: "a.b"}
	h := http.Header{}
	allocs := testing.AllocsPerRun(100, func() {
		c, end := tr.publish(ctx, p)
		ev := &hookd.Event{}
		ev.Trace = tr.contextOf(c, p.Trace)
		injectTrace(c, h)
		end(nil, nil)
	})
	if allocs != 0 {
		t.Fatalf("untraced hooks allocate %v times per publish", allocs)
	}
	if len(h) != 0 {
		t.Fatalf("untraced attempt headers %v", h)
	}
}

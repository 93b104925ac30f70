package receive_test

import (
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookd/hookd/internal/servertrace/spantest"
	"github.com/hookd/hookd/receive"
)

const tracedSpec = `{
  "verify": [{"provider": "github", "secret": "s3cret"}],
  "destinations": [
    {"forward": {"url": "RECEIVER/hook", "secret": "` + forwardSecret + `"}},
    {"publish": {"type": "github.push"}}
  ]
}`

func tracedReceive(t *testing.T) (*harness, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	return newHarness(t, map[string]string{"gh": tracedSpec}, func(c *receive.Config) { c.TracerProvider = tp }), exp
}

// TestTraceInboundSpanTree checks the spans of one accepted inbound
// request: a server span named for the source, with verification,
// storage and each destination as children, and the forward's delivery
// continuing the trace under its destination span.
func TestTraceInboundSpanTree(t *testing.T) {
	h, exp := tracedReceive(t)
	r := githubReq([]byte(`{"action":"opened"}`))
	r.URL.Path = "/in/gh"
	expectStatus(t, serve(h.mux, r), http.StatusOK)
	waitFor(t, "the forward", func() bool { return h.got.count() == 1 })
	waitFor(t, "the forward's attempt span", func() bool { return len(spantest.Named(exp, "POST")) == 1 })

	servers := kind(spantest.Named(exp, "POST /in/gh"), trace.SpanKindServer)
	if len(servers) != 1 {
		t.Fatalf("server spans = %d, want 1", len(servers))
	}
	srv := servers[0]
	if v := spantest.Attr(srv, "http.response.status_code").AsInt64(); v != http.StatusOK {
		t.Errorf("server span status code %d, want 200", v)
	}
	if v := spantest.Attr(srv, "hookd.source").AsString(); v != "gh" {
		t.Errorf("hookd.source = %q", v)
	}
	children := map[string]int{}
	var forward tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if s.Parent.SpanID() == srv.SpanContext.SpanID() {
			children[s.Name+" "+spantest.Attr(s, "hookd.destination.kind").AsString()]++
			if spantest.Attr(s, "hookd.destination.kind").AsString() == "forward" {
				forward = s
			}
		}
	}
	want := map[string]int{"hookd.verify ": 1, "hookd.store ": 1, "hookd.destination forward": 1, "hookd.destination publish": 1}
	if len(children) != len(want) {
		t.Fatalf("children of the server span %v, want %v", children, want)
	}
	for k, n := range want {
		if children[k] != n {
			t.Fatalf("children of the server span %v, want %v", children, want)
		}
	}
	if spantest.Attr(forward, "hookd.event.id").AsString() == "" {
		t.Error("the forward's span names no event")
	}

	var attempt tracetest.SpanStub
	for _, s := range kind(spantest.Named(exp, "POST"), trace.SpanKindClient) {
		attempt = s
	}
	if attempt.Parent.SpanID() != forward.SpanContext.SpanID() || attempt.SpanContext.TraceID() != srv.SpanContext.TraceID() {
		t.Fatalf("the forward's attempt span has parent %s, want the forward's destination span %s",
			attempt.Parent.SpanID(), forward.SpanContext.SpanID())
	}
	h.got.mu.Lock()
	tp := h.got.reqs[0].Header.Get("traceparent")
	h.got.mu.Unlock()
	if want := "00-" + srv.SpanContext.TraceID().String() + "-" + attempt.SpanContext.SpanID().String() + "-01"; tp != want {
		t.Errorf("forward carried traceparent %q, want %q", tp, want)
	}
}

// TestTraceInboundRejected marks a failed verification on its span.
func TestTraceInboundRejected(t *testing.T) {
	h, exp := tracedReceive(t)
	r := githubReq([]byte(`{"action":"opened"}`))
	r.Header.Set("X-Hub-Signature-256", "sha256=00")
	r.URL.Path = "/in/gh"
	expectStatus(t, serve(h.mux, r), http.StatusUnauthorized)
	v := spantest.Named(exp, "hookd.verify")
	if len(v) != 1 || v[0].Status.Code != codes.Error || spantest.Attr(v[0], "http.response.status_code").AsInt64() != 401 {
		t.Fatalf("verify spans %+v, want one failed with 401", v)
	}
	if len(spantest.Named(exp, "hookd.store")) != 0 {
		t.Error("a rejected request has a store span")
	}
}

func kind(spans tracetest.SpanStubs, k trace.SpanKind) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range spans {
		if s.SpanKind == k {
			out = append(out, s)
		}
	}
	return out
}

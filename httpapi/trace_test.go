package httpapi_test

import (
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/internal/servertrace/spantest"
)

// tracedHarness is a harness whose API and engine report spans to an
// in-memory exporter.
func tracedHarness(t *testing.T) (*harness, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	h := newHarness(t, options{
		config: func(c *httpapi.Config) { c.TracerProvider = tp },
		engine: func(_ hookd.Store, c *delivery.Config) { c.TracerProvider = tp },
	})
	return h, exp
}

func TestTracePublishSpanTree(t *testing.T) {
	h, exp := tracedHarness(t)
	ep := h.createEndpoint("default", httpapi.EndpointInput{})
	h.recv.failures.Store(1) // the first attempt fails, so a retry is traced too

	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	const callerSpan = "00f067aa0ba902b7"
	ev := decode[httpapi.Event](t, h.do("POST", "/v1/tenants/default/events", `{"type":"order.created","data":{"n":1}}`,
		"traceparent", "00-"+callerTrace+"-"+callerSpan+"-01"), http.StatusAccepted)
	got := h.waitAt(ev.ID, "/hook", 2)
	waitFor(t, "two attempt spans", func() bool { return len(spantest.Named(exp, "POST")) >= 2 })

	apis := spantest.Named(exp, "POST /v1/tenants/{tenant}/events")
	if len(apis) != 1 {
		t.Fatalf("API spans = %d, want 1", len(apis))
	}
	api := apis[0]
	if api.SpanKind != trace.SpanKindServer || api.SpanContext.TraceID().String() != callerTrace ||
		api.Parent.SpanID().String() != callerSpan || !api.Parent.IsRemote() {
		t.Fatalf("API span kind %v trace %s parent %s: want a server span continuing the caller's trace",
			api.SpanKind, api.SpanContext.TraceID(), api.Parent.SpanID())
	}
	if v := spantest.Attr(api, "http.route").AsString(); v != "/v1/tenants/{tenant}/events" {
		t.Errorf("http.route = %q", v)
	}
	if v := spantest.Attr(api, "http.response.status_code").AsInt64(); v != http.StatusAccepted {
		t.Errorf("http.response.status_code = %d, want 202", v)
	}
	if v := spantest.Attr(api, "http.request.method").AsString(); v != "POST" {
		t.Errorf("http.request.method = %q", v)
	}

	pub := onlyChild(t, exp, api, "hookd.publish")
	if pub.SpanKind != trace.SpanKindProducer || spantest.Attr(pub, "hookd.event.id").AsString() != ev.ID {
		t.Fatalf("publish span kind %v event %q, want a producer span of %s", pub.SpanKind, spantest.Attr(pub, "hookd.event.id").AsString(), ev.ID)
	}
	onlyChild(t, exp, pub, "hookd.commit")

	attempts := spantest.Named(exp, "POST")
	for i, a := range attempts[:2] {
		if a.Parent.SpanID() != pub.SpanContext.SpanID() || a.SpanContext.TraceID() != pub.SpanContext.TraceID() {
			t.Fatalf("attempt %d is not a child of the publish span", i+1)
		}
		if a.SpanKind != trace.SpanKindClient || spantest.Attr(a, "hookd.attempt").AsInt64() != int64(i+1) ||
			spantest.Attr(a, "hookd.event.id").AsString() != ev.ID || spantest.Attr(a, "hookd.endpoint.id").AsString() != ep.ID ||
			spantest.Attr(a, "server.address").AsString() != "127.0.0.1" {
			t.Fatalf("attempt %d span: kind %v attributes %v", i+1, a.SpanKind, a.Attributes)
		}
	}
	if a := attempts[0]; a.Status.Code != codes.Error || spantest.Attr(a, "http.response.status_code").AsInt64() != 500 {
		t.Errorf("first attempt: status %v code %d, want an error with 500", a.Status, spantest.Attr(a, "http.response.status_code").AsInt64())
	}
	if a := attempts[1]; a.Status.Code == codes.Error || spantest.Attr(a, "http.response.status_code").AsInt64() != 204 {
		t.Errorf("second attempt: status %v code %d, want 204", a.Status, spantest.Attr(a, "http.response.status_code").AsInt64())
	}

	// The receiver sees the trace in every attempt, the attempt's own span
	// as parent.
	for i, r := range got[:2] {
		sc := parseTraceparent(t, r.header.Get("traceparent"))
		if sc.TraceID().String() != callerTrace {
			t.Errorf("attempt %d: traceparent trace id %s, want %s", i+1, sc.TraceID(), callerTrace)
		}
		if sc.SpanID() != attempts[i].SpanContext.SpanID() {
			t.Errorf("attempt %d: traceparent span id %s, want the attempt span's %s", i+1, sc.SpanID(), attempts[i].SpanContext.SpanID())
		}
	}
}

// onlyChild returns the one span called name whose parent is parent.
func onlyChild(t *testing.T, exp *tracetest.InMemoryExporter, parent tracetest.SpanStub, name string) tracetest.SpanStub {
	t.Helper()
	var out tracetest.SpanStubs
	for _, s := range spantest.Named(exp, name) {
		if s.Parent.SpanID() == parent.SpanContext.SpanID() && s.SpanContext.TraceID() == parent.SpanContext.TraceID() {
			out = append(out, s)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%s spans under %s = %d, want 1", name, parent.Name, len(out))
	}
	return out[0]
}

// parseTraceparent parses a traceparent header value.
func parseTraceparent(t *testing.T, v string) trace.SpanContext {
	t.Helper()
	var tid trace.TraceID
	var sid trace.SpanID
	if len(v) != 55 {
		t.Fatalf("traceparent %q is malformed", v)
	}
	tid, err := trace.TraceIDFromHex(v[3:35])
	if err != nil {
		t.Fatalf("traceparent %q: %v", v, err)
	}
	if sid, err = trace.SpanIDFromHex(v[36:52]); err != nil {
		t.Fatalf("traceparent %q: %v", v, err)
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid})
}

func TestUntracedAPISendsNoTraceparent(t *testing.T) {
	h := newHarness(t, options{})
	h.createEndpoint("default", httpapi.EndpointInput{})
	ev := decode[httpapi.Event](t, h.do("POST", "/v1/tenants/default/events", `{"type":"order.created","data":{"n":1}}`,
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), http.StatusAccepted)
	if r := h.waitReceived(ev.ID); r.header.Get("traceparent") != "" {
		t.Fatalf("traceparent %q sent with tracing off", r.header.Get("traceparent"))
	}
}

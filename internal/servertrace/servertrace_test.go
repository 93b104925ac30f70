package servertrace_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hookd/hookd/internal/servertrace"
)

func TestTracerOfNothing(t *testing.T) {
	if servertrace.Tracer(nil, "x") != nil || servertrace.Tracer(noop.NewTracerProvider(), "x") != nil {
		t.Fatal("a nil or no-op provider must give no tracer")
	}
}

func TestServerSpan(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	tr := servertrace.Tracer(tp, "test")
	for _, status := range []int{204, 503} {
		r := httptest.NewRequest("POST", "http://hooks.example:8443/in/x", nil)
		r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		_, span := servertrace.Start(tr, r)
		servertrace.End(span, status)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("spans = %d", len(spans))
	}
	for i, s := range spans {
		if s.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || !s.Parent.IsRemote() {
			t.Errorf("span %d does not continue the caller's trace", i)
		}
		attrs := map[string]string{}
		for _, kv := range s.Attributes {
			attrs[string(kv.Key)] = kv.Value.Emit()
		}
		if attrs["server.address"] != "hooks.example" || attrs["server.port"] != "8443" || attrs["url.path"] != "/in/x" {
			t.Errorf("span %d attributes %v", i, attrs)
		}
	}
	if spans[0].Status.Code == codes.Error || spans[1].Status.Code != codes.Error {
		t.Errorf("statuses %v %v: only the 503 is an error", spans[0].Status, spans[1].Status)
	}
}

func TestStatusWriter(t *testing.T) {
	rec := httptest.NewRecorder()
	w := &servertrace.StatusWriter{ResponseWriter: rec}
	if w.Wrote() || w.Status() != 200 {
		t.Fatalf("before a write: wrote %v status %d, want false and 200", w.Wrote(), w.Status())
	}
	w.WriteHeader(404)
	w.WriteHeader(500) // the first status counts
	if !w.Wrote() || w.Status() != 404 || w.Unwrap() != rec {
		t.Fatalf("after WriteHeader: wrote %v status %d", w.Wrote(), w.Status())
	}
}

func TestContextOf(t *testing.T) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewInMemoryExporter()))
	if tc := servertrace.ContextOf(t.Context()); !tc.IsZero() {
		t.Fatalf("no span gives %+v", tc)
	}
	ctx, span := tp.Tracer("test").Start(t.Context(), "x")
	defer span.End()
	tc := servertrace.ContextOf(ctx)
	want := "00-" + span.SpanContext().TraceID().String() + "-" + span.SpanContext().SpanID().String() + "-01"
	if tc.Parent != want {
		t.Fatalf("traceparent %q, want %q", tc.Parent, want)
	}
}

// TestServe: end gets the status the handler wrote (200 when it wrote
// none), and 500 for a handler that panicked, whose panic goes on.
func TestServe(t *testing.T) {
	var got int
	end := func(status int) { got = status }
	servertrace.Serve(httptest.NewRecorder(), func(w http.ResponseWriter) { w.WriteHeader(http.StatusTeapot) }, end)
	if got != http.StatusTeapot {
		t.Errorf("status %d, want 418", got)
	}
	servertrace.Serve(httptest.NewRecorder(), func(http.ResponseWriter) {}, end)
	if got != http.StatusOK {
		t.Errorf("status %d with nothing written, want 200", got)
	}
	defer func() {
		if v := recover(); v != "boom" || got != http.StatusInternalServerError {
			t.Errorf("recovered %v with status %d; want the panic to go on after a 500", v, got)
		}
	}()
	servertrace.Serve(httptest.NewRecorder(), func(http.ResponseWriter) { panic("boom") }, end)
}

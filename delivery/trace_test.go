package delivery_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/internal/servertrace/spantest"
)

// TestTraceContinuesFromStore checks that an attempt of a delivery this
// node did not publish (claimed from the store, as after a restart, on
// another node, or for a far retry) continues the trace stored with its
// event: the attempt span is a child of the stored span, and the
// receiver sees the stored trace id.
func TestTraceContinuesFromStore(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	rc := newReceiver(t, func(int, http.ResponseWriter) int { return http.StatusInternalServerError })
	e := newEnv(t, delivery.Config{TracerProvider: tp, PollInterval: 20 * time.Millisecond})
	ep := e.endpoint(rc.URL, nil)

	const traceID, spanID = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	now := time.Now().UTC().Truncate(time.Millisecond)
	data := []byte(`{"n":1}`)
	payload, start := hookd.RenderPayload("order.created", now, data)
	ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: hookd.DefaultTenant, Type: "order.created",
		Payload: payload, Data: payload[start : start+len(data)], CreatedAt: now, Method: http.MethodPost,
		Trace: hookd.TraceContext{Parent: "00-" + traceID + "-" + spanID + "-01", State: "vendor=x"}}
	d := &hookd.Delivery{ID: hookd.NewID(hookd.PrefixDelivery), EventID: ev.ID, EndpointID: ep.ID, TenantID: ev.TenantID,
		Status: hookd.StatusPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	if err := e.store.Commit(context.Background(), &hookd.Batch{Events: []*hookd.EventWrite{{Event: ev, Deliveries: []*hookd.Delivery{d}}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return len(exp.GetSpans()) > 0 })

	s := exp.GetSpans()[0]
	if s.Name != http.MethodPost || spantest.Attr(s, "hookd.attempt").AsInt64() != 1 {
		t.Fatalf("first span %q attempt %d, want the first attempt", s.Name, spantest.Attr(s, "hookd.attempt").AsInt64())
	}
	if s.SpanContext.TraceID().String() != traceID || s.Parent.SpanID().String() != spanID || !s.Parent.IsRemote() {
		t.Fatalf("attempt span trace %s parent %s, want the stored %s/%s", s.SpanContext.TraceID(), s.Parent.SpanID(), traceID, spanID)
	}
	got := rc.requests()[0].header
	if tp := got.Get("traceparent"); !strings.HasPrefix(tp, "00-"+traceID+"-"+s.SpanContext.SpanID().String()) {
		t.Errorf("traceparent %q, want the stored trace with the attempt's span", tp)
	}
	if ts := got.Get("tracestate"); ts != "vendor=x" {
		t.Errorf("tracestate %q, want the stored one", ts)
	}
	if s.Status.Code.String() != "Error" {
		t.Errorf("a 500 answer left the attempt span with status %v", s.Status)
	}
}

// BenchmarkPublishDeliverTraced is BenchmarkPublishDeliver with every
// publish and attempt traced (always sampled) into an exporter that
// discards: the cost of tracing when it is on.
func BenchmarkPublishDeliverTraced(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	benchPublishDeliver(b, delivery.Config{Workers: 64, MaxConcurrency: 64, TracerProvider: tp})
}

// TestTraceTimedOut marks an attempt that got no answer within the
// endpoint's timeout as error.type "timeout".
func TestTraceTimedOut(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	release := make(chan struct{})
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers in time
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(rc.Close)
	t.Cleanup(func() { close(release) })
	e := newEnv(t, delivery.Config{TracerProvider: tp, Schedule: []time.Duration{time.Hour}})
	e.endpoint(rc.URL, func(ep *hookd.Endpoint) { ep.Timeout = 50 * time.Millisecond })
	if _, err := e.engine.Publish(context.Background(), &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "a.b", Data: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	attempt := firstAttemptSpan(t, exp)
	if errType := spantest.Attr(attempt, "error.type").AsString(); errType != "timeout" {
		t.Errorf("error.type = %q, want timeout (status %+v)", errType, attempt.Status)
	}
}

// TestTraceFailedConnection marks an attempt that got no answer as an
// error, with no status code.
func TestTraceFailedConnection(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	rc := newReceiver(t, nil)
	url := rc.URL
	rc.Close() // nothing listens there any more: the connection is refused
	e := newEnv(t, delivery.Config{TracerProvider: tp, Schedule: []time.Duration{time.Hour}})
	e.endpoint(url, nil)
	if _, err := e.engine.Publish(context.Background(), &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "a.b", Data: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	attempt := firstAttemptSpan(t, exp)
	if attempt.Status.Code.String() != "Error" || attempt.Status.Description == "" {
		t.Errorf("attempt status %+v, want an error with its reason", attempt.Status)
	}
	if spantest.Attr(attempt, "http.response.status_code").Type() != attribute.INVALID {
		t.Error("an attempt without an answer has a status code")
	}
	if errType := spantest.Attr(attempt, "error.type").AsString(); errType != "_OTHER" {
		t.Errorf("error.type = %q, want _OTHER", errType)
	}
}

// TestTraceBatchPublish: a batch is one hookd.publish span with its event
// count, the parent of its commit and of every event's attempts.
func TestTraceBatchPublish(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	rc := newReceiver(t, nil)
	e := newEnv(t, delivery.Config{TracerProvider: tp})
	e.endpoint(rc.URL, nil)
	ps := []*hookd.Publish{
		{TenantID: hookd.DefaultTenant, Type: "a.b", Data: []byte(`1`)},
		{TenantID: hookd.DefaultTenant, Type: "a.b", Data: []byte(`2`)},
	}
	if _, err := e.engine.PublishBatch(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	byName := func(name string) []tracetest.SpanStub {
		var out []tracetest.SpanStub
		for _, s := range exp.GetSpans() {
			if s.Name == name {
				out = append(out, s)
			}
		}
		return out
	}
	waitFor(t, 10*time.Second, func() bool { return len(byName(http.MethodPost)) == 2 })
	pubs := byName("hookd.publish")
	if len(pubs) != 1 || spantest.Attr(pubs[0], "hookd.events").AsInt64() != 2 {
		t.Fatalf("publish spans %d (want 1 with hookd.events=2)", len(pubs))
	}
	id := pubs[0].SpanContext.SpanID()
	for _, s := range append(byName("hookd.commit"), byName(http.MethodPost)...) {
		if s.Parent.SpanID() != id {
			t.Errorf("%s span's parent is %s, want the batch's publish span %s", s.Name, s.Parent.SpanID(), id)
		}
	}
}

// firstAttemptSpan waits for the span of a delivery attempt and returns it.
func firstAttemptSpan(t *testing.T, exp *tracetest.InMemoryExporter) tracetest.SpanStub {
	t.Helper()
	var attempt tracetest.SpanStub
	waitFor(t, 10*time.Second, func() bool {
		for _, s := range exp.GetSpans() {
			if s.Name == http.MethodPost {
				attempt = s
				return true
			}
		}
		return false
	})
	return attempt
}

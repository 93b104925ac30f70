package delivery

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/servertrace"
)

// tracer makes the engine's spans: one producer span per publish, a span
// over the wait for its group commit, and one client span per attempt,
// a child of the span its event was published in. A nil *tracer (no
// TracerProvider, or a no-op one) traces nothing and costs a nil check.
type tracer struct {
	t trace.Tracer
}

// newTracer returns the tracer of tp, nil when tp traces nothing.
func newTracer(tp trace.TracerProvider) *tracer {
	t := servertrace.Tracer(tp, "github.com/hookd/hookd/delivery")
	if t == nil {
		return nil
	}
	return &tracer{t: t}
}

// noEnd ends no span: what publish returns when tracing is off, shared so
// that the untraced path allocates nothing.
func noEnd(*hookd.PublishResult, error) {}

// publish starts the span of a publish; the returned function ends it
// with its outcome.
func (t *tracer) publish(ctx context.Context, p *hookd.Publish) (context.Context, func(*hookd.PublishResult, error)) {
	if t == nil {
		return ctx, noEnd
	}
	ctx, span := t.t.Start(ctx, "hookd.publish", trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(servertrace.AttrTenant.String(p.TenantID), servertrace.AttrEventType.String(p.Type)))
	return ctx, func(res *hookd.PublishResult, err error) {
		if res != nil && span.IsRecording() {
			span.SetAttributes(servertrace.AttrEventID.String(res.Event.ID), servertrace.AttrDeliveries.Int(res.Deliveries),
				servertrace.AttrDuplicate.Bool(res.Duplicate))
		}
		servertrace.Fail(span, err)
		span.End()
	}
}

// publishBatch starts the span of a batch publish, the parent of its
// events' deliveries; the returned function ends it with its outcome.
func (t *tracer) publishBatch(ctx context.Context, ps []*hookd.Publish) (context.Context, func(error)) {
	if t == nil {
		return ctx, noEndBatch
	}
	attrs := []attribute.KeyValue{servertrace.AttrEvents.Int(len(ps))}
	if len(ps) > 0 {
		attrs = append(attrs, servertrace.AttrTenant.String(ps[0].TenantID))
	}
	ctx, span := t.t.Start(ctx, "hookd.publish", trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(attrs...))
	return ctx, func(err error) {
		servertrace.Fail(span, err)
		span.End()
	}
}

// noEndBatch is publishBatch's noEnd.
func noEndBatch(error) {}

// commit queues op for the group commit and waits for it, under a span
// covering that wait when tracing.
func (e *Engine) commit(ctx context.Context, op *writeOp) error {
	t := e.cfg.tracer
	if t == nil {
		return e.writer.submit(ctx, op, e.cfg.EnqueueWait)
	}
	ctx, span := t.t.Start(ctx, "hookd.commit", trace.WithSpanKind(trace.SpanKindInternal))
	err := e.writer.submit(ctx, op, e.cfg.EnqueueWait)
	servertrace.Fail(span, err)
	span.End()
	return err
}

// contextOf returns the trace context an event made under ctx carries:
// explicit when set, else ctx's span's. It is zero when tracing is off.
func (t *tracer) contextOf(ctx context.Context, explicit hookd.TraceContext) hookd.TraceContext {
	if t == nil || !explicit.IsZero() {
		return explicit
	}
	return servertrace.ContextOf(ctx)
}

// send makes one attempt of t to tg, under a client span that continues
// the trace its event was published in when tracing.
func (e *Engine) send(t *task, tg *target) attemptResult {
	tr := e.cfg.tracer
	if tr == nil {
		return e.sender.send(e.attemptCtx, t, tg)
	}
	ctx, span := tr.startAttempt(e.attemptCtx, t, tg)
	res := e.sender.send(ctx, t, tg)
	endAttempt(span, res)
	return res
}

func (t *tracer) startAttempt(ctx context.Context, tk *task, tg *target) (context.Context, trace.Span) {
	if tc := tk.ev.Trace; !tc.IsZero() {
		ctx = propagation.TraceContext{}.Extract(ctx, (*servertrace.Carrier)(&tc))
	}
	method := methodOf(tk, tg)
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(method),
		servertrace.AttrAttempt.Int(tk.dlv.Attempts + 1),
		servertrace.AttrEventID.String(tk.ev.ID),
		servertrace.AttrDeliveryID.String(tk.dlv.ID),
		servertrace.AttrEndpointID.String(tg.ep.ID),
	}
	if tk.dlv.TenantID != "" {
		attrs = append(attrs, servertrace.AttrTenant.String(tk.dlv.TenantID))
	}
	if u, err := url.Parse(tg.ep.URL); err == nil {
		attrs = append(attrs, semconv.ServerAddress(u.Hostname()), semconv.URLScheme(u.Scheme))
		if port := portOf(u); port > 0 {
			attrs = append(attrs, semconv.ServerPort(port))
		}
	}
	return t.t.Start(ctx, method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// portOf returns the port a URL is reached on: its own or its scheme's.
func portOf(u *url.URL) int {
	if p := u.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		return n
	}
	switch u.Scheme {
	case "https":
		return 443
	case "http":
		return 80
	}
	return 0
}

// endAttempt ends an attempt's span with its outcome: the response status,
// and an error status when the attempt failed (a transport error or a
// 4xx/5xx answer).
func endAttempt(span trace.Span, res attemptResult) {
	a := res.attempt
	if a.ResponseStatus != 0 {
		span.SetAttributes(semconv.HTTPResponseStatusCode(a.ResponseStatus))
	}
	switch {
	case a.Error != "":
		kind := "_OTHER"
		switch {
		case res.transformFailed:
			kind = "transform"
		case res.timedOut:
			kind = "timeout"
		}
		span.SetAttributes(semconv.ErrorTypeKey.String(kind))
		span.SetStatus(codes.Error, a.Error)
	case a.ResponseStatus >= 400:
		span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(a.ResponseStatus)))
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// injectTrace sets the traceparent and tracestate headers of an outgoing
// attempt from ctx's span; without one (tracing off) it does nothing and
// allocates nothing.
func injectTrace(ctx context.Context, h http.Header) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(h))
}

package receive

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/servertrace"
)

// tracerName is the instrumentation scope of the inbound spans.
const tracerName = "github.com/hookd/hookd/receive"

// ServeHTTP serves the source whose path is the request's path (see
// Registry.Lookup); any other path is answered 404. With a tracer, each
// request is a server span named for its source's path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	src, err := s.cfg.Registry.Lookup(r.URL.Path)
	if s.tracer == nil {
		s.serveSource(w, r, src, err)
		return
	}
	ctx, span := servertrace.Start(s.tracer, r)
	ctx = context.WithValue(ctx, tracerKey{}, s.tracer)
	if err == nil {
		span.SetName(r.Method + " " + src.path)
		span.SetAttributes(semconv.HTTPRoute(src.path), servertrace.AttrSource.String(src.id))
	}
	servertrace.Serve(w, func(sw http.ResponseWriter) { s.serveSource(sw, r.WithContext(ctx), src, err) },
		func(status int) { servertrace.End(span, status) })
}

// tracerKey holds, in a traced request's context, the Server's tracer, so
// that the request's child spans need not ask the provider for it (the
// SDK takes a provider-wide lock for each such lookup).
type tracerKey struct{}

// recordingParent returns a tracer for children of ctx's span, nil when
// that span records nothing (tracing off, or not sampled): then no child
// is made and nothing is allocated.
func recordingParent(ctx context.Context) trace.Tracer {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return nil
	}
	if t, ok := ctx.Value(tracerKey{}).(trace.Tracer); ok {
		return t
	}
	return parent.TracerProvider().Tracer(tracerName) // a span the Server did not start
}

// traceVerify runs verification (see verify) under a "hookd.verify" span
// when the request is traced; a rejection marks it failed.
func (s *Source) traceVerify(rc *reqCtx, raw []byte) ([]string, *handshake, *rejection) {
	t := recordingParent(rc.r.Context())
	if t == nil {
		return s.verify(rc, raw)
	}
	_, span := t.Start(rc.r.Context(), "hookd.verify")
	verified, hs, rej := s.verify(rc, raw)
	if rej != nil {
		span.SetAttributes(semconv.HTTPResponseStatusCode(rej.status))
		span.SetStatus(codes.Error, rej.detail)
	}
	span.End()
	return verified, hs, rej
}

// traceReceive stores an accepted request (see receive) under a
// "hookd.store" span when the request is traced, beside one
// "hookd.destination" span per forward and publish. Each destination's
// span context goes with its event, so that the event's deliveries
// continue the trace under it.
func (s *Server) traceReceive(ctx context.Context, src *Source, in *hookd.Inbound) (string, error) {
	t := recordingParent(ctx)
	if t == nil {
		return s.receive(ctx, src, in)
	}
	dests := make([]trace.Span, 0, len(in.Forwards)+len(in.Publishes))
	for i := range in.Forwards {
		f := &in.Forwards[i]
		var span trace.Span
		f.Trace, span = startDestination(ctx, t, "forward", f.TargetID)
		dests = append(dests, span)
	}
	for _, p := range in.Publishes {
		var span trace.Span
		p.Trace, span = startDestination(ctx, t, "publish", p.TenantID+"/"+p.Type)
		dests = append(dests, span)
	}
	sctx, store := t.Start(ctx, "hookd.store", trace.WithAttributes(servertrace.AttrRequestID.String(in.Request.ID)))
	orig, err := s.receive(sctx, src, in)
	for i, span := range dests {
		if err == nil && orig == "" && i < len(in.EventIDs) {
			span.SetAttributes(servertrace.AttrEventID.String(in.EventIDs[i]))
		}
	}
	for _, span := range append(dests, store) {
		if orig != "" {
			span.SetAttributes(servertrace.AttrDuplicate.Bool(true))
		}
		servertrace.Fail(span, err)
		span.End()
	}
	return orig, err
}

// startDestination starts the span of one destination and returns its
// context in header form, for the destination's event to carry.
func startDestination(ctx context.Context, t trace.Tracer, kind, id string) (hookd.TraceContext, trace.Span) {
	ctx, span := t.Start(ctx, "hookd.destination", trace.WithAttributes(servertrace.AttrDestKind.String(kind), servertrace.AttrDestID.String(id)))
	return servertrace.ContextOf(ctx), span
}

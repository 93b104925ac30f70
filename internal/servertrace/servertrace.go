// Package servertrace holds what hookd's traced HTTP servers (the REST API
// and the inbound receiver) and its engine share: the tracer of a
// provider, the W3C propagator, and server spans with the HTTP semantic
// conventions' attributes.
package servertrace

import (
	"context"
	"net"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hookd/hookd"
)

// Attributes of hookd's own on its spans, one vocabulary for the API, the
// receiver and the engine.
const (
	AttrTenant     = attribute.Key("hookd.tenant")
	AttrEventID    = attribute.Key("hookd.event.id")
	AttrEventType  = attribute.Key("hookd.event.type")
	AttrDeliveryID = attribute.Key("hookd.delivery.id")
	AttrEndpointID = attribute.Key("hookd.endpoint.id")
	AttrAttempt    = attribute.Key("hookd.attempt")
	AttrDeliveries = attribute.Key("hookd.deliveries")
	AttrEvents     = attribute.Key("hookd.events")
	AttrDuplicate  = attribute.Key("hookd.duplicate")
	AttrSource     = attribute.Key("hookd.source")
	AttrRequestID  = attribute.Key("hookd.request.id")
	AttrDestKind   = attribute.Key("hookd.destination.kind")
	AttrDestID     = attribute.Key("hookd.destination.id")
)

// Tracer returns tp's tracer for the instrumentation scope name, or nil
// when tp traces nothing (nil or a no-op provider), so that callers can
// skip tracing with one nil check.
func Tracer(tp trace.TracerProvider, name string) trace.Tracer {
	if tp == nil {
		return nil
	}
	if _, ok := tp.(noop.TracerProvider); ok {
		return nil
	}
	return tp.Tracer(name)
}

// propagator reads W3C traceparent and tracestate, and baggage. It holds
// no state: one value serves every request.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Start starts the server span of r, named for its method until the route
// is known, continuing the caller's trace context when it sends one.
func Start(t trace.Tracer, r *http.Request) (context.Context, trace.Span) {
	ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	return t.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(requestAttributes(r)...))
}

// Fail marks span failed with err, when err is set.
func Fail(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, hookd.ErrorMessage(err))
	}
}

// End records the response status on span, marks a 5xx answer as an
// error, and ends it.
func End(span trace.Span, status int) {
	span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	if status >= 500 {
		span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(status)))
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// Serve runs serve with a StatusWriter over w (w itself when it is one),
// then calls end with the status answered: 500 when serve panicked, and
// the panic goes on after end. It is the body of a traced server handler.
func Serve(w http.ResponseWriter, serve func(http.ResponseWriter), end func(status int)) {
	sw, ok := w.(*StatusWriter)
	if !ok {
		sw = &StatusWriter{ResponseWriter: w}
	}
	defer func() {
		status := sw.Status()
		v := recover()
		if v != nil {
			status = http.StatusInternalServerError
		}
		end(status)
		if v != nil {
			panic(v)
		}
	}()
	serve(sw)
}

// requestAttributes are the HTTP semantic conventions' attributes of a
// server request known before it is served.
func requestAttributes(r *http.Request) []attribute.KeyValue {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(r.Method),
		semconv.URLPath(r.URL.Path),
		semconv.URLScheme(scheme),
		semconv.NetworkProtocolVersion(strconv.Itoa(r.ProtoMajor) + "." + strconv.Itoa(r.ProtoMinor)),
	}
	if host, port, err := net.SplitHostPort(r.Host); err == nil {
		attrs = append(attrs, semconv.ServerAddress(host))
		if n, err := strconv.Atoi(port); err == nil {
			attrs = append(attrs, semconv.ServerPort(n))
		}
	} else if r.Host != "" {
		attrs = append(attrs, semconv.ServerAddress(r.Host))
	}
	if ua := r.UserAgent(); ua != "" {
		attrs = append(attrs, semconv.UserAgentOriginal(ua))
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		attrs = append(attrs, semconv.ClientAddress(host))
	}
	return attrs
}

// Carrier holds a trace context in header form, for the W3C propagator
// (propagation.TraceContext) to write into or read from.
type Carrier hookd.TraceContext

const (
	traceparentHeader = "traceparent"
	tracestateHeader  = "tracestate"
)

// Get implements propagation.TextMapCarrier.
func (c *Carrier) Get(key string) string {
	switch key {
	case traceparentHeader:
		return c.Parent
	case tracestateHeader:
		return c.State
	}
	return ""
}

// Set implements propagation.TextMapCarrier.
func (c *Carrier) Set(key, value string) {
	switch key {
	case traceparentHeader:
		c.Parent = value
	case tracestateHeader:
		c.State = value
	}
}

// Keys implements propagation.TextMapCarrier.
func (c *Carrier) Keys() []string { return []string{traceparentHeader, tracestateHeader} }

var _ propagation.TextMapCarrier = (*Carrier)(nil)

// ContextOf returns the trace context of ctx's span in header form, for an
// event to carry; zero when ctx has no span.
func ContextOf(ctx context.Context) hookd.TraceContext {
	var c Carrier
	propagation.TraceContext{}.Inject(ctx, &c)
	return hookd.TraceContext(c)
}

// StatusWriter remembers the status written through it.
type StatusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

// WriteHeader implements http.ResponseWriter.
func (w *StatusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.code, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Wrote reports whether the response has started.
func (w *StatusWriter) Wrote() bool { return w.wrote }

// Status is the status written, 200 when nothing was.
func (w *StatusWriter) Status() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.code
}

package httpapi

import (
	"net"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// propagator reads the caller's trace context: W3C traceparent and
// tracestate, and baggage.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// traced wraps next in a server span per request when the config's
// TracerProvider traces; otherwise it returns next as it is, so that an
// untraced API pays nothing. It runs inside observe, whose reqInfo names
// the matched route once the mux has routed the request.
func (s *Server) traced(next http.Handler) http.Handler {
	tp := s.cfg.TracerProvider
	if tp == nil {
		return next
	}
	if _, ok := tp.(noop.TracerProvider); ok {
		return next
	}
	tracer := tp.Tracer("github.com/hookd/hookd/httpapi")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(requestAttributes(r)...))
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		r = r.WithContext(ctx)
		defer func() {
			status := sw.status()
			v := recover()
			if v != nil {
				status = http.StatusInternalServerError
			}
			endServerSpan(span, infoOf(r).pattern, status)
			if v != nil {
				panic(v)
			}
		}()
		next.ServeHTTP(sw, r)
	})
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

// endServerSpan names the span for its route ("POST
// /v1/tenants/{tenant}/events"; the method alone when no route matched),
// records the status, marks 5xx answers as errors, and ends it.
func endServerSpan(span trace.Span, pattern string, status int) {
	if pattern != "" {
		span.SetName(pattern)
		if _, path, ok := strings.Cut(pattern, " "); ok {
			span.SetAttributes(semconv.HTTPRoute(path))
		}
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	if status >= 500 {
		span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(status)))
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

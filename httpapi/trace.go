package httpapi

import (
	"net/http"
	"strings"

	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookd/hookd/internal/servertrace"
)

// traced wraps next in a server span per request when the config's
// TracerProvider traces; otherwise it returns next as it is, so that an
// untraced API pays nothing. It runs inside observe, whose reqInfo names
// the matched route once the mux has routed the request.
func (s *Server) traced(next http.Handler) http.Handler {
	tracer := servertrace.Tracer(s.cfg.TracerProvider, "github.com/hookd/hookd/httpapi")
	if tracer == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := servertrace.Start(tracer, r)
		r = r.WithContext(ctx)
		servertrace.Serve(w, func(sw http.ResponseWriter) { next.ServeHTTP(sw, r) },
			func(status int) { endServerSpan(span, infoOf(r).pattern, status) })
	})
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
	servertrace.End(span, status)
}

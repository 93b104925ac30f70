package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// newTracerProvider returns the tracer provider that the standard
// OpenTelemetry environment variables ask for, and the function that
// flushes and stops it. Tracing is off (a no-op provider, which the
// engine, the API and the inbound server recognise and skip at no cost)
// unless OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT
// is set, and off again when OTEL_SDK_DISABLED=true or
// OTEL_TRACES_EXPORTER=none. Everything else — the protocol, headers,
// timeout, compression and TLS of the exporter (OTEL_EXPORTER_OTLP_*),
// the sampler (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG), the batch
// processor (OTEL_BSP_*) and the resource (OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES) — is read by the OpenTelemetry SDK as the
// specification says; service.name defaults to "hookd".
//
// The only global it sets is OpenTelemetry's error handler, so that a
// failed export is logged through logger rather than the SDK's own
// logger.
func newTracerProvider(ctx context.Context, logger *slog.Logger) (trace.TracerProvider, func(context.Context) error, error) {
	off := func(context.Context) error { return nil }
	exp, err := newSpanExporter(ctx)
	if err != nil || exp == nil {
		return noop.NewTracerProvider(), off, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("hookd"), semconv.ServiceVersion(versionString())),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // last, so that OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: resource: %w", err)
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing", "err", err)
	}))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return tp, tp.Shutdown, nil
}

// newSpanExporter returns the OTLP exporter the environment configures,
// nil when tracing is off.
func newSpanExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return nil, nil
	}
	switch e := strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")); e {
	case "", "otlp":
	case "none":
		return nil, nil
	default:
		return nil, fmt.Errorf("tracing: OTEL_TRACES_EXPORTER=%q is not supported: hookd exports traces with otlp, or none", e)
	}
	if os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" {
		return nil, nil
	}
	proto := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch proto {
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("tracing: OTLP protocol %q is not supported: use http/protobuf or grpc", proto)
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP %s exporter: %w", proto, err)
	}
	return exp, nil
}

// startTracing sets the node's tracer provider from the environment (see
// newTracerProvider). Its spans are flushed when the node closes, after
// everything else has stopped; a flush that fails is logged, as tracing
// never fails hookd.
func (n *node) startTracing(ctx context.Context, logger *slog.Logger) error {
	tp, stop, err := newTracerProvider(ctx, logger)
	if err != nil {
		return err
	}
	n.tracer = tp
	n.onClose(func(ctx context.Context) error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tracingFlushTimeout)
		defer cancel()
		if err := stop(sctx); err != nil {
			logger.Warn("tracing: flush spans", "err", err)
		}
		return nil
	})
	return nil
}

// tracingFlushTimeout bounds the export of the last spans at shutdown.
const tracingFlushTimeout = 5 * time.Second

package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// otelVars are the variables these tests set; each test starts with all
// of them empty, so that the machine's environment cannot leak in.
var otelVars = []string{
	"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
	"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
}

func clearOTel(t *testing.T, set ...string) {
	t.Helper()
	for _, k := range otelVars {
		t.Setenv(k, "")
	}
	for i := 0; i+1 < len(set); i += 2 {
		t.Setenv(set[i], set[i+1])
	}
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestTracingOff(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"no endpoint", nil},
		{"no endpoint, a service name", []string{"OTEL_SERVICE_NAME", "svc"}},
		{"sdk disabled", []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", "OTEL_SDK_DISABLED", "TRUE"}},
		{"exporter none", []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/v1/traces", "OTEL_TRACES_EXPORTER", "none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearOTel(t, tc.env...)
			tp, stop, err := newTracerProvider(context.Background(), quietLog)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := tp.(noop.TracerProvider); !ok {
				t.Fatalf("provider %T, want the no-op provider", tp)
			}
			if err := stop(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestTracingRefusesWhatItCannotExport(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		env        []string
	}{
		{"http/json", "http/json", []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}},
		{"zipkin", "zipkin", []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", "OTEL_TRACES_EXPORTER", "zipkin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearOTel(t, tc.env...)
			_, _, err := newTracerProvider(context.Background(), quietLog)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
}

// collector is a loopback OTLP/HTTP receiver of traces.
type collector struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
	reqs  []*coltracepb.ExportTraceServiceRequest
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(b, &req) != nil {
			http.Error(w, "not an OTLP export", http.StatusBadRequest)
			return
		}
		c.add(r.URL.Path, &req)
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *collector) add(path string, req *coltracepb.ExportTraceServiceRequest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paths, c.reqs = append(c.paths, path), append(c.reqs, req)
}

// spans returns the names of the spans received, and the service.name
// of their resources.
func (c *collector) spans() (names, services []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return spanNames(c.reqs)
}

func spanNames(reqs []*coltracepb.ExportTraceServiceRequest) (names, services []string) {
	for _, req := range reqs {
		for _, rs := range req.ResourceSpans {
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.Key == "service.name" {
					services = append(services, kv.GetValue().GetStringValue())
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					names = append(names, s.Name)
				}
			}
		}
	}
	return names, services
}

func exportOneSpan(t *testing.T) {
	t.Helper()
	tp, stop, err := newTracerProvider(context.Background(), quietLog)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tp.(noop.TracerProvider); ok {
		t.Fatal("tracing is off with an endpoint set")
	}
	_, span := tp.Tracer("test").Start(context.Background(), "one span")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestTracingExportsOverHTTP(t *testing.T) {
	t.Run("OTEL_EXPORTER_OTLP_ENDPOINT", func(t *testing.T) {
		c := newCollector(t)
		clearOTel(t, "OTEL_EXPORTER_OTLP_ENDPOINT", c.URL, "OTEL_SERVICE_NAME", "hookd-test")
		exportOneSpan(t)
		names, services := c.spans()
		if !slices.Equal(names, []string{"one span"}) || !slices.Equal(services, []string{"hookd-test"}) ||
			!slices.Equal(c.paths, []string{"/v1/traces"}) {
			t.Fatalf("collector got spans %q of %q at %q", names, services, c.paths)
		}
	})
	t.Run("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", func(t *testing.T) {
		c := newCollector(t)
		clearOTel(t, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", // the traces endpoint wins
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", c.URL+"/custom/traces", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
		exportOneSpan(t)
		names, services := c.spans()
		if !slices.Equal(names, []string{"one span"}) || !slices.Equal(services, []string{"hookd"}) ||
			!slices.Equal(c.paths, []string{"/custom/traces"}) {
			t.Fatalf("collector got spans %q of %q at %q", names, services, c.paths)
		}
	})
}

// grpcCollector is a loopback OTLP/gRPC receiver of traces.
type grpcCollector struct {
	coltracepb.UnimplementedTraceServiceServer
	mu   sync.Mutex
	reqs []*coltracepb.ExportTraceServiceRequest
}

func (g *grpcCollector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reqs = append(g.reqs, req)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func TestTracingExportsOverGRPC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &grpcCollector{}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, g)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	clearOTel(t, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+ln.Addr().String(), "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc",
		"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
	exportOneSpan(t)
	g.mu.Lock()
	defer g.mu.Unlock()
	names, services := spanNames(g.reqs)
	if !slices.Equal(names, []string{"one span"}) || !slices.Equal(services, []string{"hookd"}) {
		t.Fatalf("collector got spans %q of %q", names, services)
	}
	var env string
	for _, kv := range g.reqs[0].ResourceSpans[0].GetResource().GetAttributes() {
		if kv.Key == "deployment.environment.name" {
			env = kv.GetValue().GetStringValue()
		}
	}
	if env != "test" {
		t.Errorf("OTEL_RESOURCE_ATTRIBUTES not applied: deployment.environment.name = %q", env)
	}
}

// TestServeTracesFromEnvironment starts a node with an OTLP endpoint in
// the environment, publishes an event, and checks that the node's spans
// reach the collector once it closes.
func TestServeTracesFromEnvironment(t *testing.T) {
	c := newCollector(t)
	clearOTel(t, "OTEL_EXPORTER_OTLP_ENDPOINT", c.URL)
	n := startTestNode(t, "")
	status, _, body := n.do("POST", "/v1/tenants/default/events", `{"type":"order.created","data":{"n":1}}`)
	if status != http.StatusAccepted {
		t.Fatalf("publish: %d %s", status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.close(ctx); err != nil {
		t.Fatal(err)
	}
	names, _ := c.spans()
	for _, want := range []string{"POST /v1/tenants/{tenant}/events", "hookd.publish", "hookd.commit"} {
		if !slices.Contains(names, want) {
			t.Errorf("no %q span among %q", want, names)
		}
	}
}

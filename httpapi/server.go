package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/internal/servertrace"
)

// Config configures a Server. The zero value of each optional field means
// its documented default.
type Config struct {
	// Store keeps the API's resources. Required.
	Store hookd.Store
	// Engine publishes, tests and re-queues events. Required.
	Engine hookd.Engine
	// Logger receives internal errors (never API keys or secrets).
	// Default: slog.Default().
	Logger *slog.Logger
	// URLCheckFunc, when set, vets every endpoint URL that is created or
	// changed (the SSRF guard's literal-address check). It returns an
	// EINVALID *hookd.Error pointing at /url; any other error is shown as
	// a 422 on /url too. Default: none.
	URLCheckFunc func(rawURL string) error
	// SourceCheckFunc, when set, vets every source created or changed
	// before it is stored; it returns an EINVALID *hookd.Error whose
	// fields point into the source (422). Default: none.
	SourceCheckFunc func(src *hookd.Source) error
	// SourcesChangedFunc, when set, is called after a source is created,
	// changed or deleted, so that it takes effect at once. Default: none.
	SourcesChangedFunc func()
	// ReplayFunc serves POST /v1/sources/{id}/requests/{rid}/replay: it
	// routes a stored request again and returns the new request's id and
	// the events it made. Default: none (the route answers 404).
	ReplayFunc func(ctx context.Context, sourceID, requestID string) (newRequestID string, eventIDs []string, err error)
	// RetryJobsChangedFunc, when set, is called after a bulk retry of
	// deliveries is created, so that this node's runner starts it at once
	// rather than at its next poll. Default: none.
	RetryJobsChangedFunc func()
	// MaxBody caps a request body; a larger one is 413. Default 1 MiB.
	MaxBody int64
	// MaxBatchBody caps the body of a batch publish (POST
	// …/events/batch), whose events are each capped at MaxBody; a larger
	// one is 413. Default DefaultMaxBatchBody (1000 events of about
	// 8 KiB), and never less than MaxBody.
	MaxBatchBody int64
	// MaxInFlight caps the requests served at once; beyond it the server
	// answers 503 with Retry-After at once. Default 4096.
	MaxInFlight int
	// NowFunc is the clock. Default time.Now.
	NowFunc func() time.Time
	// Registry, when set, receives request metrics labelled by route
	// pattern and status. Default: none.
	Registry prometheus.Registerer
	// TracerProvider, when set, receives a server span per request, named
	// for its route, continuing the caller's traceparent. Default: none,
	// nothing is traced.
	TracerProvider trace.TracerProvider
	// Catalog, when set, is invalidated whenever an event type changes
	// and serves the webhooks of /openapi.json and /docs. Default: none
	// (those read the store).
	Catalog *catalog.Catalog
	// Version is hookd's version, shown in the OpenAPI document and as
	// the User-Agent of /docs' examples. Default "devel".
	Version string
	// BootstrapKey, when set, is an admin API key held in memory only
	// (compared in constant time, never stored): the operator's
	// configured api_key. Default none.
	BootstrapKey string
	// SourceSecrets lists where a source's spec carries secrets, as JSON
	// Pointers whose "*" matches any array index or member name (see
	// hookd.SourceSecretPointers). Reads show those members redacted, and
	// an update that leaves one out keeps the stored value. Default
	// hookd.SourceSecretPointers().
	SourceSecrets []string
	// DefaultPayload is the payload of endpoints that set none (the
	// delivery.payload key): endpoints show it, and the webhooks of
	// /openapi.json and /docs are documented through it. Default: the
	// envelope.
	DefaultPayload hookd.PayloadSpec
	// EndpointCheckFunc, when set, vets an endpoint's filter and
	// transform before it is stored; it returns an EINVALID *hookd.Error
	// whose fields point into the endpoint (422). Default: none.
	EndpointCheckFunc func(e *hookd.Endpoint) error
	// TransformTestFunc serves POST …/endpoints/{id}/transform/test: it
	// runs code (the endpoint's own when empty) on a sample event for the
	// endpoint. Default: none (the route answers 404).
	TransformTestFunc func(ctx context.Context, ep *hookd.Endpoint, code string, sample *hookd.Publish) (*hookd.TransformResult, error)
}

// Defaults.
const (
	DefaultMaxBody      = 1 << 20
	DefaultMaxBatchBody = 8 << 20
	DefaultMaxInFlight  = 4096
)

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.MaxBatchBody <= 0 {
		c.MaxBatchBody = DefaultMaxBatchBody
	}
	c.MaxBatchBody = max(c.MaxBatchBody, c.MaxBody)
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.Version == "" {
		c.Version = "devel"
	}
	if c.NowFunc == nil {
		c.NowFunc = time.Now
	}
	if c.SourceSecrets == nil {
		c.SourceSecrets = hookd.SourceSecretPointers()
	}
	return c
}

// Server is the REST API. Build it with New; it is safe for concurrent
// use.
type Server struct {
	cfg     Config
	store   hookd.Store
	engine  hookd.Engine
	logger  *slog.Logger
	sem     chan struct{}
	keys    *keyCache
	access  *accessState
	metrics *metrics
	mux     *http.ServeMux
	routes  []string
	handler http.Handler
}

// New returns a server over cfg.Store and cfg.Engine, which must be set.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:     cfg,
		store:   cfg.Store,
		engine:  cfg.Engine,
		logger:  cfg.Logger,
		sem:     make(chan struct{}, cfg.MaxInFlight),
		keys:    newKeyCache(keyCacheSize, keyCacheTTL),
		access:  newAccessState(cfg),
		metrics: newMetrics(cfg.Registry),
		mux:     http.NewServeMux(),
	}
	s.eventTypeRoutes()
	s.tenantRoutes()
	s.endpointRoutes()
	s.eventRoutes()
	s.deliveryRoutes()
	s.sourceRoutes()
	s.apiKeyRoutes()
	s.portalRoutes()
	s.handler = s.observe(s.traced(s.limit(http.HandlerFunc(s.serveV1))))
	return s
}

// Handler returns the handler of everything under /v1/. Other paths are
// 404: mount it beside the handlers of /healthz, /metrics and the rest.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns the route patterns the server serves, such as
// "GET /v1/tenants/{tenant}", in registration order: for checking the
// OpenAPI document against them.
func (s *Server) Routes() []string { return slices.Clone(s.routes) }

func (s *Server) now() time.Time { return s.cfg.NowFunc() }

// handlerFunc is a route handler; an error it returns is answered as
// problem+json, provided it wrote nothing yet.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := s.authorize(r, pattern); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// reqInfo is what the middleware learns about a request as it goes down,
// for the layers above it (metrics, logs, idempotency scope).
type reqInfo struct {
	pattern string    // the matched route, "" before routing or when none matched
	caller  principal // who the API key acts as, once authenticated
}

type reqInfoKey struct{}

func infoOf(r *http.Request) *reqInfo {
	ri, _ := r.Context().Value(reqInfoKey{}).(*reqInfo)
	if ri == nil {
		return &reqInfo{}
	}
	return ri
}

// routeOf names the request's route for logs and metrics, with bounded
// cardinality.
func routeOf(r *http.Request) string {
	if p := infoOf(r).pattern; p != "" {
		return p
	}
	return "unmatched"
}

// observe records metrics and turns a panic into a 500 problem.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{}
		r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, ri))
		sw := &servertrace.StatusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				if !sw.Wrote() {
					s.writeError(sw, r, fmt.Errorf("panic: %v", v))
				} else {
					s.logger.ErrorContext(r.Context(), "panic after response started", "route", routeOf(r), "panic", v)
				}
			}
			s.metrics.observe(routeOf(r), sw.Status(), time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

// limit answers 503 at once when MaxInFlight requests are being served.
func (s *Server) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
			next.ServeHTTP(w, r)
		default:
			s.writeError(w, r, errorf(hookd.EUNAVAILABLE, "the server is saturated: retry later"))
		}
	})
}

// serveV1 authenticates, caps the body and routes.
func (s *Server) serveV1(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1" && !strings.HasPrefix(r.URL.Path, "/v1/") {
		s.writeError(w, r, errorf(hookd.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path))
		return
	}
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	infoOf(r).caller = p
	s.route(w, r)
}

// route caps the body and serves r through the mux, answering its 404
// and 405 as problems.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	limit := s.cfg.MaxBody
	if pattern == batchRoute {
		limit = s.cfg.MaxBatchBody
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if pattern != "" {
		infoOf(r).pattern = pattern
		s.mux.ServeHTTP(w, r)
		return
	}
	rec := newRecorder()
	h.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		s.writeError(w, r, errorf(hookd.EMETHOD, "method %s is not allowed on %s; allowed: %s",
			r.Method, r.URL.Path, rec.header.Get("Allow")))
		return
	}
	s.writeError(w, r, errorf(hookd.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path))
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
	return nil
}

// created answers 201 with v and a Location.
func created(w http.ResponseWriter, location string, v any) error {
	w.Header().Set("Location", location)
	return writeJSON(w, http.StatusCreated, v)
}

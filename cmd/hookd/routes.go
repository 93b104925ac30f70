package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookd/hookd"
)

// readyTimeout bounds the store ping of GET /readyz.
const readyTimeout = time.Second

// pinger is what GET /readyz needs of the store.
type pinger interface {
	Ping(ctx context.Context) error
}

// handlerOptions is what newHandler serves.
type handlerOptions struct {
	Store pinger
	// API serves everything under /v1/ and sees the full path
	// ("/v1/tenants"). Nil: /v1/ is not served.
	API http.Handler
	// Inbound serves the sources, each at its path (/in/{id} by default),
	// without the API key: every path no other route takes. Nil: not
	// served.
	Inbound http.Handler
	// OpenAPI serves GET /openapi.json and Docs GET /docs, without the
	// API key. Nil: not served.
	OpenAPI, Docs http.Handler
	// Registry is served on GET /metrics.
	Registry *prometheus.Registry
	// MetricsAuth, when set, guards GET /metrics.
	MetricsAuth func(http.Handler) http.Handler
	Logger      *slog.Logger
}

// newHandler routes the server's requests: the operational endpoints
// (/healthz, /readyz, /metrics) and the API under /v1/.
func newHandler(o handlerOptions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /readyz", readyz(o.Store, o.Logger))
	var metrics http.Handler = promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{
		Registry: o.Registry, // counts its own errors
		ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	})
	if o.MetricsAuth != nil {
		metrics = o.MetricsAuth(metrics)
	}
	mux.Handle("GET /metrics", metrics)
	if o.API != nil {
		mux.Handle("/v1/", o.API) // it bounds its own requests in flight
	}
	if o.OpenAPI != nil {
		mux.Handle("GET /openapi.json", o.OpenAPI)
	}
	if o.Docs != nil {
		mux.Handle("GET /docs", o.Docs)
	}
	if o.Inbound != nil {
		// Every method and every path the routes above do not take: the
		// server answers 404 for a path no source has, 405 for a method
		// the source does not accept.
		mux.Handle("/", o.Inbound)
	}
	return mux
}

// newReceiveHandler routes the dedicated inbound listener: the sources
// (a source at "/" owns the root) and GET /healthz.
func newReceiveHandler(inbound http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("/", inbound)
	return mux
}

// newRegistry returns the registry of this process's metrics, with the Go
// runtime and process collectors. It is not the global default registry,
// so that nothing registers into it by accident.
func newRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)
	return r
}

// readyz answers 200 when the store answers a ping within readyTimeout,
// else 503. It does not wait for a ping that ignores its context.
func readyz(store pinger, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- store.Ping(ctx) }()
		var err error
		select {
		case err = <-done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			logger.Warn("not ready: store ping failed", "err", err)
			writeProblem(w, http.StatusServiceUnavailable, hookd.EUNAVAILABLE, "the store is not answering")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
}

func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Code: code,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

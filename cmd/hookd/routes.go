package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookd/hookd/internal/problem"
	"github.com/hookd/hookd/receive"
)

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
	// UI serves the dashboard under /ui/, and GET / sends browsers there.
	// Nil: not served.
	UI http.Handler
	// Registry is served on GET /metrics.
	Registry *prometheus.Registry
	// MetricsAuthFunc, when set, guards GET /metrics.
	MetricsAuthFunc func(http.Handler) http.Handler
	Logger          *slog.Logger
	// NowFunc is the clock of the write check of /readyz. Default
	// time.Now.
	NowFunc func() time.Time
}

// newHandler routes the server's requests: the operational endpoints
// (/healthz, /readyz, /metrics) and the API under /v1/.
func newHandler(o handlerOptions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /readyz", newReadiness(o.Store, o.Logger, o.NowFunc))
	var metrics http.Handler = promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{
		Registry: o.Registry, // counts its own errors
		ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	})
	if o.MetricsAuthFunc != nil {
		metrics = o.MetricsAuthFunc(metrics)
	}
	mux.Handle("GET /metrics", metrics)
	if o.API != nil {
		mux.Handle("/v1/", o.API) // it bounds its own requests in flight
		mux.Handle("/v1", o.API)  // answered by the API (401 or 404), not redirected
	}
	if o.OpenAPI != nil {
		mux.Handle("GET /openapi.json", o.OpenAPI)
	}
	if o.Docs != nil {
		mux.Handle("GET /docs", o.Docs)
	}
	if o.UI != nil {
		mux.Handle("/ui/", o.UI)
		mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	}
	if o.Inbound == nil {
		return problemRoutes(mux)
	}
	return withSources(mux, o.Inbound, receive.ReservedPaths())
}

// newReceiveHandler routes the dedicated inbound listener: the sources
// (a source at "/" owns the root) and GET /healthz.
func newReceiveHandler(inbound http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return withSources(mux, inbound, []string{"/healthz"})
}

// withSources serves mux's routes (through problemRoutes), and every
// other canonical path outside own — hookd's own routes, with a trailing
// "/" for a subtree — with inbound, which serves the source at that path
// (every method: the source answers 405 itself) or answers 404.
func withSources(mux *http.ServeMux, inbound http.Handler, own []string) http.Handler {
	routes := problemRoutes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if _, pattern := mux.Handler(r); pattern == "" && canonicalPath(p) == p && !ownRoute(p, own) {
			inbound.ServeHTTP(w, r)
			return
		}
		routes.ServeHTTP(w, r)
	})
}

func ownRoute(p string, own []string) bool {
	for _, o := range own {
		if p == strings.TrimSuffix(o, "/") || (strings.HasSuffix(o, "/") && strings.HasPrefix(p, o)) {
			return true
		}
	}
	return false
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

func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	problem.Write(w, problem.New(status, code, detail))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

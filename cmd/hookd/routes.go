package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
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
	// Registry is served on GET /metrics.
	Registry *prometheus.Registry
	// MaxInflight bounds the API requests served at once; more are
	// answered 503 with Retry-After.
	MaxInflight int
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
		mux.Handle("/v1/", limitInflight(o.MaxInflight, o.API))
	}
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

// limitInflight serves at most n requests at once; the others are answered
// at once with 503 and Retry-After rather than queued, so that a saturated
// server sheds load instead of growing without bound.
func limitInflight(n int, next http.Handler) http.Handler {
	sem := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
			next.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", "1")
			writeProblem(w, http.StatusServiceUnavailable, hookd.EUNAVAILABLE, "too many requests in flight; retry later")
		}
	})
}

// requireBearer admits requests carrying "Authorization: Bearer key". It
// fails closed: with an empty key every request is refused. The key is
// compared in constant time, through its hash so that its length does not
// leak either.
func requireBearer(key string) func(http.Handler) http.Handler {
	want := sha256.Sum256([]byte(key))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			got := sha256.Sum256([]byte(token))
			if !ok || key == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hookd"`)
				writeProblem(w, http.StatusUnauthorized, hookd.EUNAUTHORIZED, "a valid API key is required")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
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

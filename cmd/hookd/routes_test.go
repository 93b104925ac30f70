package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/internal/problem"
)

// pingFunc is a pinger made of a function.
type pingFunc func(ctx context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

var pingOK = pingFunc(func(context.Context) error { return nil })

func testHandler(o handlerOptions) http.Handler {
	if o.Store == nil {
		o.Store = pingOK
	}
	if o.Registry == nil {
		o.Registry = newRegistry()
	}
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return newHandler(o)
}

func serveRequest(h http.Handler, method, path string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// checkProblem checks that rec holds a problem+json document with status
// and code.
func checkProblem(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d", rec.Code, status)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problem.Doc
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if p.Status != status || p.Code != code || p.Title != http.StatusText(status) || p.Type == "" {
		t.Errorf("problem = %+v, want status %d code %q", p, status, code)
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	// /healthz answers while the process runs, even if the store is down.
	h := testHandler(handlerOptions{Store: pingFunc(func(context.Context) error { return errors.New("down") })})
	rec := serveRequest(h, http.MethodGet, "/healthz", nil)
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
		t.Errorf("GET /healthz = %d %q", rec.Code, rec.Body)
	}
	if rec := serveRequest(h, http.MethodPost, "/healthz", nil); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", rec.Code)
	}
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	tests := []struct {
		name string
		ping pingFunc
		want int
	}{
		{"store answers", pingOK, http.StatusOK},
		{"store fails", func(context.Context) error { return errors.New("disk on fire") }, http.StatusServiceUnavailable},
		{"store slow", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, http.StatusServiceUnavailable},
		{"store ignores its context", func(context.Context) error { <-stuck; return nil }, http.StatusServiceUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := serveRequest(testHandler(handlerOptions{Store: tc.ping}), http.MethodGet, "/readyz", nil)
			if tc.want == http.StatusOK {
				if rec.Code != http.StatusOK {
					t.Errorf("GET /readyz = %d %q", rec.Code, rec.Body)
				}
				return
			}
			checkProblem(t, rec, tc.want, hookd.EUNAVAILABLE)
			if strings.Contains(rec.Body.String(), "disk on fire") {
				t.Errorf("the internal error leaked into the response")
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	open := testHandler(handlerOptions{})
	rec := serveRequest(open, http.MethodGet, "/metrics", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "go_goroutines ") {
		t.Errorf("GET /metrics = %d, has go_goroutines: %v", rec.Code, strings.Contains(rec.Body.String(), "go_goroutines"))
	}

}

func TestAPIMount(t *testing.T) {
	t.Parallel()
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "api saw "+r.URL.Path)
	})
	rec := serveRequest(testHandler(handlerOptions{API: api}), http.MethodPost, "/v1/tenants/acme/events", nil)
	if rec.Code != http.StatusOK || rec.Body.String() != "api saw /v1/tenants/acme/events" {
		t.Errorf("POST /v1/… = %d %q", rec.Code, rec.Body)
	}
	if rec := serveRequest(testHandler(handlerOptions{}), http.MethodGet, "/v1/tenants", nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET /v1/tenants without an API = %d, want 404", rec.Code)
	}
}

func TestHTTPServerTimeouts(t *testing.T) {
	t.Parallel()
	c := config.Default().Server
	c.ReadHeaderTimeout = hookd.Duration(time.Second)
	c.IdleTimeout = hookd.Duration(time.Minute)
	srv := newHTTPServer(c, http.NotFoundHandler(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	got := []time.Duration{srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout}
	want := []time.Duration{time.Second, 30 * time.Second, 30 * time.Second, time.Minute}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("timeouts = %v, want %v", got, want)
			break
		}
	}
}

package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// scripted is an API stand-in that fails its first `fail` requests with
// status (0: drops the connection), then answers ok.
func scripted(t *testing.T, fail int32, status int, ok string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
		if n.Add(1) <= fail {
			if status == 0 {
				conn, _, _ := http.NewResponseController(w).Hijack()
				_ = conn.Close()
				return
			}
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"type":"x","title":"t","status":` + strconv.Itoa(status) + `,"code":"unavailable","detail":"busy"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(ok))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func fastClient(url string) *httpapi.Client {
	return httpapi.NewClient(url, "k", httpapi.WithBackoff(time.Millisecond, 5*time.Millisecond))
}

func TestClientRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const event = `{"id":"evt_1","tenant":"t","type":"a.b","data":{},"created_at":"2024-01-01T00:00:00Z"}`
	t.Run("GET retried on 503", func(t *testing.T) {
		srv, n := scripted(t, 2, 503, `{"id":"t"}`)
		ten, err := fastClient(srv.URL).GetTenant(ctx, "t")
		if err != nil || ten.ID != "t" || n.Load() != 3 {
			t.Fatalf("GetTenant = %+v, %v after %d requests", ten, err, n.Load())
		}
	})
	t.Run("GET retried on a dropped connection", func(t *testing.T) {
		srv, n := scripted(t, 1, 0, `{"id":"t"}`)
		if _, err := fastClient(srv.URL).GetTenant(ctx, "t"); err != nil || n.Load() != 2 {
			t.Fatalf("GetTenant: %v after %d requests", err, n.Load())
		}
	})
	t.Run("publish without a key is sent once", func(t *testing.T) {
		srv, n := scripted(t, 1, 503, event)
		_, err := fastClient(srv.URL).Publish(ctx, "t", "a.b", map[string]any{})
		var p *httpapi.Problem
		if !errors.As(err, &p) || p.Status != 503 || p.Code != hookd.EUNAVAILABLE || n.Load() != 1 {
			t.Fatalf("Publish: %v after %d requests", err, n.Load())
		}
	})
	t.Run("publish with a key is retried", func(t *testing.T) {
		srv, n := scripted(t, 2, 502, event)
		ev, err := fastClient(srv.URL).Publish(ctx, "t", "a.b", map[string]any{}, httpapi.WithIdempotencyKey("k1"))
		if err != nil || ev.ID != "evt_1" || n.Load() != 3 {
			t.Fatalf("Publish = %+v, %v after %d requests", ev, err, n.Load())
		}
	})
	t.Run("gives up after the retries", func(t *testing.T) {
		srv, n := scripted(t, 100, 500, "")
		c := httpapi.NewClient(srv.URL, "k", httpapi.WithRetries(2), httpapi.WithBackoff(time.Millisecond, time.Millisecond))
		err := c.DeleteTenant(ctx, "t")
		if hookd.ErrorCode(err) != hookd.EUNAVAILABLE || n.Load() != 3 {
			t.Fatalf("DeleteTenant: %v after %d requests", err, n.Load())
		}
	})
	t.Run("4xx is not retried", func(t *testing.T) {
		srv, n := scripted(t, 100, 404, "")
		if _, err := fastClient(srv.URL).GetEndpoint(ctx, "t", "ep"); err == nil || n.Load() != 1 {
			t.Fatalf("GetEndpoint: %v after %d requests", err, n.Load())
		}
	})
	t.Run("context ends the backoff", func(t *testing.T) {
		// The context ends once the first answer is in, whatever the
		// machine's speed: the client, then in (or entering) its hour-long
		// backoff, returns at once with the last answer's problem.
		srv, n := scripted(t, 100, 503, "")
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		hc := &http.Client{Transport: afterAnswer{next: http.DefaultTransport, hook: func() { go cancel() }}}
		c := httpapi.NewClient(srv.URL, "k", httpapi.WithBackoff(time.Hour, time.Hour), httpapi.WithHTTPClient(hc))
		_, err := c.GetTenant(cctx, "t")
		var p *httpapi.Problem
		if !errors.As(err, &p) || p.Status != 503 || n.Load() != 1 {
			t.Fatalf("GetTenant: %v after %d requests", err, n.Load())
		}
	})
}

// afterAnswer reads each answer whole, then calls hook.
type afterAnswer struct {
	next http.RoundTripper
	hook func()
}

func (a afterAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	a.hook()
	return resp, nil
}

func TestClientNonProblemError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, _, err := httpapi.NewClient(srv.URL, "k", httpapi.WithRetries(0)).ListTenants(context.Background(), httpapi.ListOptions{})
	var p *httpapi.Problem
	if !errors.As(err, &p) || p.Status != http.StatusBadGateway || p.Detail != "bad gateway" {
		t.Fatalf("err = %v", err)
	}
}

func TestClientProblemCarriesFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	_, err := h.client.CreateEndpoint(context.Background(), "default", httpapi.EndpointInput{URL: "http://127.0.0.1/x",
		Headers: map[string]string{"Webhook-Signature": "x"}})
	var p *httpapi.Problem
	if !errors.As(err, &p) || p.Status != 422 || p.Code != hookd.EINVALID || len(p.Errors) != 1 ||
		p.Errors[0].Pointer != "/headers/Webhook-Signature" {
		t.Fatalf("err = %v", err)
	}
	if fields := hookd.ErrorFields(err); len(fields) != 1 || hookd.ErrorCode(err) != hookd.EINVALID {
		t.Fatalf("hookd view of the error: %v %v", hookd.ErrorCode(err), fields)
	}
}

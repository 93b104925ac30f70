package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd/signature"
)

func TestListenForwardsVerifiedWebhooks(t *testing.T) {
	t.Parallel()
	secret, err := signature.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	var gotBody atomic.Value
	var drop atomic.Bool // the app closes the connection without answering
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if drop.Load() {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		gotBody.Store(r.Method + " " + r.URL.Path + " " + r.Header.Get("Webhook-Id") + " " + string(b))
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "thanks")
	}))
	defer app.Close()
	var out syncBuffer
	h, err := newListenHandler(listenOptions{secret: secret, status: 200,
		forwardTo: strings.TrimPrefix(app.URL, "http://") + "/webhooks"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"a.b","timestamp":"2026-01-01T00:00:00.000Z","data":{}}`)
	send := func(sig string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/anything", bytes.NewReader(body))
		req.Header.Set("webhook-id", "evt_1")
		req.Header.Set("webhook-timestamp", strconv.FormatInt(time.Now().Unix(), 10))
		req.Header.Set("webhook-signature", sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	sig, err := signature.Sign(secret, "evt_1", time.Now(), body)
	if err != nil {
		t.Fatal(err)
	}
	rec := send(sig)
	if rec.Code != http.StatusCreated || rec.Body.String() != "thanks" {
		t.Fatalf("sender got %d %q, want the app's answer", rec.Code, rec.Body)
	}
	if got := gotBody.Load(); got != "POST /webhooks evt_1 "+string(body) {
		t.Errorf("app got %q", got)
	}
	if !strings.Contains(out.String(), "/webhooks: 201 Created") || !strings.Contains(out.String(), "thanks") {
		t.Errorf("output lacks the app's answer:\n%s", out.String())
	}
	if rec := send("v1,AAAA" + sig[7:]); rec.Code != http.StatusUnauthorized || hits.Load() != 1 {
		t.Errorf("a bad signature: %d, app hit %d times; want 401 and no forward", rec.Code, hits.Load())
	}
	drop.Store(true)
	if rec := send(sig); rec.Code != http.StatusBadGateway || !strings.Contains(out.String(), "no answer") {
		t.Errorf("app down: %d\n%s", rec.Code, out.String())
	}
}

func TestListenChecksFlagsAtStart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		o    listenOptions
		want string
	}{
		{listenOptions{secret: "nothex", status: 200}, "whsec_ followed by the base64 of 24 to 64 bytes"},
		{listenOptions{secret: "whsec_c2hvcnQ=", status: 200}, "--secret"},
		{listenOptions{forwardTo: "ftp://x/y", status: 200}, "--forward-to"},
		{listenOptions{forwardTo: "http://", status: 200}, "--forward-to"},
	} {
		if _, err := newListenHandler(tc.o, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want it to mention %q", tc.o, err, tc.want)
		}
	}
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"listen", "--secret", "nothex"}, nil, &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "--secret") {
		t.Errorf("hookd listen --secret nothex: exit %d, %s", code, stderr.String())
	}
	if f := newListenCmd(&stdout, &stderr).Flags().Lookup("addr"); f.DefValue != "127.0.0.1:9000" {
		t.Errorf("--addr defaults to %q", f.DefValue)
	}
}

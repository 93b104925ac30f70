package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd/signature"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestListenVerifiesAndPrints(t *testing.T) {
	t.Parallel()
	secret, err := signature.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	h, err := newListenHandler(listenOptions{secret: secret, status: 204}, &out)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := []byte(`{"type":"invoice.paid","timestamp":"2026-01-01T00:00:00.000Z","data":{"amount":5}}`)
	now := time.Now()
	sig, err := signature.Sign(secret, "evt_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		sig      string
		status   int
		contains []string
	}{
		{"valid", sig, 204, []string{"signature verified", "webhook-id: evt_1", `"amount": 5`, "POST /hook"}},
		{"tampered", "v1,AAAA" + sig[7:], 401, []string{"signature INVALID"}},
	}
	for _, tc := range tests {
		out.mu.Lock()
		out.b.Reset()
		out.mu.Unlock()
		req, _ := http.NewRequest("POST", srv.URL+"/hook", bytes.NewReader(body))
		req.Header.Set("webhook-id", "evt_1")
		req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		req.Header.Set("webhook-signature", tc.sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		for _, want := range tc.contains {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, want, out.String())
			}
		}
	}
}

func TestListenHMACScheme(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	h, err := newListenHandler(listenOptions{secret: "s3cret", hmacHeader: "X-Sig", hmacPrefix: "sha256=", status: 200}, &out)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"a":1}`)
	for _, tc := range []struct {
		sig    string
		status int
	}{
		{signature.HMACSHA256Hex("sha256=", []byte("s3cret"), body), 200},
		{signature.HMACSHA256Hex("sha256=", []byte("other"), body), 401},
	} {
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.Header.Set("X-Sig", tc.sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("signature %s: status %d, want %d", tc.sig, rec.Code, tc.status)
		}
	}
}

func TestListenBadFlags(t *testing.T) {
	t.Parallel()
	for _, o := range []listenOptions{
		{secret: "whsec_%%%", status: 200},
		{hmacHeader: "X-Sig", status: 200},
		{status: 99},
	} {
		if _, err := newListenHandler(o, &bytes.Buffer{}); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

package receive_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookd/hookd/receive"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestInboundObservability: requests are counted by source and outcome;
// a rejected request is one info line with source, status and reason and
// without a header value or the body; an accepted one is a debug line.
func TestInboundObservability(t *testing.T) {
	reg := prometheus.NewRegistry()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := newHarness(t, map[string]string{
		"tok": `{"verify": [{"token": {"header": "X-Pass", "value": "open-sesame"}}], "dedupe": {"header": "X-Id"}}`,
	}, func(c *receive.Config) { c.Registerer, c.Logger = reg, logger })
	post := func(pass, id string) *http.Request {
		return req("POST", "/in/tok", []byte(`{"card":"4111-secret-body"}`), "Content-Type", "application/json", "X-Pass", pass, "X-Id", id)
	}
	expectStatus(t, serve(h.mux, post("wrong-guess", "1")), http.StatusUnauthorized)
	expectStatus(t, serve(h.mux, post("wrong-guess", "1")), http.StatusUnauthorized)
	expectStatus(t, serve(h.mux, post("open-sesame", "1")), http.StatusOK)
	expectStatus(t, serve(h.mux, post("open-sesame", "1")), http.StatusOK)
	expectStatus(t, serve(h.mux, req("POST", "/in/none", nil)), http.StatusNotFound)

	want := map[[2]string]float64{{"tok", "401"}: 2, {"tok", "accepted"}: 1, {"tok", "duplicate"}: 1, {"", "404"}: 1}
	for labels, n := range want {
		c, err := counterValue(reg, labels[0], labels[1])
		if err != nil || c != n {
			t.Errorf("hookd_inbound_requests_total{source=%q,outcome=%q} = %v, want %v (%v)", labels[0], labels[1], c, n, err)
		}
	}
	out := logs.String()
	var rejected, accepted int
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.Contains(line, "inbound request rejected"):
			rejected++
			ok := strings.Contains(line, "source=tok") && strings.Contains(line, "status=401") ||
				strings.Contains(line, `source=""`) && strings.Contains(line, "status=404")
			if !strings.Contains(line, "level=INFO") || !ok || !strings.Contains(line, "reason=") {
				t.Errorf("rejected line %s", line)
			}
		case strings.Contains(line, "inbound request accepted"):
			accepted++
			if !strings.Contains(line, "level=DEBUG") {
				t.Errorf("accepted line %s", line)
			}
		}
	}
	if rejected != 3 || accepted != 1 {
		t.Errorf("%d rejected and %d accepted lines:\n%s", rejected, accepted, out)
	}
	for _, secret := range []string{"open-sesame", "wrong-guess", "4111"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log shows %q:\n%s", secret, out)
		}
	}
}

func counterValue(reg *prometheus.Registry, source, outcome string) (float64, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, mf := range mfs {
		if mf.GetName() != "hookd_inbound_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if got["source"] == source && got["outcome"] == outcome {
				return m.GetCounter().GetValue(), nil
			}
		}
	}
	return 0, nil
}

// TestRequestLogHygiene: headers whose names hold a credential word, in
// any case, and the source's own secret header are redacted; a rejected
// request keeps at most 4 KiB of its body.
func TestRequestLogHygiene(t *testing.T) {
	h := newHarness(t, map[string]string{"tok": `{"verify": [{"token": {"header": "X-Pass", "value": "v"}}]}`})
	big := append([]byte(`{"pad":"`), append(bytes.Repeat([]byte("x"), 64<<10), '"', '}')...)
	r := req("POST", "/in/tok", big, "Content-Type", "application/json", "X-Pass", "nope", "X-Auth", "a", "X-Api-Key", "k",
		"My-Session-Id", "s", "X-Hub-Signature", "sig", "Cookie", "c", "X-Access-Token", "t", "X-Client-Secret", "s", "X-Plain", "shown")
	expectStatus(t, serve(h.mux, r), http.StatusUnauthorized)
	no := false
	waitFor(t, "the log", func() bool { return len(h.requests("tok", &no)) == 1 })
	got := h.requests("tok", &no)[0]
	for _, name := range []string{"x-pass", "x-auth", "x-api-key", "my-session-id", "x-hub-signature", "cookie", "x-access-token", "x-client-secret"} {
		if got.Headers[name] != "[redacted]" {
			t.Errorf("header %s logged as %q", name, got.Headers[name])
		}
	}
	if got.Headers["x-plain"] != "shown" {
		t.Errorf("x-plain logged as %q", got.Headers["x-plain"])
	}
	if len(got.Body) != 4<<10 {
		t.Errorf("rejected request kept %d bytes of body, want 4096", len(got.Body))
	}
}

// gatheredValue returns the counter of name whose label values are
// values, in the order of their label names; 0 when there is none.
func gatheredValue(t *testing.T, reg *prometheus.Registry, name string, values ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetValue())
			}
			if slices.Equal(got, values) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

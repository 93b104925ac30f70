package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

const testForwardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func forwardSource(id, url, extra string) string {
	return fmt.Sprintf(`{"id":%q,"destinations":[{"forward":{"url":%s,"secret":%q%s}}]}`, id, jsonString(url), testForwardSecret, extra)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestAPIRefusesAllowPrivate checks that allow_private, which lets a
// forward reach internal addresses, is accepted only from the
// configuration file: through the API, create and patch answer 422 at
// the flag, and nothing is stored.
func TestAPIRefusesAllowPrivate(t *testing.T) {
	n := startTestNode(t, `sources:
  - id: internal
    destinations:
      - forward:
          url: http://127.0.0.1:9/hook
          secret: `+testForwardSecret+`
          allow_private: true
`)
	status, h, body := n.do("POST", "/v1/sources", forwardSource("s1", "http://127.0.0.1:9/hook", `,"allow_private":true`))
	p := wantProblem(t, status, h, body, http.StatusUnprocessableEntity)
	if msg := p.pointerMessage(t, "/destinations/0/forward/allow_private"); !strings.Contains(msg, "configuration file") {
		t.Errorf("message = %q", msg)
	}
	if status, _, _ := n.do("GET", "/v1/sources/s1", ""); status != http.StatusNotFound {
		t.Errorf("refused source was stored: GET answers %d", status)
	}
	status, _, body = n.do("POST", "/v1/sources", forwardSource("s2", "https://example.com/hook", ""))
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	status, h, body = n.do("PATCH", "/v1/sources/s2", `{"destinations":[{"forward":{"url":"https://example.com/hook","secret":"`+testForwardSecret+`","allow_private":true}}]}`)
	wantProblem(t, status, h, body, http.StatusUnprocessableEntity).pointerMessage(t, "/destinations/0/forward/allow_private")
	// The configured source keeps its flag, and the API cannot keep it
	// either when it edits that source.
	status, h, body = n.do("PATCH", "/v1/sources/internal", `{"description":"edited"}`)
	wantProblem(t, status, h, body, http.StatusUnprocessableEntity).pointerMessage(t, "/destinations/0/forward/allow_private")
}

// TestOutboundURLChecks checks that endpoints and forwards get the same
// URL checks at creation, each a 422 at the URL's pointer.
func TestOutboundURLChecks(t *testing.T) {
	n := startTestNode(t, "")
	if status, _, body := n.do("PUT", "/v1/tenants/acme", ""); status >= 300 {
		t.Fatalf("tenant: %d %s", status, body)
	}
	tests := []struct{ name, url, want string }{
		{"loopback", "http://127.0.0.1:8080/hook", "ssrf.allow (--ssrf-allow)"},
		{"metadata", "http://169.254.169.254/latest", "ssrf.allow"},
		{"private v6", "http://[fd00::1]/", "ssrf.allow"},
		{"localhost", "http://localhost/", "ssrf.allow"},
		{"port too big", "https://example.com:99999/hook", "port from 1 to 65535"},
		{"port zero", "https://example.com:0/hook", "port from 1 to 65535"},
		{"space", "https://example.com/a hook", "spaces or control characters"},
		{"control character", "https://example.com/a\u0001", "spaces or control characters"},
		{"too long", "https://example.com/" + strings.Repeat("a", 2100), "at most 2048"},
		{"scheme", "ftp://example.com/", "http or https"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := n.do("POST", "/v1/tenants/acme/endpoints", `{"url":`+jsonString(tc.url)+`}`)
			msg := wantProblem(t, status, h, body, http.StatusUnprocessableEntity).pointerMessage(t, "/url")
			if !strings.Contains(msg, tc.want) {
				t.Errorf("endpoint: message %q does not contain %q", msg, tc.want)
			}
			status, h, body = n.do("POST", "/v1/sources", forwardSource(fmt.Sprintf("src%d", i), tc.url, ""))
			msg = wantProblem(t, status, h, body, http.StatusUnprocessableEntity).pointerMessage(t, "/destinations/0/forward/url")
			if !strings.Contains(msg, tc.want) {
				t.Errorf("forward: message %q does not contain %q", msg, tc.want)
			}
		})
	}
}

// TestEndpointLimits checks the bounds on an endpoint's event types and
// headers.
func TestEndpointLimits(t *testing.T) {
	n := startTestNode(t, "")
	if status, _, body := n.do("PUT", "/v1/tenants/acme", ""); status >= 300 {
		t.Fatalf("tenant: %d %s", status, body)
	}
	types := func(k int) string {
		s := make([]string, k)
		for i := range s {
			s[i] = fmt.Sprintf(`"t.e%d"`, i)
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	headers := func(k, size int) string {
		s := make([]string, k)
		for i := range s {
			s[i] = fmt.Sprintf(`"X-H%d":%q`, i, strings.Repeat("v", size))
		}
		return "{" + strings.Join(s, ",") + "}"
	}
	tests := []struct {
		name, body, pointer string
		status              int
	}{
		{"256 event types", `"event_types":` + types(256), "", http.StatusCreated},
		{"257 event types", `"event_types":` + types(257), "/event_types", 422},
		{"100000 event types", `"event_types":[` + strings.Repeat(`"a.b",`, 99999) + `"a.b"]`, "/event_types", 422},
		{"64 headers", `"headers":` + headers(64, 10), "", http.StatusCreated},
		{"65 headers", `"headers":` + headers(65, 10), "/headers", 422},
		{"8 KiB of headers", `"headers":` + headers(1, 8192-4), "", http.StatusCreated},
		{"500 KB header value", `"headers":` + headers(1, 500000), "/headers", 422},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := n.do("POST", "/v1/tenants/acme/endpoints", `{"url":"https://example.com/hook",`+tc.body+`}`)
			if tc.status == http.StatusCreated {
				if status != tc.status {
					t.Fatalf("status %d: %.300s", status, body)
				}
				return
			}
			msg := wantProblem(t, status, h, body, tc.status).pointerMessage(t, tc.pointer)
			if !strings.Contains(msg, "at most") {
				t.Errorf("message %q", msg)
			}
		})
	}
}

// TestStoredAllowPrivateIsRefused stores a source with allow_private
// straight into the store, as an older hookd let the API do: it no longer
// compiles, so its requests are refused rather than forwarded to an
// internal address.
func TestStoredAllowPrivateIsRefused(t *testing.T) {
	n := startTestNode(t, "")
	spec := `{"destinations":[{"forward":{"url":"http://127.0.0.1:9/x","secret":"` + testForwardSecret + `","allow_private":true}}]}`
	if err := n.store.PutSource(context.Background(), &hookd.Source{ID: "legacy", Spec: json.RawMessage(spec)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, h, body := n.do("POST", "/in/legacy", "{}")
		if status == http.StatusInternalServerError {
			if p := wantProblem(t, status, h, body, 500); !strings.Contains(p.Detail, "misconfigured") {
				t.Errorf("detail %q", p.Detail)
			}
			return
		}
		if status != http.StatusNotFound || time.Now().After(deadline) {
			t.Fatalf("POST /in/legacy: %d %s, want 500 once the source is loaded", status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

// TestEveryErrorIsAProblem checks that every error hookd answers, on every
// surface, is problem+json with the one type scheme of hookd.ProblemType,
// and that net/http's own text answers (404, 405, and the 307 redirects of
// ServeMux to canonical paths) never reach a client.
func TestEveryErrorIsAProblem(t *testing.T) {
	n := startTestNode(t, `sources:
  - id: hooks
    verify:
      - token: {header: X-Token, value: secret-token}
`)
	tests := []struct {
		name, method, path, body string
		noKey                    bool
		status                   int
		code                     string
		detail                   string
	}{
		{"API without key", "GET", "/v1/tenants", "", true, 401, hookd.EUNAUTHORIZED, ""},
		{"API unknown route", "GET", "/v1/nope", "", false, 404, hookd.ENOTFOUND, ""},
		{"API invalid body", "POST", "/v1/tenants/default/events", `{"type":""}`, false, 422, hookd.EINVALID, ""},
		{"/v1 without key", "GET", "/v1", "", true, 401, hookd.EUNAUTHORIZED, ""},
		{"/v1 with key", "GET", "/v1", "", false, 404, hookd.ENOTFOUND, ""},
		{"double slash", "GET", "//x", "", false, 404, hookd.ENOTFOUND, "did you mean /x?"},
		{"double slash in the API", "GET", "/v1//tenants", "", false, 404, hookd.ENOTFOUND, "did you mean /v1/tenants?"},
		{"dot-dot", "GET", "/v1/../healthz", "", false, 404, hookd.ENOTFOUND, "did you mean /healthz?"},
		{"inbound double slash", "POST", "/in//hooks", "{}", true, 404, hookd.ENOTFOUND, "did you mean /in/hooks?"},
		{"unknown route", "GET", "/nope", "", true, 404, hookd.ENOTFOUND, ""},
		{"wrong method on an ops route", "POST", "/healthz", "", true, 405, hookd.EMETHOD, "allowed: GET, HEAD"},
		{"wrong method on metrics", "DELETE", "/metrics", "", true, 405, hookd.EMETHOD, ""},
		{"inbound unknown source", "POST", "/in/nope", "{}", true, 404, hookd.ENOTFOUND, ""},
		{"inbound wrong method", "GET", "/in/hooks", "", true, 405, hookd.EMETHOD, ""},
		{"inbound refused", "POST", "/in/hooks", "{}", true, 401, hookd.EUNAUTHORIZED, ""},
		{"under /in/, too deep", "POST", "/in/hooks/x", "{}", true, 404, hookd.ENOTFOUND, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := n.key
			if tc.noKey {
				n.key = ""
			}
			status, h, body := n.do(tc.method, tc.path, tc.body)
			n.key = key
			p := wantProblem(t, status, h, body, tc.status)
			if p.Type != hookd.ProblemType(tc.code) || p.Code != tc.code || p.Status != tc.status {
				t.Errorf("problem %s, want type %s", body, hookd.ProblemType(tc.code))
			}
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not contain %q", p.Detail, tc.detail)
			}
			if h.Get("Location") != "" {
				t.Errorf("Location %q: hookd does not redirect", h.Get("Location"))
			}
			if tc.status == http.StatusMethodNotAllowed && h.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}

// TestRoutesKeepPathValues checks that routing through problemRoutes
// still hands handlers their pattern and path values.
func TestRoutesKeepPathValues(t *testing.T) {
	t.Parallel()
	var got, pattern string
	mux := http.NewServeMux()
	mux.HandleFunc("/in/{id}", func(w http.ResponseWriter, r *http.Request) { got, pattern = r.PathValue("id"), r.Pattern })
	rec := serveRequest(problemRoutes(mux), http.MethodPost, "/in/a%2Fb", nil)
	if rec.Code != http.StatusOK || got != "a/b" || pattern != "/in/{id}" {
		t.Fatalf("status %d, id %q, pattern %q", rec.Code, got, pattern)
	}
}

// BenchmarkProblemRoutes measures what problemRoutes adds to a request
// routed by ServeMux (a canonical-path check and a second match).
func BenchmarkProblemRoutes(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("/in/{id}", func(w http.ResponseWriter, r *http.Request) {})
	req, _ := http.NewRequest(http.MethodPost, "/in/github", nil)
	for name, h := range map[string]http.Handler{"mux": mux, "problemRoutes": problemRoutes(mux)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			w := &headerRecorder{header: http.Header{}}
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
		})
	}
}

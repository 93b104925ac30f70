package receive_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookd/hookd/receive"
)

// benchBody is a typical small webhook.
var benchBody = []byte(`{"action":"opened","number":1347,"id":"evt_1","pull_request":{"title":"Amazing new feature","user":{"login":"octocat","id":1},"labels":["bug","ui"]},"repository":{"full_name":"octocat/Hello-World"}}`)

const benchSpec = `{
  "verify": [{"provider": "github", "secret": "s3cret"}],
  "schema": {
    "body": {"type": "object", "required": ["action", "number"],
             "properties": {"action": {"type": "string", "enum": ["opened", "closed"]}, "number": {"type": "integer", "minimum": 1},
                            "pull_request": {"type": "object", "required": ["title"]}}},
    "headers": {"type": "object", "required": ["x-github-event"]}
  }
}`

// BenchmarkPipeline runs the whole pipeline of one request, HMAC-verified
// and schema-validated, through the library handler (no store).
func BenchmarkPipeline(b *testing.B) {
	h := receive.Handler(compile(b, benchSpec), func(context.Context, *receive.Message) error { return nil })
	sig := signGitHub(benchBody, "s3cret", testNow).header("X-Hub-Signature-256")
	r := req(http.MethodPost, "/in/src", nil, "Content-Type", "application/json", "X-Hub-Signature-256", sig,
		"X-GitHub-Event", "pull_request", "X-GitHub-Delivery", "d-1")
	rd := bytes.NewReader(benchBody)
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(benchBody)
		r.Body, r.ContentLength = noClose{rd}, int64(len(benchBody))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkPipelineParallel is BenchmarkPipeline on every core.
func BenchmarkPipelineParallel(b *testing.B) {
	h := receive.Handler(compile(b, benchSpec), func(context.Context, *receive.Message) error { return nil })
	sig := signGitHub(benchBody, "s3cret", testNow).header("X-Hub-Signature-256")
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := req(http.MethodPost, "/in/src", nil, "Content-Type", "application/json", "X-Hub-Signature-256", sig,
			"X-GitHub-Event", "pull_request", "X-GitHub-Delivery", "d-1")
		rd := bytes.NewReader(benchBody)
		for pb.Next() {
			rd.Reset(benchBody)
			r.Body, r.ContentLength = noClose{rd}, int64(len(benchBody))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

type noClose struct{ *bytes.Reader }

func (noClose) Close() error { return nil }

// BenchmarkServer runs the pipeline, stores each request durably through
// the engine's group commit (SQLite, synchronous=FULL) and answers, from
// 64 concurrent clients per core.
func BenchmarkServer(b *testing.B) {
	h := newHarness(b, map[string]string{"src": benchSpec})
	sig := signGitHub(benchBody, "s3cret", testNow).header("X-Hub-Signature-256")
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := req(http.MethodPost, "/in/src", nil, "Content-Type", "application/json", "X-Hub-Signature-256", sig,
			"X-GitHub-Event", "pull_request")
		rd := bytes.NewReader(benchBody)
		for pb.Next() {
			rd.Reset(benchBody)
			r.Body, r.ContentLength = noClose{rd}, int64(len(benchBody))
			w := httptest.NewRecorder()
			h.mux.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}

// BenchmarkPipelineScript is BenchmarkPipeline with a script authenticator
// in place of the GitHub signature: it checks a key header and a member of
// the parsed body, and names the caller. Its time limit is generous so
// that a loaded machine measures time, not time-outs.
func BenchmarkPipelineScript(b *testing.B) {
	spec := strings.Replace(benchSpec, `{"provider": "github", "secret": "s3cret"}`,
		`{"script": "function authenticate(r) { if (r.headers['x-api-key'] !== 's3cret' || r.json.number < 1) return false; return {user: {client: r.headers['x-github-event']}} }", "timeout": "2s"}`, 1)
	h := receive.Handler(compile(b, spec), func(context.Context, *receive.Message) error { return nil })
	r := req(http.MethodPost, "/in/src", nil, "Content-Type", "application/json", "X-Api-Key", "s3cret",
		"X-GitHub-Event", "pull_request", "X-GitHub-Delivery", "d-1")
	rd := bytes.NewReader(benchBody)
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(benchBody)
		r.Body, r.ContentLength = noClose{rd}, int64(len(benchBody))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

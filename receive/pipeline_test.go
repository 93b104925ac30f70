package receive_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/receive"
	"github.com/hookd/hookd/signature"
)

// githubSpec verifies GitHub signatures with the secret "s3cret" and
// validates body, query and headers.
const githubSpec = `{
  "verify": [{"provider": "github", "secret": "s3cret"}],
  "schema": {
    "body": {"type": "object", "required": ["action"], "properties": {"action": {"type": "string"}, "n": {"type": "integer", "maximum": 10}}},
    "query": {"type": "object", "properties": {"tag": {"type": "array", "maxItems": 1}}},
    "headers": {"type": "object", "required": ["x-github-event"]}
  }
}`

func githubReq(body []byte, extra ...string) *http.Request {
	sig := signature.HMACSHA256Hex("sha256=", []byte("s3cret"), body)
	h := append([]string{"Content-Type", "application/json", "X-Hub-Signature-256", sig,
		"X-GitHub-Event", "push", "X-GitHub-Delivery", "d-1"}, extra...)
	return req(http.MethodPost, "/in/src", body, h...)
}

// TestPipelineStatuses reaches every status of the pipeline through the
// library handler, each with its headers and problem code.
func TestPipelineStatuses(t *testing.T) {
	t.Parallel()
	src := compile(t, `{"max_body": 64, "max_decompressed": 128, "verify": [{"provider": "github", "secret": "s3cret"}],
		"schema": {"body": {"type": "object", "required": ["action"]}}}`)
	var a accept
	h := receive.Handler(src, a.fn)
	big := bytes.Repeat([]byte("a"), 100)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"action":"` + strings.Repeat("x", 200) + `"}`))
	_ = zw.Close()
	cases := []struct {
		name   string
		r      *http.Request
		status int
		code   string
		header [2]string
	}{
		{"method", req(http.MethodGet, "/in/src", nil), 405, hookd.EMETHOD, [2]string{"Allow", "POST"}},
		{"too large", githubReq(big), 413, hookd.ETOOLARGE, [2]string{}},
		{"decompressed too large", githubReq(gz.Bytes(), "Content-Encoding", "gzip"), 413, hookd.ETOOLARGE, [2]string{}},
		{"unknown encoding", githubReq([]byte(`{}`), "Content-Encoding", "zstd"), 415, hookd.EUNSUPPORTED, [2]string{"Accept-Encoding", "br, gzip, deflate"}},
		{"corrupt", githubReq([]byte("not gzip"), "Content-Encoding", "gzip"), 400, hookd.EMALFORMED, [2]string{}},
		{"content type", req(http.MethodPost, "/in/src", []byte(`{}`), "Content-Type", "text/plain"), 415, hookd.EUNSUPPORTED, [2]string{}},
		{"no signature", req(http.MethodPost, "/in/src", []byte(`{}`), "Content-Type", "application/json"), 401, hookd.EUNAUTHORIZED, [2]string{"Www-Authenticate", "github"}},
		{"bad json", githubReq([]byte(`{"action":`)), 400, hookd.EMALFORMED, [2]string{}},
		{"schema", githubReq([]byte(`{}`)), 400, hookd.EINVALID, [2]string{}},
		{"accepted", githubReq([]byte(`{"action":"opened"}`)), 200, "", [2]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(h, tc.r)
			expectStatus(t, w, tc.status)
			if tc.header[0] != "" && w.Header().Get(tc.header[0]) != tc.header[1] {
				t.Errorf("%s = %q, want %q", tc.header[0], w.Header().Get(tc.header[0]), tc.header[1])
			}
			if tc.code != "" {
				if p := decodeProblem(t, w); p.Code != tc.code || p.Status != tc.status {
					t.Errorf("problem %+v, want code %s", p, tc.code)
				}
			}
		})
	}
	if a.last == nil || a.last.DeliveryID != "d-1" || len(a.last.Verified) != 1 || a.last.Verified[0] != "github" {
		t.Errorf("accepted message %+v", a.last)
	}
}

// TestSchemaViolationsInOneProblem sends a request that breaks the body,
// query and header schemas at once and expects every violation, each with
// its pointer, in one problem+json.
func TestSchemaViolationsInOneProblem(t *testing.T) {
	t.Parallel()
	h := receive.Handler(compile(t, githubSpec), (&accept{}).fn)
	body := []byte(`{"n": 11}`)
	sig := signature.HMACSHA256Hex("sha256=", []byte("s3cret"), body)
	r := req(http.MethodPost, "/in/src?tag=a&tag=b", body, "Content-Type", "application/json", "X-Hub-Signature-256", sig)
	w := serve(h, r)
	expectStatus(t, w, http.StatusBadRequest)
	p := decodeProblem(t, w)
	// A missing member points at itself (see catalog.Violations).
	want := map[string]bool{"/body/action": false, "/body/n": false, "/query/tag": false, "/headers/x-github-event": false}
	for _, f := range p.Errors {
		if _, ok := want[f.Pointer]; !ok {
			t.Errorf("unexpected violation %+v", f)
		}
		want[f.Pointer] = true
		if f.Message == "" {
			t.Errorf("violation %s has no message", f.Pointer)
		}
	}
	for ptr, seen := range want {
		if !seen {
			t.Errorf("no violation at %s in %+v", ptr, p.Errors)
		}
	}
}

func TestHandlerErrors(t *testing.T) {
	t.Parallel()
	src := compile(t, `{}`)
	cases := []struct {
		name   string
		err    error
		status int
	}{
		{"receive error passes", &receive.Error{Status: http.StatusConflict, Message: "busy"}, http.StatusConflict},
		{"wrapped receive error", errors.Join(errors.New("x"), &receive.Error{Status: 422, Message: "no"}), 422},
		{"other error is 500", errors.New("boom"), http.StatusInternalServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := receive.Handler(src, func(context.Context, *receive.Message) error { return tc.err })
			w := serve(h, req(http.MethodPost, "/", []byte(`{}`), "Content-Type", "application/json"))
			expectStatus(t, w, tc.status)
			if p := decodeProblem(t, w); tc.status == 500 && strings.Contains(p.Detail, "boom") {
				t.Errorf("internal error leaked: %q", p.Detail)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	type event struct {
		Action string `json:"action"`
		N      int    `json:"n"`
	}
	src := compile(t, `{"content_types": ["application/json", "application/x-www-form-urlencoded"]}`)
	var got []event
	h := receive.Handler(src, func(_ context.Context, m *receive.Message) error {
		ev, err := receive.Decode[event](m)
		if err != nil {
			return err
		}
		got = append(got, ev)
		return nil
	})
	expectStatus(t, serve(h, req("POST", "/", []byte(`{"action":"a","n":2}`), "Content-Type", "application/json")), 200)
	expectStatus(t, serve(h, req("POST", "/", []byte(`action=b`), "Content-Type", "application/x-www-form-urlencoded")), 200)
	w := serve(h, req("POST", "/", []byte(`{"n":"two"}`), "Content-Type", "application/json"))
	expectStatus(t, w, http.StatusBadRequest)
	if len(got) != 2 || got[0] != (event{"a", 2}) || got[1].Action != "b" {
		t.Errorf("decoded %+v", got)
	}
}

func TestResponseConfig(t *testing.T) {
	t.Parallel()
	src := compile(t, `{"response": {"status": 202, "body": "ok {id}", "content_type": "text/plain", "headers": {"X-Thanks": "1"}}}`)
	w := serve(receive.Handler(src, (&accept{}).fn), req("POST", "/", []byte(`{}`), "Content-Type", "application/json"))
	expectStatus(t, w, http.StatusAccepted)
	if !strings.HasPrefix(w.Body.String(), "ok req_") || w.Header().Get("X-Thanks") != "1" || w.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("response %q %v", w.Body, w.Header())
	}
	w = serve(receive.Handler(compile(t, `{}`), (&accept{}).fn), req("POST", "/", []byte(`{}`), "Content-Type", "application/json"))
	var out struct{ ID string }
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || !hookd.HasPrefix(out.ID, hookd.PrefixRequest) {
		t.Errorf("default response %q", w.Body)
	}
}

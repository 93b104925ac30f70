package receive_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/receive"
)

// fuzzScript is the script authenticator of a fuzzed source: it accepts
// with a user, denies, throws an HTTPError or fails, depending on the
// request.
const fuzzScript = `function authenticate(r) {
	if (r.query.deny) return false;
	if (r.query.teapot) throw new HTTPError(418, r.body.slice(0, 16), {"X-Teapot": "yes"});
	if (r.json && r.json.boom) throw new Error("boom " + r.body);
	if (r.headers["content-type"] === "text/x-loop") for (;;) {}
	return {user: {len: r.body.length, method: r.method, json: r.json}};
}`

// fuzzSources are the sources the fuzz target runs: a signed, validated,
// de-duplicated one, an unsigned one that parses forms and runs a CEL
// authenticator over the body, and one with a script authenticator.
func fuzzSources(t testing.TB) []http.Handler {
	signed := compile(t, `{"max_body": 4096, "max_decompressed": 16384,
		"verify": [{"provider": "github", "secret": "s3cret"}],
		"schema": {"body": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["action"]},
		           "query": {"type": "object", "properties": {"tag": {"type": "string", "maxLength": 8}}}},
		"dedupe": {"json_pointer": "/id"}}`)
	open := compile(t, `{"methods": ["POST", "PUT"], "max_body": 4096, "max_decompressed": 16384,
		"content_types": ["application/json", "application/x-www-form-urlencoded", "*/*+json"],
		"verify": [{"cel": "request.method == 'POST' || (has(request.body.ok) && request.body.ok == 'yes')"}]}`)
	scripted := compile(t, `{"max_body": 4096, "max_decompressed": 16384, "content_types": ["*/*"],
		"verify": [{"script": `+mustJSON(fuzzScript)+`, "timeout": "20ms"}]}`)
	return []http.Handler{receive.Handler(signed, (&accept{}).fn), receive.Handler(open, (&accept{}).fn),
		receive.Handler(scripted, (&accept{}).fn)}
}

// FuzzPipeline throws arbitrary requests at the pipeline: it must never
// panic, must answer one of the pipeline's statuses, problem+json for
// every refusal (with Allow, Accept-Encoding or WWW-Authenticate where
// they belong), and {"id": …} for an acceptance. With sign set, the body
// is signed correctly so that the fuzzer gets past verification.
func FuzzPipeline(f *testing.F) {
	f.Add("POST", "application/json", "", []byte(`{"action":"opened","n":1,"id":"a"}`), true, "tag=x")
	f.Add("POST", "application/json", "gzip", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), true, "")
	f.Add("PUT", "application/x-www-form-urlencoded", "", []byte("ok=yes&a=1&a=2"), false, "")
	f.Add("POST", "application/cloudevents+json; charset=utf-8", "deflate", []byte("x\x9c\x03\x00\x00\x00\x00\x01"), false, "a=%zz")
	f.Add("GET", "", "br", []byte{}, false, "")
	f.Add("POST", "application/json", "identity, gzip", []byte(`[1,2,3]`), true, "tag=123456789")
	handlers := fuzzSources(f)
	allowed := map[int]bool{200: true, 400: true, 401: true, 403: true, 405: true, 413: true, 415: true, 418: true, 500: true}
	f.Fuzz(func(t *testing.T, method, ctype, encoding string, body []byte, sign bool, query string) {
		if !validMethod(method) || strings.ContainsAny(ctype+encoding, "\r\n\x00") {
			return
		}
		for i, h := range handlers {
			r := req(method, "/in/src?"+url.PathEscape(query), body, "Content-Type", ctype, "Content-Encoding", encoding)
			r.URL.RawQuery = query
			if sign && encoding == "" {
				r.Header.Set("X-Hub-Signature-256", signGitHub(body, "s3cret", testNow).header("X-Hub-Signature-256"))
			}
			w := serve(h, r)
			if !allowed[w.Code] {
				t.Fatalf("source %d answered %d: %s", i, w.Code, w.Body)
			}
			checkAnswer(t, w.Code, w.Header(), w.Body.Bytes())
		}
	})
}

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func checkAnswer(t *testing.T, code int, h http.Header, body []byte) {
	t.Helper()
	if code == http.StatusTeapot {
		if h.Get("X-Teapot") != "yes" || len(body) > 16*4 {
			t.Fatalf("418 answered %v %q", h, body)
		}
		return
	}
	if code == http.StatusOK {
		var out struct{ ID string }
		if err := json.Unmarshal(body, &out); err != nil || !strings.HasPrefix(out.ID, "req_") {
			t.Fatalf("200 with body %q", body)
		}
		return
	}
	var p problemDoc
	if h.Get("Content-Type") != "application/problem+json" || json.Unmarshal(body, &p) != nil || p.Status != code || p.Code == "" {
		t.Fatalf("%d with %q: %s", code, h.Get("Content-Type"), body)
	}
	if code == http.StatusInternalServerError && p.Detail != "the source's authenticator failed" {
		t.Fatalf("500 that is not an authenticator's failure: %s", body)
	}
	if strings.Contains(string(body), "boom") || strings.Contains(string(body), "authenticate(") {
		t.Fatalf("the answer shows the script or its error: %s", body)
	}
	need := map[int]string{405: "Allow", 401: "Www-Authenticate"}
	if name := need[code]; name != "" && h.Get(name) == "" {
		t.Fatalf("%d without %s", code, name)
	}
	if code == 415 && strings.Contains(p.Detail, "Content-Encoding") && h.Get("Accept-Encoding") == "" {
		t.Fatalf("415 for an encoding without Accept-Encoding")
	}
}

// pathLister is an in-memory SourceLister.
type pathLister []*hookd.Source

func (l pathLister) ListSources(context.Context) ([]*hookd.Source, error) { return l, nil }
func (l pathLister) ChangeSeq(context.Context) (int64, error)             { return 1, nil }

// FuzzSourcePaths throws arbitrary paths at the path rule and at the
// registry's routing: compiling never panics; an accepted path is
// absolute, has no empty, . or .. segment and is no route of hookd's own;
// a lookup finds a source only at its own path (or with one trailing
// slash), and finds the source a path was given to.
func FuzzSourcePaths(f *testing.F) {
	for _, p := range []string{"/", "/acme/prod/plaid_transactions", "/v1/x", "/in/a", "//", "/a/../b", "/ui", "/x/", "/%2e%2e", "/é"} {
		f.Add(p, "/acme/prod/plaid_transactions")
	}
	f.Fuzz(func(t *testing.T, path, probe string) {
		spec, _ := json.Marshal(map[string]string{"path": path})
		srcs := pathLister{
			{ID: "fixed", Spec: json.RawMessage(`{"path": "/acme/prod/plaid_transactions"}`)},
			{ID: "fuzzed", Spec: spec},
		}
		c, err := receive.Compile(srcs[1], receive.Options{})
		if err == nil {
			p := c.Path()
			if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") ||
				strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/ui/") || p == "/healthz" || (p != "/" && strings.HasSuffix(p, "/")) {
				t.Fatalf("accepted path %q", p)
			}
		}
		reg := receive.NewRegistry(receive.RegistryConfig{Store: srcs, Logger: slog.New(slog.DiscardHandler)})
		if err := reg.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{probe, path} {
			got, err := reg.Lookup(q)
			if err != nil {
				continue
			}
			if want := strings.TrimSuffix(got.Path(), "/"); q != got.Path() && strings.TrimSuffix(q, "/") != want {
				t.Fatalf("lookup %q found source %s at %q", q, got.ID(), got.Path())
			}
		}
		if c != nil && c.Path() != "/acme/prod/plaid_transactions" {
			if got, err := reg.Lookup(c.Path()); err != nil || got.ID() != "fuzzed" {
				t.Fatalf("the fuzzed source is not at its path %q: %v", c.Path(), err)
			}
		}
	})
}

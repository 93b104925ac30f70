package receive_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookd/hookd/receive"
)

// scriptSpec is a source whose script authenticator is code.
func scriptSpec(code string) string {
	// A time limit far above the default, so that a loaded machine
	// does not turn an answer into a time-out.
	b, _ := json.Marshal(map[string]any{"verify": []any{map[string]any{"script": code, "timeout": "2s"}}})
	return string(b)
}

// TestScriptAuthenticator checks the mapping of what authenticate(request)
// does to the answer: accept, 403, the HTTPError as raised, 500 for
// anything else, and that no answer shows the script or its error.
func TestScriptAuthenticator(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, code string
		status     int
		body       string // the exact answer body, when not ""
		header     string // X-Reason of the answer, when not ""
		user       string // Message.User, when accepted
	}{
		{"true accepts", `function authenticate(r) { return true }`, 200, "", "", ""},
		{"user object accepts", `function authenticate(r) { return {user: {id: r.headers["x-user"], admin: false}} }`, 200, "", "", `{"admin":false,"id":"u1"}`},
		{"false is 403", `function authenticate(r) { return false }`, 403, "", "", ""},
		{"null is 403", `function authenticate(r) { return null }`, 403, "", "", ""},
		{"undefined is 403", `function authenticate(r) { }`, 403, "", "", ""},
		{"HTTPError answered as raised", `function authenticate(r) { throw new HTTPError(418, "short and stout", {"X-Reason": "teapot"}) }`, 418, "short and stout", "teapot", ""},
		{"HTTPError with an object body", `function authenticate(r) { throw new HTTPError(429, {retry: 5}) }`, 429, `{"retry":5}`, "", ""},
		{"other throw is 500", `function authenticate(r) { throw new Error("secret-detail " + r.body) }`, 500, "", "", ""},
		{"type error is 500", `function authenticate(r) { return r.nothing.deeper }`, 500, "", "", ""},
		{"time-out is 500", `function authenticate(r) { for (;;) {} }`, 500, "", "", ""},
		{"a number is a bad value: 500", `function authenticate(r) { return 42 }`, 500, "", "", ""},
		{"a string is a bad value: 500", `function authenticate(r) { return "yes" }`, 500, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := &accept{}
			h := receive.Handler(compile(t, scriptSpec(tc.code)), a.fn)
			w := serve(h, req("POST", "/in/src", []byte(`{"n":1}`), "Content-Type", "application/json", "X-User", "u1"))
			expectStatus(t, w, tc.status)
			if tc.body != "" && w.Body.String() != tc.body {
				t.Errorf("body %q, want %q", w.Body, tc.body)
			}
			if tc.header != "" && w.Header().Get("X-Reason") != tc.header {
				t.Errorf("X-Reason %q, want %q", w.Header().Get("X-Reason"), tc.header)
			}
			for _, leak := range []string{"authenticate", "secret-detail", "nothing", "function"} {
				if strings.Contains(w.Body.String(), leak) {
					t.Errorf("the answer shows %q: %s", leak, w.Body)
				}
			}
			if tc.status == 200 && string(a.last.User) != tc.user {
				t.Errorf("user %s, want %s", a.last.User, tc.user)
			}
		})
	}
}

// TestScriptRequest checks what the script sees: method, path,
// lower-cased headers with repeats as lists, query with repeats as lists,
// the decoded body as a string, the parsed JSON, and the client address.
func TestScriptRequest(t *testing.T) {
	t.Parallel()
	code := `function authenticate(r) {
		return {user: {method: r.method, path: r.path, tag: r.headers["x-tag"], ct: r.headers["content-type"],
			a: r.query.a, b: r.query.b, body: r.body, n: r.json.n, ip: r.remote_ip}}
	}`
	a := &accept{}
	h := receive.Handler(compile(t, scriptSpec(code)), a.fn)
	r := req("POST", "/hooks/x?a=1&b=2&b=3", compress(t, "gzip", []byte(`{"n":7}`)), "Content-Type", "application/json",
		"Content-Encoding", "gzip", "X-Tag", "one", "X-Tag", "two")
	r.RemoteAddr = "192.0.2.7:1234"
	expectStatus(t, serve(h, r), 200)
	want := `{"a":"1","b":["2","3"],"body":"{\"n\":7}","ct":"application/json","ip":"192.0.2.7","method":"POST","n":7,"path":"/hooks/x","tag":["one","two"]}`
	if string(a.last.User) != want {
		t.Errorf("the script saw\n%s\nwant\n%s", a.last.User, want)
	}
}

// TestScriptCompileErrors: a script that does not compile, or a time
// limit over 5s, is refused with a pointer, and the error says where.
func TestScriptCompileErrors(t *testing.T) {
	t.Parallel()
	fe := compileErr(t, scriptSpec(`function authenticate(r) { return (`))
	if len(fe) != 1 || fe[0].Pointer != "/verify/0/script" || !strings.Contains(fe[0].Message, "line 1") {
		t.Errorf("syntax error: %+v", fe)
	}
	fe = compileErr(t, scriptSpec(`function other(r) { return true }`))
	if len(fe) != 1 || fe[0].Pointer != "/verify/0/script" || !strings.Contains(fe[0].Message, "authenticate") {
		t.Errorf("no authenticate: %+v", fe)
	}
	fe = compileErr(t, `{"verify":[{"script":"function authenticate(r) { return true }","timeout":"6s"}]}`)
	if len(fe) != 1 || fe[0].Pointer != "/verify/0/timeout" {
		t.Errorf("timeout: %+v", fe)
	}
	fe = compileErr(t, `{"verify":[{"token":{"value":"x"},"timeout":"1s"}]}`)
	if len(fe) != 1 || fe[0].Pointer != "/verify/0/timeout" {
		t.Errorf("timeout without script: %+v", fe)
	}
	compile(t, `{"verify":[{"script":"function authenticate(r) { return true }","timeout":"5s"}]}`)
}

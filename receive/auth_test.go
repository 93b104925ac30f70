package receive_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/hookd/receive"
)

// TestAuthenticateFunc: the Go authenticator runs before the body is
// parsed and validated (an unauthenticated caller sees 403, not the
// schema's 400), answers its HTTPError as it is, accepts with a user
// kept on the message, and any other error is 500 without its text.
func TestAuthenticateFunc(t *testing.T) {
	t.Parallel()
	spec := `{"schema": {"body": {"type": "object", "required": ["amount"]}}}`
	auth := func(_ context.Context, m *receive.Message) (any, error) {
		switch m.Header.Get("X-Key") {
		case "good":
			return map[string]string{"name": "ada"}, nil
		case "":
			return nil, &receive.HTTPError{Status: 403, Body: "who are you?", Header: http.Header{"Content-Type": {"text/plain"}}}
		case "teapot":
			return nil, &receive.HTTPError{Status: 418, Body: `{"tea":true}`, Header: http.Header{"Content-Type": {"application/json"}, "X-Brew": {"1"}}}
		}
		return nil, errors.New("database password is hunter2")
	}
	src, err := receive.Compile(sourceOf(spec), receive.Options{NowFunc: nowFunc, AuthenticateFunc: auth})
	if err != nil {
		t.Fatal(err)
	}
	a := &accept{}
	h := receive.Handler(src, a.fn)
	post := func(body string, headers ...string) *http.Request {
		return req("POST", "/", []byte(body), append([]string{"Content-Type", "application/json"}, headers...)...)
	}
	w := serve(h, post(`{"wrong":1}`))
	expectStatus(t, w, 403)
	if w.Body.String() != "who are you?" || w.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("403 answered %q %q", w.Header().Get("Content-Type"), w.Body)
	}
	w = serve(h, post(`{"wrong":1}`, "X-Key", "teapot"))
	expectStatus(t, w, 418)
	if w.Body.String() != `{"tea":true}` || w.Header().Get("X-Brew") != "1" {
		t.Errorf("418 answered %q %v", w.Body, w.Header())
	}
	w = serve(h, post(`{"amount":1}`, "X-Key", "other"))
	expectStatus(t, w, 500)
	if strings.Contains(w.Body.String(), "hunter2") {
		t.Errorf("500 shows the error: %s", w.Body)
	}
	expectStatus(t, serve(h, post(`{"wrong":1}`, "X-Key", "good")), 400) // authenticated: the schema applies
	expectStatus(t, serve(h, post(`{"amount":1}`, "X-Key", "good")), 200)
	if string(a.last.User) != `{"name":"ada"}` {
		t.Errorf("user %s", a.last.User)
	}
}

// TestHandlerErrorAnswers: a handler's *Error may set the body, content
// type and headers of the answer; without a body it is a problem.
func TestHandlerErrorAnswers(t *testing.T) {
	t.Parallel()
	src := compile(t, `{}`)
	cases := []struct {
		name   string
		err    error
		status int
		ct     string
		body   string
	}{
		{"body and type", &receive.Error{Status: 409, Body: "<busy/>", ContentType: "application/xml", Header: http.Header{"X-A": {"b"}}}, 409, "application/xml", "<busy/>"},
		{"body, default type", &receive.Error{Status: 422, Body: "no"}, 422, "text/plain; charset=utf-8", "no"},
		{"problem", &receive.Error{Status: 429, Message: "slow down", Header: http.Header{"Retry-After": {"3"}}}, 429, "application/problem+json", ""},
		{"HTTPError", &receive.HTTPError{Status: 451, Body: "gone"}, 451, "", "gone"},
		{"other error", errors.New("boom"), 500, "application/problem+json", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := receive.Handler(src, func(context.Context, *receive.Message) error { return tc.err })
			w := serve(h, req("POST", "/", []byte(`{}`), "Content-Type", "application/json"))
			expectStatus(t, w, tc.status)
			if tc.ct != "" && w.Header().Get("Content-Type") != tc.ct {
				t.Errorf("content type %q, want %q", w.Header().Get("Content-Type"), tc.ct)
			}
			if tc.body != "" && w.Body.String() != tc.body {
				t.Errorf("body %q, want %q", w.Body, tc.body)
			}
			if tc.name == "problem" && (w.Header().Get("Retry-After") != "3" || !strings.Contains(w.Body.String(), "slow down")) {
				t.Errorf("problem answer %v %s", w.Header(), w.Body)
			}
		})
	}
}

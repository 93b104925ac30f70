package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

// TestInvalidUTF8 checks that bytes that are not UTF-8 are refused, never
// stored with U+FFFD in their place: 422 at /data in a published event's
// data, 400 anywhere else in a JSON body.
func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	bad := "caf\xe9" // Latin-1, not UTF-8
	p := problem(t, h.do("POST", "/v1/tenants/default/events", `{"type":"a.b","data":{"name":"`+bad+`"}}`), 422, hookd.EINVALID)
	hasPointer(t, p, "/data")
	if !strings.Contains(p.Errors[0].Message, "UTF-8") {
		t.Errorf("message %q", p.Errors[0].Message)
	}
	// The slow path of publish (members in another order, an id) too.
	p = problem(t, h.do("POST", "/v1/tenants/default/events", `{"data":"`+bad+`","type":"a.b","id":"k1","x":1}`), 422, hookd.EINVALID)
	hasPointer(t, p, "/data")
	// A valid U+FFFD is text like any other.
	if r := h.do("POST", "/v1/tenants/default/events", `{"type":"a.b","data":"\uFFFD `+"\uFFFD"+`"}`); r.status != http.StatusAccepted {
		t.Fatalf("U+FFFD: %d %s", r.status, r.body)
	}
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/v1/tenants/default/events", `{"type":"a.b` + bad + `","data":1}`},
		{"PUT", "/v1/tenants/acme", `{"metadata":{"k":"` + bad + `"}}`},
		{"POST", "/v1/tenants/default/endpoints", `{"url":"https://example.com/","description":"` + bad + `"}`},
		{"POST", "/v1/event-types", `{"name":"a.b","description":"` + bad + `"}`},
		{"POST", "/v1/sources", `{"id":"s","description":"` + bad + `"}`},
	} {
		p := problem(t, h.do(tc.method, tc.path, tc.body), http.StatusBadRequest, hookd.EMALFORMED)
		if !strings.Contains(p.Detail, "not valid UTF-8") {
			t.Errorf("%s %s: detail %q", tc.method, tc.path, p.Detail)
		}
	}
}

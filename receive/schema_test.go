package receive_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/receive"
)

// TestViolationsPointAlike: one schema gives the same pointers, under
// their own prefixes, when it checks a published event's data (catalog)
// and an inbound request's body: a missing property points at itself.
func TestViolationsPointAlike(t *testing.T) {
	t.Parallel()
	schema := `{"type":"object","required":["amount","a/b"],"additionalProperties":false,
		"properties":{"amount":{"type":"integer"},"a/b":{"type":"string"},"kind":{"anyOf":[{"type":"string"},{"type":"integer"}]}}}`
	body := `{"kind":true,"extra~":1}`
	want := []string{"/amount", "/a~1b", "/extra~0", "/kind"} // sorted by pointer

	s, err := catalog.CompileSchema(json.RawMessage(schema))
	if err != nil {
		t.Fatal(err)
	}
	var published []string
	for _, f := range hookd.ErrorFields(s.Validate([]byte(body), "/data")) {
		published = append(published, strings.TrimPrefix(f.Pointer, "/data"))
	}

	h := receive.Handler(compile(t, `{"schema":{"body":`+schema+`}}`), (&accept{}).fn)
	w := serve(h, req(http.MethodPost, "/in/src", []byte(body), "Content-Type", "application/json"))
	expectStatus(t, w, http.StatusBadRequest)
	var inbound []string
	for _, f := range decodeProblem(t, w).Errors {
		inbound = append(inbound, strings.TrimPrefix(f.Pointer, "/body"))
	}
	if !slices.Equal(published, want) || !slices.Equal(inbound, want) {
		t.Fatalf("pointers: published %q, inbound %q; want %q for both", published, inbound, want)
	}
}

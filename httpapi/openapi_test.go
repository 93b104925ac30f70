package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// kinValidate checks doc with kin-openapi, an independent OpenAPI 3.1
// validator: structure, schemas, parameters against paths, security
// schemes, and that every $ref resolves.
func kinValidate(doc []byte) error {
	d, err := openapi3.NewLoader().LoadFromData(doc)
	if err != nil {
		return err
	}
	return d.Validate(context.Background())
}

// smallTypes is the catalog of the golden document.
var smallTypes = []*hookd.EventType{
	{Name: "invoice.paid", Description: "An invoice was paid.", Group: "billing",
		Schema:   json.RawMessage(`{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"lines":{"type":"array","items":{"$ref":"#/$defs/line"}}},"$defs":{"line":{"type":"object","properties":{"sku":{"type":"string"}}}}}`),
		Examples: []json.RawMessage{json.RawMessage(`{"id":"in_1","lines":[{"sku":"pro"}]}`)}},
	{Name: "user.deleted", Deprecated: true, Methods: []string{"PUT"}},
}

func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	doc, err := httpapi.OpenAPI("v1.2.3", smallTypes)
	if err != nil {
		t.Fatal(err)
	}
	if err := kinValidate(doc); err != nil {
		t.Fatalf("kin-openapi: %v", err)
	}
	path := filepath.Join("testdata", "openapi.golden.json")
	if *update {
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./httpapi -run TestOpenAPIDocument -update writes it)", err)
	}
	if !bytes.Equal(doc, want) {
		t.Errorf("the OpenAPI document differs from %s: review the change, then rewrite it with "+
			"go test ./httpapi -run TestOpenAPIDocument -update", path)
	}
}

// The validator does fail on a broken document: the check above is not
// vacuous.
func TestOpenAPIValidatorCatchesErrors(t *testing.T) {
	t.Parallel()
	doc, err := httpapi.OpenAPI("v1", smallTypes)
	if err != nil {
		t.Fatal(err)
	}
	for name, breakIt := range map[string]func(string) string{
		"dangling ref": func(s string) string {
			return strings.Replace(s, `"#/components/schemas/EventType"`, `"#/components/schemas/Nope"`, 1)
		},
		"bad schema type": func(s string) string { return strings.Replace(s, `"type": "integer"`, `"type": "int"`, 1) },
		"no description":  func(s string) string { return strings.Replace(s, `"description": "No Content."`, `"x": 1`, 1) },
	} {
		if err := kinValidate([]byte(breakIt(string(doc)))); err == nil {
			t.Errorf("%s: the validator accepted a broken document", name)
		}
	}
}

// Every route the server serves is documented, and every documented
// route is served.
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	doc, err := httpapi.Document("v1", nil)
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range doc.Paths {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	served := append(h.server.Routes(), httpapi.OpsRoutes()...)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %q is served but not documented (add it to apiOps in openapi_ops.go)", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("route %q is documented but not served", r)
		}
	}
}

// GET /openapi.json needs no key and shows the event types as they are
// now; so does GET /docs.
func TestOpenAPIAndDocsEndpoints(t *testing.T) {
	t.Parallel()
	h, _ := newCatalogHarness(t, false)
	mux := http.NewServeMux()
	mux.Handle("GET /openapi.json", h.server.OpenAPIHandler())
	mux.Handle("GET /docs", h.server.DocsHandler())
	ts := httptest.NewServer(mux)
	defer ts.Close()
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(ts.URL + path) // no Authorization
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	for _, name := range []string{"invoice.paid", "invoice.voided", "user.created"} {
		decode[httpapi.EventType](t, h.do("POST", "/v1/event-types",
			`{"name":"`+name+`","group":"g","schema":{"type":"object","properties":{"n":{"type":"integer"}}}}`), http.StatusCreated)
	}
	resp, body := get("/openapi.json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json = %d %s", resp.StatusCode, body)
	}
	if err := kinValidate(body); err != nil {
		t.Fatalf("kin-openapi: %v", err)
	}
	var d struct {
		Webhooks map[string]json.RawMessage `json:"webhooks"`
	}
	if err := json.Unmarshal(body, &d); err != nil || len(d.Webhooks) != 3 {
		t.Fatalf("webhooks = %v, %v", d.Webhooks, err)
	}
	if err := h.client.DeleteEventType(context.Background(), "invoice.voided"); err != nil {
		t.Fatal(err)
	}

	resp, body = get("/docs")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs = %d %s", resp.StatusCode, body)
	}
	for _, name := range []string{"invoice.paid", "user.created"} {
		if !strings.Contains(string(body), `id="`+name+`"`) {
			t.Errorf("/docs lacks %s", name)
		}
	}
	if strings.Contains(string(body), "invoice.voided") {
		t.Error("/docs shows a deleted type")
	}
}

package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// shapedYAML declares DataChonk's format as the house payload, and an
// event type delivered with GET or POST.
const shapedYAML = `delivery:
  payload:
    template:
      id: "{{event.id}}"
      event: "{{event.type}}"
      created_at: "{{event.created_at}}"
      project_id: "{{tenant.metadata.project_id}}"
      data: "{{event.data}}"
event_types:
  - name: invoice.paid
    methods: [POST, GET]
    schema:
      type: object
      properties:
        amount: {type: integer}
    examples:
      - {amount: 42}
`

// TestOpenAPIShowsTemplate: hookd openapi documents the house format as
// each webhook's body, with one operation per method and examples
// rendered through the template.
func TestOpenAPIShowsTemplate(t *testing.T) {
	t.Parallel()
	code, out, errOut := runInProcess(t, nil, "openapi", "--config", writeCatalogConfig(t, shapedYAML))
	if code != 0 {
		t.Fatalf("hookd openapi: exit %d: %s", code, errOut)
	}
	doc, err := openapi3.NewLoader().LoadFromData([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("kin-openapi: %v", err)
	}
	wh := doc.Webhooks["invoice.paid"]
	if wh == nil || wh.Post == nil || wh.Get == nil {
		t.Fatalf("webhook operations: %+v", wh)
	}
	media := wh.Post.RequestBody.Value.Content["application/json"]
	schema := media.Schema.Value
	for _, p := range []string{"id", "event", "created_at", "project_id", "data"} {
		if schema.Properties[p] == nil {
			t.Errorf("body schema lacks %s: %v", p, schema.Properties)
		}
	}
	if ref := schema.Properties["data"].Ref; ref != "#/components/schemas/invoice.paid.data" {
		t.Errorf("data is %q, want the type's schema", ref)
	}
	if f := schema.Properties["created_at"].Value.Format; f != "date-time" {
		t.Errorf("created_at format %q", f)
	}
	ex, _ := json.Marshal(media.Examples["example-1"].Value.Value)
	want := `{"created_at":"2025-01-02T03:04:05.000Z","data":{"amount":42},"event":"invoice.paid","id":"evt_2zJ8Y9x1bQm4cT7vN3kP0aWdLe","project_id":null}`
	if string(ex) != want {
		t.Errorf("example %s\nwant    %s", ex, want)
	}
}

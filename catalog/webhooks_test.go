package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/catalog/openapi"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

// validateOpenAPI checks doc with kin-openapi, an independent OpenAPI 3.1
// validator: the document's structure, every schema, and that every
// $ref resolves.
func validateOpenAPI(t *testing.T, doc []byte) {
	t.Helper()
	loader := openapi3.NewLoader()
	d, err := loader.LoadFromData(doc)
	if err != nil {
		t.Fatalf("kin-openapi cannot load the document: %v", err)
	}
	if !d.IsOpenAPI31OrLater() {
		t.Fatalf("not OpenAPI 3.1: %s", d.OpenAPI)
	}
	if err := d.Validate(context.Background()); err != nil {
		t.Fatalf("kin-openapi: the document is invalid: %v", err)
	}
}

type Invoice struct {
	ID       string        `json:"id" description:"The invoice's id."`
	Amount   int64         `json:"amount" description:"In cents."`
	Currency string        `json:"currency" enum:"EUR,USD"`
	Lines    []InvoiceLine `json:"lines"`
	PaidAt   *time.Time    `json:"paid_at,omitempty"`
}

type InvoiceLine struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

type User struct {
	ID    string `json:"id"`
	Email string `json:"email" format:"email"`
}

var (
	InvoicePaid = catalog.Type[Invoice]("invoice.paid",
		catalog.Description("An invoice was paid in full."),
		catalog.Example(Invoice{ID: "in_1", Amount: 4200, Currency: "EUR", Lines: []InvoiceLine{{SKU: "pro", Quantity: 1}}}))
	InvoiceVoided = catalog.Type[Invoice]("invoice.voided", catalog.Deprecated(), catalog.Method("PUT"))
	UserCreated   = catalog.Type[User]("user.created", catalog.Description("A user signed up."))
)

func smallCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.New(
		catalog.Group("billing", InvoicePaid, InvoiceVoided),
		UserCreated,
	)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOpenAPIGolden(t *testing.T) {
	t.Parallel()
	c := smallCatalog(t)
	doc, err := c.OpenAPI(openapi.Info{Title: "Acme webhooks", Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	validateOpenAPI(t, doc)
	golden(t, "webhooks.openapi.golden.json", doc)

	var d struct {
		Webhooks map[string]map[string]struct {
			Tags       []string `json:"tags"`
			Deprecated bool     `json:"deprecated"`
		} `json:"webhooks"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Webhooks) != 3 || d.Webhooks["invoice.paid"]["post"].Tags[0] != "billing" ||
		!d.Webhooks["invoice.voided"]["put"].Deprecated || d.Webhooks["user.created"]["post"].Tags != nil {
		t.Errorf("webhooks = %+v", d.Webhooks)
	}
}

// A user's schema with internal references and a recursive definition
// keeps resolving once moved into the document.
func TestOpenAPIRelocatesRefs(t *testing.T) {
	t.Parallel()
	tree := json.RawMessage(`{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://example.com/tree.json",
		"type":"object","properties":{"root":{"$ref":"#/$defs/node"},"self":{"$ref":"#"},
		"default":{"$ref":"#/$defs/node"},"const_like":{"const":{"$ref":"#/not/a/ref"}}},
		"$defs":{"node":{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}}}`)
	doc := openapi.New(openapi.Info{Title: "t", Version: "1"})
	types := []*hookd.EventType{{Name: "tree.grown", Schema: tree}, {Name: "free.form"}}
	if err := catalog.AddWebhooks(doc, types); err != nil {
		t.Fatal(err)
	}
	b, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	validateOpenAPI(t, b)
	s := string(doc.Components.Schemas["tree.grown.data"])
	for _, want := range []string{`"#/components/schemas/tree.grown.data/$defs/node"`, `"self":{"$ref":"#/components/schemas/tree.grown.data"}`, `"#/not/a/ref"`} {
		if !strings.Contains(s, want) {
			t.Errorf("schema lacks %s: %s", want, s)
		}
	}
	if strings.Contains(s, "$id") || strings.Contains(s, "$schema") {
		t.Errorf("schema keeps $id or $schema: %s", s)
	}
}

// TestExampleTimeIsFixed: the documents' example time is the same on
// every call, so that they are reproducible.
func TestExampleTimeIsFixed(t *testing.T) {
	t.Parallel()
	want := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := catalog.ExampleTime(); !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("ExampleTime() = %v, want %v", got, want)
	}
}

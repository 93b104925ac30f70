package catalog_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/signature"
)

func TestDocsHandler(t *testing.T) {
	t.Parallel()
	c := smallCatalog(t)
	if err := c.Add(catalog.Type[map[string]any]("evil.type", catalog.Description(`<script>alert(1)</script>`))); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.DocsHandler("Acme webhooks", "acme/1"))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	page := string(b)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, type %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`<title>Acme webhooks</title>`,
		`id="invoice.paid"`, `id="invoice.voided"`, `id="user.created"`, `id="evil.type"`,
		"An invoice was paid in full.", "deprecated", "PUT /webhooks HTTP/1.1",
		"webhook-signature: v1,", "User-Agent: acme/1",
		`&lt;script&gt;`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("a description was not escaped")
	}
}

// The example delivery on the page verifies with the example secret.
func TestDocsExampleVerifies(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := catalog.WriteDocs(&b, catalog.DocsPage{Types: []*hookd.EventType{InvoicePaid.EventType()}}); err != nil {
		t.Fatal(err)
	}
	body, err := catalog.ExamplePayload("invoice.paid", InvoicePaid.EventType().Examples[0])
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.NewVerifier(catalog.ExampleSecret)
	if err != nil {
		t.Fatal(err)
	}
	page := b.String()
	i := strings.Index(page, "webhook-signature: ")
	sig := page[i+len("webhook-signature: "):]
	sig = sig[:strings.IndexByte(sig, '\n')]
	ts := strconv.FormatInt(catalog.ExampleTime().Unix(), 10)
	v.NowFunc = func() time.Time { return catalog.ExampleTime() } // the page's clock
	if err := v.VerifyParts(catalog.ExampleEventID, ts, sig, body); err != nil {
		t.Fatalf("the example signature does not verify: %v", err)
	}
	if !strings.Contains(page, strings.ReplaceAll(string(body), `"`, "&#34;")) {
		t.Errorf("the page does not show the exact body %s", body)
	}
}

func TestSampleData(t *testing.T) {
	t.Parallel()
	tests := []struct{ schema, want string }{
		{``, `{}`},
		{`{"type":"object","properties":{"a":{"type":"integer"},"b":{"enum":["x","y"]},"c":{"type":["string","null"],"format":"email"}}}`,
			`{"a":1,"b":"x","c":"ada@example.com"}`},
		{`{"$ref":"#/$defs/n","$defs":{"n":{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#/$defs/n"}}}}}}`, ``},
		{`{"anyOf":[{"type":"null"},{"type":"boolean"}]}`, `true`},
	}
	for _, tc := range tests {
		got := catalog.SampleData(json.RawMessage(tc.schema))
		if !json.Valid(got) {
			t.Errorf("SampleData(%s) = %s: not JSON", tc.schema, got)
		}
		if tc.want != "" && string(got) != tc.want {
			t.Errorf("SampleData(%s) = %s, want %s", tc.schema, got, tc.want)
		}
	}
}

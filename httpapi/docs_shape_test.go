package httpapi_test

import (
	"os"
	"strings"
	"testing"
)

// TestShapingDocs: docs/shaping-payloads.md shows exactly the Chalk and
// DataChonk templates and the FireHydrant transform the tests deliver.
func TestShapingDocs(t *testing.T) {
	b, err := os.ReadFile("../docs/shaping-payloads.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for fence, want := range map[string]string{
		"```json chalk\n":     chalkTemplate,
		"```json datachonk\n": dataChonkTemplate,
		"```js firehydrant\n": fireHydrant,
	} {
		_, rest, ok := strings.Cut(doc, fence)
		block, _, closed := strings.Cut(rest, "\n```")
		if !ok || !closed {
			t.Errorf("no %q block", fence)
			continue
		}
		if block != want {
			t.Errorf("%q block\n%s\nwant\n%s", fence, block, want)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "(docs/shaping-payloads.md)") {
		t.Error("README does not link docs/shaping-payloads.md")
	}
}

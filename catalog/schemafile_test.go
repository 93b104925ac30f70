package catalog_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hookd/hookd/catalog"
)

func TestReadSchemaFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	want := `{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}}`
	for _, p := range []string{
		write("a.json", want),
		write("a.yaml", "type: object\nrequired: [id]\nproperties:\n  id: {type: string}\n"),
		write("a.YML", "type: object\nrequired:\n  - id\nproperties:\n  id:\n    type: string\n"),
	} {
		got, err := catalog.ReadSchemaFile(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		_ = json.Unmarshal([]byte(want), &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: got %s, want %s", p, got, want)
		}
	}
	for _, tc := range []struct{ path, want string }{
		{write("bad.json", "type: object"), "is not JSON"},
		{write("bad.yaml", "type: [object"), "is not YAML"},
		{filepath.Join(dir, "missing.json"), "no such file"},
	} {
		if _, err := catalog.ReadSchemaFile(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.path, err, tc.want)
		}
	}
}

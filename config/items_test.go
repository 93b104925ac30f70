package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

func TestItems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.yaml")
	src := `addr: ":9000"
sources:
  - id: github
    verify:
      - provider: github
        secret: ${GH_SECRET}
    max_body: 1MiB
  - id: stripe
    count: 12
    ratio: 0.5
    on: true
    none: ~
    text: |
      two
      lines
event_types:
  - name: invoice.paid
`
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(LoadOptions{Path: path, Env: []string{"GH_SECRET=s3cret"}})
	noErr(t, err)
	if len(c.Sources) != 2 || len(c.EventTypes) != 1 {
		t.Fatalf("sources %d, event types %d", len(c.Sources), len(c.EventTypes))
	}
	var gh map[string]any
	noErr(t, json.Unmarshal(c.Sources[0].JSON, &gh))
	verify := gh["verify"].([]any)[0].(map[string]any)
	equal(t, "s3cret", verify["secret"])
	equal(t, "1MiB", gh["max_body"])
	equal(t, `{"id":"stripe","count":12,"ratio":0.5,"on":true,"none":null,"text":"two\nlines\n"}`, string(c.Sources[1].JSON))
	equal(t, "sources[0]", c.Sources[0].Key)

	// Errors about a value name its line.
	err = c.Sources[0].Errorf("/verify/0/secret", "too short")
	if !strings.Contains(err.Error(), "hookd.yaml:6: sources[0]/verify/0/secret: too short") {
		t.Errorf("Errorf = %v", err)
	}
	err = c.Sources[1].Wrap(hookd.Invalid("bad", hookd.FieldError{Pointer: "/ratio", Message: "must be whole"},
		hookd.FieldError{Pointer: "/nope/deeper", Message: "unknown"}))
	for _, want := range []string{"hookd.yaml:10: sources[1]/ratio: must be whole", "hookd.yaml:8: sources[1]/nope/deeper: unknown"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Wrap = %v, want %q", err, want)
		}
	}
}

func TestItemsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, src, want string }{
		{"not a list", "sources: {id: a}\n", "hookd.yaml:1"},
		{"duplicate key", "sources:\n  - id: a\n    id: b\n", "already defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hookd.yaml")
			if err := os.WriteFile(path, []byte(tc.src), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(LoadOptions{Path: path})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	_, err := Load(LoadOptions{Env: []string{"HOOKD_SOURCES=x"}})
	if err == nil || !strings.Contains(err.Error(), "only be set in the configuration file") {
		t.Fatalf("HOOKD_SOURCES: %v", err)
	}
}

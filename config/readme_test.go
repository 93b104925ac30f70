package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADME keeps the configuration reference (docs/configuration.md)
// honest: its table lists every key with its environment variable, and its
// example loads. The README gives the test command.
func TestREADME(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../docs/configuration.md")
	noErr(t, err)
	readme := string(b)
	front, err := os.ReadFile("../README.md")
	noErr(t, err)

	rows := regexp.MustCompile("(?m)^\\| `([a-z_.]+)` \\| (`[A-Z_]+`|\\(file only\\)) \\|").FindAllStringSubmatch(readme, -1)
	var documented []string
	for _, r := range rows {
		documented = append(documented, r[1])
		if r[2] != "(file only)" {
			equal(t, "`"+EnvName(r[1])+"`", r[2])
		}
	}
	equal(t, Keys(), documented)

	example := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(readme)
	if example == nil {
		t.Fatal("docs/configuration.md has no yaml example")
	}
	c, err := Load(LoadOptions{Path: writeConfig(t, example[1]), Env: []string{"API_KEY=k"}})
	noErr(t, err)
	equal(t, "k", c.APIKey)
	if !strings.Contains(string(front), "./.ci/run") {
		t.Error("README does not give the test command")
	}
}

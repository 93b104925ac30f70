package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestDeployFilesNameRealCommands checks that the Dockerfile, the compose
// file and the systemd unit run hookd subcommands that exist, and keep the
// properties they promise.
func TestDeployFilesNameRealCommands(t *testing.T) {
	t.Parallel()
	root := newRootCmd(nil, io.Discard, io.Discard)
	exists := func(name string) bool {
		c, _, err := root.Find([]string{name})
		return err == nil && c != root
	}
	checkDockerfile(t, exists)
	checkCompose(t, exists)
	unit := readRepoFile(t, "deploy/hookd.service")
	for _, want := range []string{"ExecStart=/usr/local/bin/hookd serve", "DynamicUser=yes", "NoNewPrivileges=yes",
		"ProtectSystem=strict", "StateDirectory=hookd", "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service"} {
		if !strings.Contains(unit, want) {
			t.Errorf("hookd.service lacks %q", want)
		}
	}
	if lic := readRepoFile(t, "LICENSE"); !strings.Contains(lic, "Apache License\n                           Version 2.0, January 2004") {
		t.Error("LICENSE is not the Apache License 2.0")
	}
}

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkDockerfile(t *testing.T, exists func(string) bool) {
	t.Helper()
	docker := readRepoFile(t, "Dockerfile")
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532:65532", `VOLUME ["/data"]`, "HOOKD_DB=sqlite:/data/hookd.db",
		`CMD ["/usr/local/bin/hookd", "healthcheck"]`, `CMD ["serve"]`} {
		if !strings.Contains(docker, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	for _, m := range regexp.MustCompile(`"/usr/local/bin/hookd", "(\w+)"|CMD \["(\w+)"\]`).FindAllStringSubmatch(docker, -1) {
		if name := m[1] + m[2]; !exists(name) {
			t.Errorf("Dockerfile runs hookd %s, which does not exist", name)
		}
	}
}

func checkCompose(t *testing.T, exists func(string) bool) {
	t.Helper()
	var compose struct {
		Services map[string]struct {
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.UnmarshalWithOptions([]byte(readRepoFile(t, "deploy/compose.yaml")), &compose, yaml.AllowDuplicateMapKey()); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"postgres", "migrate", "hookd-1", "hookd-2", "proxy"} {
		if _, ok := compose.Services[name]; !ok {
			t.Errorf("compose.yaml lacks service %s", name)
		}
	}
	if cmd := compose.Services["migrate"].Command; len(cmd) != 1 || !exists(cmd[0]) {
		t.Errorf("compose migrate runs %v", cmd)
	}
	for _, node := range []string{"hookd-1", "hookd-2"} {
		if env := compose.Services[node].Environment; !strings.HasPrefix(env["HOOKD_DB"], "postgres://") || env["HOOKD_NODE_ID"] != node {
			t.Errorf("compose %s environment = %v", node, env)
		}
	}
	caddy := readRepoFile(t, "deploy/Caddyfile")
	if !strings.Contains(caddy, "hookd-1:8080 hookd-2:8080") || !strings.Contains(caddy, "health_uri /readyz") {
		t.Errorf("Caddyfile does not balance both nodes on /readyz:\n%s", caddy)
	}
}

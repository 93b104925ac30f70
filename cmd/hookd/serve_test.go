package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// These tests run the real binary (see harness_test.go).

func TestServeWithNoFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// No flags at all: the address comes from the environment because
	// :8080 may be taken on this machine.
	p := startHookd(t, startOptions{Dir: dir, Args: []string{"serve"}, Env: []string{"HOOKD_ADDR=127.0.0.1:0"}})
	base := "http://" + p.waitListening()

	if _, err := os.Stat(filepath.Join(dir, "hookd.db")); err != nil {
		t.Errorf("hookd.db not created in the working directory: %v", err)
	}
	resp, body := httpGet(t, base+"/healthz")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /healthz: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var health map[string]string
	if err := json.Unmarshal([]byte(body), &health); err != nil || health["status"] != "ok" {
		t.Errorf("GET /healthz body %q (%v), want {\"status\":\"ok\"}", body, err)
	}
	if resp, body := httpGet(t, base+"/readyz"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz: %d %s", resp.StatusCode, body)
	}
	resp, body = httpGet(t, base+"/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /metrics: %d", resp.StatusCode)
	}
	for _, metric := range []string{"go_goroutines ", "process_open_fds ", "go_build_info{"} {
		if !strings.Contains(body, metric) {
			t.Errorf("GET /metrics lacks %s", metric)
		}
	}

	if code := p.stop(); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}
	for _, want := range []string{`msg="shutting down"`, "msg=stopped"} {
		if !strings.Contains(p.Output(), want) {
			t.Errorf("output lacks %s", want)
		}
	}
}

func TestServeStopsOnSignal(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			p, base := serveHookd(t, startOptions{})
			httpGet(t, base+"/healthz")
			if code := p.signal(sig); code != 0 {
				t.Errorf("exit code = %d, want 0", code)
			}
		})
	}
}

func TestServeRefusesLockedDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, base := serveHookd(t, startOptions{Dir: dir})

	second := startHookd(t, startOptions{Dir: dir, Args: []string{"serve", "--addr", "127.0.0.1:0"}})
	if code := second.wait(stopTimeout); code == 0 {
		t.Fatalf("second hookd on the same database exited 0\n%s", second.Output())
	}
	out := second.Output()
	for _, want := range []string{"hookd: ", "another hookd process holds the database file", "lock"} {
		if !strings.Contains(out, want) {
			t.Errorf("second hookd's error lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "msg=listening") {
		t.Errorf("second hookd listened before failing")
	}

	if resp, _ := httpGet(t, base+"/readyz"); resp.StatusCode != http.StatusOK {
		t.Errorf("first hookd: GET /readyz = %d after the second was refused", resp.StatusCode)
	}
	if code := first.stop(); code != 0 {
		t.Errorf("first hookd exit code = %d, want 0", code)
	}
}

func TestServeRestartsAfterKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p, _ := serveHookd(t, startOptions{Dir: dir})
	p.kill()
	// The kernel drops the file lock with the process: no stale lock.
	p, base := serveHookd(t, startOptions{Dir: dir})
	if resp, body := httpGet(t, base+"/readyz"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz after restart: %d %s", resp.StatusCode, body)
	}
	if code := p.stop(); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
}

func TestServeReadsConfigFileInWorkingDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	yaml := "db: sqlite:${DB_NAME:-default.db}\nlog:\n  level: debug\n"
	if err := os.WriteFile(filepath.Join(dir, "hookd.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p, _ := serveHookd(t, startOptions{Dir: dir, Env: []string{"DB_NAME=from-env.db"}})
	if _, err := os.Stat(filepath.Join(dir, "from-env.db")); err != nil {
		t.Errorf("from-env.db not created: %v", err)
	}
	if !strings.Contains(p.Output(), "config.file=hookd.yaml") {
		t.Errorf("the start line does not name the config file")
	}
	if code := p.stop(); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
}

func TestServeNeverLogsAPIKey(t *testing.T) {
	t.Parallel()
	const key = "sk_do_not_log_me_4f2a"
	p, base := serveHookd(t, startOptions{
		Args: []string{"--api-key", key},
		Env: []string{"HOOKD_LOG_LEVEL=debug", "HOOKD_METRICS_REQUIRE_KEY=true",
			"HOOKD_SECRETS_KEY=" + testSecretsKey},
	})
	httpGet(t, base+"/metrics") // a refused request
	if code := p.stop(); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
	out := p.Output()
	if strings.Contains(out, key) || strings.Contains(out, testSecretsKey) {
		t.Errorf("the API key or the master key appears in the output:\n%s", out)
	}
	if !regexp.MustCompile(`config\.api_key_set=true`).MatchString(out) {
		t.Errorf("the start line does not say an API key is set:\n%s", out)
	}
}

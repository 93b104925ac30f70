package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd/config"
)

var receiveListening = regexp.MustCompile(`msg=listening addr=(\S+) listener=receive.addr`)

// TestReceiveListener runs hookd with receive.addr: sources are served
// there and only there (a source at "/" owns its root), with /healthz;
// the main address serves the API and no source. Paths set through the
// API take effect at once; a path another source holds, or one of
// hookd's own routes, is refused with a pointer.
func TestReceiveListener(t *testing.T) {
	const key = "hk_receive_listener"
	p, base := serveHookd(t, startOptions{Args: []string{"--receive-addr", "127.0.0.1:0"}, Env: []string{"HOOKD_API_KEY=" + key}})
	line, err := p.stderr.waitFor(receiveListening, p.done, startTimeout)
	if err != nil {
		t.Fatalf("no receive listener: %v", err)
	}
	in := "http://" + receiveListening.FindStringSubmatch(line)[1]
	client := &http.Client{Timeout: 10 * time.Second}
	for _, src := range []map[string]any{
		{"id": "root", "path": "/"},
		{"id": "plaid", "path": "/acme/prod/plaid_transactions"},
		{"id": "plain"},
	} {
		if status, err := apiCall(client, "POST", base+"/v1/sources", key, src, nil); err != nil || status != http.StatusCreated {
			t.Fatalf("create %v: %d %v", src["id"], status, err)
		}
	}
	post := func(url string) (int, string) {
		resp, err := client.Post(url, "application/json", strings.NewReader(`{"n":1}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for url, want := range map[string]int{
		in + "/": 200, in + "/acme/prod/plaid_transactions": 200, in + "/in/plain": 200, in + "/nope": 404,
		// The main listener serves no source; its root is the dashboard's
		// (GET redirects to /ui/), so a POST there is 405.
		base + "/": 405, base + "/in/plain": 404, base + "/acme/prod/plaid_transactions": 404,
	} {
		if got, body := post(url); got != want {
			t.Errorf("POST %s: %d, want %d (%s)", url, got, want, body)
		}
	}
	if resp, body := httpGet(t, in+"/healthz"); resp.StatusCode != 200 || !strings.Contains(body, "ok") {
		t.Errorf("receive /healthz: %d %s", resp.StatusCode, body)
	}
	if status, _ := apiCall(client, "GET", in+"/v1/sources", key, nil, nil); status != http.StatusNotFound {
		t.Errorf("the API answers on the receive listener: %d", status)
	}
	for _, src := range []map[string]any{{"id": "dup", "path": "/"}, {"id": "own", "path": "/metrics"}} {
		status, body := apiRaw(t, client, base+"/v1/sources", key, src)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"/path"`) {
			t.Errorf("create %v: %d %s", src, status, body)
		}
	}
	// Moving a source through the API takes effect without a restart.
	if status, err := apiCall(client, "PATCH", base+"/v1/sources/plain", key, map[string]any{"path": "/moved"}, nil); err != nil || status != http.StatusOK {
		t.Fatalf("patch: %d %v", status, err)
	}
	if got, _ := post(in + "/moved"); got != 200 {
		t.Errorf("POST /moved: %d", got)
	}
	if got, _ := post(in + "/in/plain"); got != 404 {
		t.Errorf("POST the old path: %d", got)
	}
}

func apiRaw(t *testing.T, client *http.Client, url, key string, body any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// TestConfigSourcePaths: two configured sources with one path are refused
// with the line of the second; a path of hookd's own is refused too.
func TestConfigSourcePaths(t *testing.T) {
	dir := t.TempDir()
	yaml := "sources:\n  - id: a\n    path: /hooks\n  - id: b\n    path: /hooks\n  - id: c\n    path: /metrics\n"
	path := filepath.Join(dir, "hookd.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.LoadOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = configSources(cfg, nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`hookd.yaml:5: sources[1]/path: /hooks is already the path of source "a"`, `hookd.yaml:7: sources[2]/path: /metrics is one of hookd's own routes`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

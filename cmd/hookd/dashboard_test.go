package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestServeMountsTheDashboard checks that "hookd serve" serves the web UI
// at /ui/ on addr, and sends GET / there.
func TestServeMountsTheDashboard(t *testing.T) {
	t.Parallel()
	p := startHookd(t, startOptions{Dir: t.TempDir(), Args: []string{"serve"},
		Env: []string{"HOOKD_ADDR=127.0.0.1:0", "HOOKD_UI_FRAME_ANCESTORS='self' https://app.example.com"}})
	base := "http://" + p.waitListening()
	resp, body := httpGet(t, base+"/ui/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ">API key<") {
		t.Errorf("GET /ui/: %d %s", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self' https://app.example.com") {
		t.Errorf("CSP = %q", csp)
	}
	if resp, _ := httpGet(t, base+"/ui/static/htmx.min.js"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET htmx: %d", resp.StatusCode)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := noRedirect.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/ui/" {
		t.Errorf("GET / = %d %q, want a redirect to /ui/", r.StatusCode, r.Header.Get("Location"))
	}
	if code := p.stop(); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
}

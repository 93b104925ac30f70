package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// obsConfig runs a node that logs JSON at debug, retries once, counts by
// endpoint, and has a token-verified source that publishes its body.
const obsConfig = `ssrf:
  allow: [127.0.0.0/8]
delivery:
  retry_schedule: [10ms]
metrics:
  per_endpoint: true
log:
  level: debug
  format: json
sources:
  - id: tok
    verify:
      - token: {header: X-Pass, value: open-sesame-token}
    destinations:
      - publish: {type: inbound.card}
`

// logLine is one JSON log line.
type logLine map[string]any

func (l logLine) msg() string { s, _ := l["msg"].(string); return s }

// TestObservability drives a real node through a failed attempt, a dead
// delivery, an endpoint disabled by the engine and enabled again, a
// rejected and an accepted inbound request, API key and secret changes,
// and checks that: every line of a documented message carries exactly
// the fields docs/observability.md lists for it, at its level; no
// secret, key, body or endpoint URL shows in the log; the published
// events (the inbound route's too) are counted; and every metric the
// Grafana dashboard queries is served.
func TestObservability(t *testing.T) {
	logs := newLineBuffer()
	n := startLoggedNode(t, obsConfig, logs)
	recv := func(status int) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
		t.Cleanup(srv.Close)
		return srv
	}
	secrets := []string{n.key, "open-sesame-token", "wrong-guess-token", "body-marker-4111", "url-token-in-path"}
	endpoint := func(url string, types ...string) string {
		body, _ := json.Marshal(map[string]any{"url": url, "event_types": types})
		status, _, b := n.do("POST", "/v1/tenants/default/endpoints", string(body))
		var ep struct{ ID, Secret string }
		if status != http.StatusCreated || json.Unmarshal(b, &ep) != nil {
			t.Fatalf("create endpoint: %d %s", status, b)
		}
		secrets = append(secrets, ep.Secret)
		return ep.ID
	}
	endpoint(recv(http.StatusInternalServerError).URL+"/url-token-in-path", "a.fail")
	gone := endpoint(recv(http.StatusGone).URL, "a.gone")
	ok := endpoint(recv(http.StatusOK).URL, "a.ok", "inbound.card")
	endpoint(recv(http.StatusOK).URL, hookd.EndpointDisabledEventType)
	for _, typ := range []string{"a.fail", "a.gone", "a.ok"} {
		if status, _, b := n.do("POST", "/v1/tenants/default/events", `{"type":"`+typ+`","data":{"card":"body-marker-4111"}}`); status != http.StatusAccepted {
			t.Fatalf("publish %s: %d %s", typ, status, b)
		}
	}
	inbound := func(pass string, want int) {
		req, _ := http.NewRequest("POST", n.base+"/in/tok", strings.NewReader(`{"card":"body-marker-4111"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Pass", pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("inbound with %s: %d, want %d", pass, resp.StatusCode, want)
		}
	}
	inbound("wrong-guess-token", http.StatusUnauthorized)
	inbound("open-sesame-token", http.StatusOK)
	secrets = append(secrets, changeCredentials(t, n, logs, ok)...)

	waitLogLine(t, logs, "endpoint disabled", func(l logLine) bool { return l["endpoint"] == gone })
	if status, _, b := n.do("PATCH", "/v1/tenants/default/endpoints/"+gone, `{"enabled":true}`); status != http.StatusOK {
		t.Fatalf("enable: %d %s", status, b)
	}
	waitLogLine(t, logs, "endpoint enabled", func(l logLine) bool { return l["actor"] == "bootstrap" })
	waitLogLine(t, logs, "delivery dead", func(l logLine) bool { return l["reason"] == "retry schedule exhausted" })
	waitLogLine(t, logs, "delivery attempt failed", func(l logLine) bool { return l["next_retry"] != nil && l["status"] == 500.0 })
	waitLogLine(t, logs, "delivery succeeded", func(l logLine) bool { return l["endpoint"] == ok })
	waitLogLine(t, logs, "event published", func(l logLine) bool { return l["source"] == "tok" && l["event_type"] == "inbound.card" })
	waitLogLine(t, logs, "event published", func(l logLine) bool { return l["event_type"] == hookd.EndpointDisabledEventType })
	waitLogLine(t, logs, "inbound request rejected", func(l logLine) bool { return l["status"] == 401.0 && l["source"] == "tok" })
	waitLogLine(t, logs, "inbound request accepted", func(l logLine) bool { return l["source"] == "tok" })

	checkDocumentedFields(t, parseLog(logs.String()))
	out := logs.String()
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("the log shows %q", s)
		}
	}
	scrape := scrapeMetrics(t, n)
	if v := sampleValue(scrape, "hookd_events_published_total"); v != 5 {
		t.Errorf("hookd_events_published_total = %v, want 5 (3 through the API, 1 by the inbound route, 1 endpoint.disabled)", v)
	}
	checkDashboard(t, scrape)
}

// changeCredentials creates and revokes an API key and rotates and
// reveals the endpoint's secret, waits for their audit lines, and returns
// the values that must not be logged.
func changeCredentials(t *testing.T, n *testNode, logs *lineBuffer, endpoint string) []string {
	t.Helper()
	status, _, b := n.do("POST", "/v1/api-keys", `{"name":"ci","scope":"admin"}`)
	var k struct{ ID, Key string }
	if status != http.StatusCreated || json.Unmarshal(b, &k) != nil || k.Key == "" {
		t.Fatalf("create api key: %d %s", status, b)
	}
	if status, _, b := n.do("DELETE", "/v1/api-keys/"+k.ID, ""); status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, b)
	}
	base := "/v1/tenants/default/endpoints/" + endpoint
	status, _, b = n.do("POST", base+"/rotate-secret", "")
	var rotated struct{ Secret string }
	if status != http.StatusOK || json.Unmarshal(b, &rotated) != nil {
		t.Fatalf("rotate: %d %s", status, b)
	}
	status, _, b = n.do("POST", base+"/secret/reveal", "")
	var revealed struct{ Secrets []string }
	if status != http.StatusOK || json.Unmarshal(b, &revealed) != nil {
		t.Fatalf("reveal: %d %s", status, b)
	}
	for _, action := range []string{"created", "revoked"} {
		waitLogLine(t, logs, "api key changed", func(l logLine) bool {
			return l["action"] == action && l["key_id"] == k.ID && l["actor"] == "bootstrap"
		})
	}
	for _, action := range []string{"rotated", "revealed"} {
		waitLogLine(t, logs, "endpoint secret changed", func(l logLine) bool { return l["action"] == action && l["endpoint"] == endpoint })
	}
	return append(append([]string{k.Key, rotated.Secret}, revealed.Secrets...), changeSourceSecrets(t, n, logs)...)
}

// changeSourceSecrets creates a source with a secret, patches its
// description (no audit line), then its secret, deletes it, and waits for
// the audit lines; a source without secrets makes none. It returns the secrets, which must not be logged.
func changeSourceSecrets(t *testing.T, n *testNode, logs *lineBuffer) []string {
	t.Helper()
	first, second := "hmac-audit-secret-one-4f1c", "hmac-audit-secret-two-9b2e"
	hmacSpec := func(secret string) string { return `{"hmac":{"header":"X-Sig","secret":"` + secret + `"}}` }
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/sources", `{"id":"audited","verify":[` + hmacSpec(first) + `]}`},
		{"PATCH", "/v1/sources/audited", `{"description":"no secret changes here"}`},
		{"PATCH", "/v1/sources/audited", `{"verify":[` + hmacSpec(second) + `]}`},
		{"DELETE", "/v1/sources/audited", ""},
		{"POST", "/v1/sources", `{"id":"plain","destinations":[{"publish":{"type":"inbound.card"}}]}`},
		{"DELETE", "/v1/sources/plain", ""},
	} {
		if status, _, b := n.do(c.method, c.path, c.body); status >= 300 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, status, b)
		}
	}
	for _, action := range []string{"created", "rotated", "revoked"} {
		waitLogLine(t, logs, "source secret changed", func(l logLine) bool {
			return l["action"] == action && l["source"] == "audited" && l["actor"] == "bootstrap"
		})
	}
	rotations := 0
	for _, l := range parseLog(logs.String()) {
		if l.msg() == "source secret changed" && l["action"] == "rotated" {
			rotations++
		}
		if l.msg() == "source secret changed" && l["source"] == "plain" {
			t.Errorf("a source without secrets has an audit line: %v", l)
		}
	}
	if rotations != 1 {
		t.Errorf("%d lines of a rotated source secret, want 1: a description patch changes no secret", rotations)
	}
	return []string{first, second}
}

// parseLog returns the JSON lines of out.
func parseLog(out string) []logLine {
	var lines []logLine
	for _, s := range strings.Split(out, "\n") {
		var l logLine
		if json.Unmarshal([]byte(s), &l) == nil {
			lines = append(lines, l)
		}
	}
	return lines
}

// waitLog waits for a line with msg that match accepts.
func waitLogLine(t *testing.T, logs *lineBuffer, msg string, match func(logLine) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, l := range parseLog(logs.String()) {
			if l.msg() == msg && match(l) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q line as expected in:\n%s", msg, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// documented is a row of the log table of docs/observability.md.
type documented struct {
	level    string
	required []string
	optional []string
}

var tableRow = regexp.MustCompile("^\\| `([^`]+)` \\| (debug|info|warn|error) \\| ([^|]*)\\| ([^|]*)\\|$")

// documentedLogs reads the log table of docs/observability.md.
func documentedLogs(t *testing.T) map[string]documented {
	t.Helper()
	names := func(cell string) []string {
		var out []string
		for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(cell, -1) {
			out = append(out, m[1])
		}
		return out
	}
	docs := map[string]documented{}
	for _, line := range strings.Split(readRepoFile(t, "docs/observability.md"), "\n") {
		if m := tableRow.FindStringSubmatch(line); m != nil {
			docs[m[1]] = documented{level: m[2], required: names(m[3]), optional: names(m[4])}
		}
	}
	if len(docs) < 10 {
		t.Fatalf("docs/observability.md lists %d log messages", len(docs))
	}
	return docs
}

// checkDocumentedFields checks every line of a documented message
// against the table, and that every documented message but those this
// test cannot provoke was seen.
func checkDocumentedFields(t *testing.T, lines []logLine) {
	t.Helper()
	docs := documentedLogs(t)
	seen := map[string]bool{}
	for _, l := range lines {
		d, ok := docs[l.msg()]
		if !ok {
			continue
		}
		seen[l.msg()] = true
		if l["level"] != strings.ToUpper(d.level) {
			t.Errorf("%q at %v, documented %s", l.msg(), l["level"], d.level)
		}
		var keys []string
		for k := range l {
			if k != "time" && k != "level" && k != "msg" {
				keys = append(keys, k)
			}
		}
		for _, k := range d.required {
			if _, ok := l[k]; !ok {
				t.Errorf("%q lacks documented field %q: %v", l.msg(), k, l)
			}
		}
		for _, k := range keys {
			if !slices.Contains(d.required, k) && !slices.Contains(d.optional, k) {
				t.Errorf("%q has undocumented field %q: %v", l.msg(), k, l)
			}
		}
	}
	for msg := range docs {
		if !seen[msg] && msg != hookd.LogMsgInboundDuplicate && msg != hookd.LogMsgInboundHandshake {
			t.Errorf("no %q line was written", msg)
		}
	}
}

// scrapeMetrics returns the text of GET /metrics.
func scrapeMetrics(t *testing.T, n *testNode) string {
	t.Helper()
	status, _, b := n.do("GET", "/metrics", "")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d", status)
	}
	return string(b)
}

// sampleValue returns the value of the sample named exactly name (no
// labels); -1 when there is none.
func sampleValue(scrape, name string) float64 {
	for _, line := range strings.Split(scrape, "\n") {
		var v float64
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			if _, err := fmt.Sscan(rest, &v); err == nil {
				return v
			}
		}
	}
	return -1
}

// checkDashboard checks that every hookd metric the Grafana dashboard
// queries has a sample in the scrape.
func checkDashboard(t *testing.T, scrape string) {
	t.Helper()
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal([]byte(readRepoFile(t, "deploy/grafana-dashboard.json")), &dash); err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, line := range strings.Split(scrape, "\n") {
		if name, _, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") {
			name, _, _ = strings.Cut(name, "{")
			served[name] = true
		}
	}
	metric := regexp.MustCompile(`hookd_[a-z0-9_]+`)
	queried := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range metric.FindAllString(tg.Expr, -1) {
				queried++
				if !served[name] {
					t.Errorf("panel %q queries %s, which /metrics does not serve", p.Title, name)
				}
			}
		}
	}
	if queried < 20 {
		t.Fatalf("the dashboard queries %d hookd metrics", queried)
	}
}

package transform_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/transform"
)

// FireHydrant ingests Chalk's webhooks as {summary, annotations}, every
// annotation value a string.
const fireHydrant = `function handler(w) {
  const chalk = w.payload;
  const annotations = {};
  for (const [key, value] of Object.entries(chalk.payload || {})) {
    annotations[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  annotations.environment_id = chalk.environment_id;
  annotations.idempotency_key = chalk.idempotency_key;
  console.log("transposed", chalk.subscription);
  w.payload = { summary: chalk.subscription + " in " + chalk.environment_id, annotations: annotations };
  return w;
}`

func input(body string) *transform.Input {
	return &transform.Input{
		Event: &hookd.Event{ID: "evt_1", TenantID: "acme", Type: "alert.created", Data: json.RawMessage(`{"id":7}`),
			CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		Tenant:   &hookd.Tenant{ID: "acme", Metadata: json.RawMessage(`{"project_id":"prj_9"}`)},
		Endpoint: &hookd.Endpoint{ID: "ep_1", Signature: hookd.SignatureConfig{Scheme: hookd.SchemeHMACSHA256, Header: "X-Sig"}},
		Body:     []byte(body),
		Method:   "POST",
	}
}

func TestFireHydrant(t *testing.T) {
	t.Parallel()
	tr, err := transform.Compile(fireHydrant)
	if err != nil {
		t.Fatal(err)
	}
	chalk := `{"environment_id":"acme","webhook_id":"ep_1","subscription":"alert.created",` +
		`"payload":{"id":7,"severity":"high","tags":["db"]},"event_timestamp":"2026-01-02T03:04:05.000Z","idempotency_key":"evt_1"}`
	out, err := tr.Run(context.Background(), input(chalk), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"summary":"alert.created in acme","annotations":{"id":"7","severity":"high","tags":"[\"db\"]",` +
		`"environment_id":"acme","idempotency_key":"evt_1"}}`
	if string(out.Body) != want {
		t.Errorf("body\n got %s\nwant %s", out.Body, want)
	}
	if out.Method != "POST" || out.Cancel || out.Logs != "transposed alert.created\n" {
		t.Errorf("out = %+v", out)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, code, err string
		check           func(*transform.Output) bool
	}{
		{"sees the event", `function handler(w) { w.payload = [w.event.id, w.event.type, w.event.created_at, w.event.data.id, w.tenant.metadata.project_id, w.endpoint.id]; return w }`,
			"", func(o *transform.Output) bool {
				return string(o.Body) == `["evt_1","alert.created","2026-01-02T03:04:05.000Z",7,"prj_9","ep_1"]`
			}},
		{"headers and method", `function handler(w) { w.headers["X-Team"] = "a"; w.method = "PUT"; return w }`, "",
			func(o *transform.Output) bool { return o.Headers["X-Team"] == "a" && o.Method == "PUT" }},
		{"same shape", `function handler(w) { return {payload: {a: 1}} }`, "",
			func(o *transform.Output) bool { return string(o.Body) == `{"a":1}` && o.Method == "POST" }},
		{"cancel", `function handler(w) { w.cancel = w.payload.skip; return w }`, "",
			func(o *transform.Output) bool { return o.Cancel }},
		{"throw", `function handler(w) { console.log("before"); throw new Error("no amount") }`, "transform: ",
			func(o *transform.Output) bool { return o.Logs == "before\n" }},
		{"time out", `function handler(w) { for (;;) {} }`, "transform: timed out after 100ms", nil},
		{"undefined", `function handler(w) { }`, "transform: handler must return w", nil},
		{"reserved header", `function handler(w) { w.headers["webhook-signature"] = "x"; return w }`, "is reserved", nil},
		{"signature header", `function handler(w) { w.headers["x-sig"] = "x"; return w }`, "is reserved", nil},
		{"hop-by-hop", `function handler(w) { w.headers["Upgrade"] = "h2c"; return w }`, "is reserved", nil},
		{"bad method", `function handler(w) { w.method = "FETCH"; return w }`, "method must be one of", nil},
		{"too big", `function handler(w) { w.payload = "x".repeat(2000); return w }`, "more than delivery.max_body", nil},
		{"deep recursion", `function f(n) { return f(n + 1) } function handler(w) { return f(0) }`, "transform: ", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr, err := transform.Compile(tc.code)
			if err != nil {
				t.Fatal(err)
			}
			out, err := tr.Run(context.Background(), input(`{"skip":true}`), 1000)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			if out == nil || tc.check != nil && !tc.check(out) {
				t.Errorf("out = %+v", out)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for code, msg := range map[string]string{
		"function handler(w) {":     "SyntaxError",
		"function other(w) {}":      "handler",
		strings.Repeat(" ", 70<<10): "",
	} {
		_, err := transform.Compile(code)
		fs := hookd.ErrorFields(err)
		if len(fs) != 1 || fs[0].Pointer != "/transform" || !strings.Contains(fs[0].Message, msg) {
			t.Errorf("%.30q: %v %+v", code, err, fs)
		}
	}
}

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const cliKey = "cli-test-key-0123456789abcdef"

// cliServer runs "hookd serve" in this process on 127.0.0.1:0 and returns
// the environment the management commands need to reach it.
func cliServer(t *testing.T) []string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "hookd.db")
	ctx, cancel := context.WithCancel(context.Background())
	stderr := newLineBuffer()
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:" + db, "--ssrf-allow", "127.0.0.0/8"},
			[]string{"HOOKD_API_KEY=" + cliKey}, io.Discard, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			t.Error("serve did not stop")
		}
	})
	line, err := stderr.waitFor(listeningAddr, exited, startTimeout)
	if err != nil {
		t.Fatalf("serve did not listen: %v\n%s", err, stderr)
	}
	return []string{"HOOKD_URL=http://" + listeningAddr.FindStringSubmatch(line)[1], "HOOKD_API_KEY=" + cliKey}
}

// cli runs a management command and fails the test unless it succeeds.
func cli(t *testing.T, env []string, args ...string) string {
	t.Helper()
	code, out, errOut := runInProcess(t, env, args...)
	if code != exitOK {
		t.Fatalf("hookd %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// cliJSON runs a management command with --json and decodes its output.
func cliJSON[T any](t *testing.T, env []string, args ...string) T {
	t.Helper()
	var v T
	out := cli(t, env, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("hookd %s --json printed %q: %v", strings.Join(args, " "), out, err)
	}
	return v
}

// hookReceiver records webhooks; it fails them while failing is set.
type hookReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  []string
	failing bool
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.bodies = append(rc.bodies, string(b))
		if rc.failing {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) received(substr string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, b := range rc.bodies {
		if strings.Contains(b, substr) {
			n++
		}
	}
	return n
}

func waitCLI(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type cliList[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

type cliThing struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Status string `json:"status"`
	Secret string `json:"secret"`
	Total  int    `json:"total"`
	Queued int    `json:"queued"`
	Data   json.RawMessage
}

func TestCLIManagesAServer(t *testing.T) {
	t.Parallel()
	env := cliServer(t)
	rc := newHookReceiver(t)

	out := cli(t, env, "tenants", "create", "acme", "--metadata", `{"plan":"pro"}`)
	if !strings.Contains(out, "acme") || !strings.Contains(out, `{"plan":"pro"}`) {
		t.Errorf("tenants create printed %q", out)
	}
	if ts := cliJSON[cliList[cliThing]](t, env, "tenants", "list"); len(ts.Data) != 2 {
		t.Errorf("tenants list --json = %+v", ts)
	}
	schema := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(schema, []byte(`{"type":"object","required":["amount"],"properties":{"amount":{"type":"integer"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cli(t, env, "event-types", "create", "invoice.paid", "--schema", "@"+schema, "--examples", `[{"amount":4200}]`)
	ep := cliJSON[cliThing](t, env, "endpoints", "create", "--tenant", "acme", "--url", rc.URL+"/hooks",
		"--event-types", "invoice.*,customer.created", "--headers", "X-Team=billing")
	if !strings.HasPrefix(ep.ID, "ep_") || !strings.HasPrefix(ep.Secret, "whsec_") {
		t.Fatalf("endpoints create --json = %+v", ep)
	}
	out = cli(t, env, "endpoints", "list", "--tenant", "acme")
	if !strings.Contains(out, ep.ID) || !strings.Contains(out, "URL") || !strings.Contains(out, "invoice.*,customer.created") {
		t.Errorf("endpoints list printed:\n%s", out)
	}

	ev := cliJSON[cliThing](t, env, "trigger", "invoice.paid", "--tenant", "acme")
	waitCLI(t, "the triggered example", func() bool { return rc.received(`"data":{"amount":4200}`) == 1 })
	out = cli(t, env, "events", "get", ev.ID, "--tenant", "acme")
	if !strings.Contains(out, ep.ID) || !strings.Contains(out, "DELIVERY") {
		t.Errorf("events get printed:\n%s", out)
	}
	cli(t, env, "events", "publish", "--tenant", "acme", "--type", "invoice.paid", "--data", `{"amount":1}`)
	waitCLI(t, "the published event", func() bool { return rc.received(`"data":{"amount":1}`) == 1 })
	cli(t, env, "endpoints", "test", ep.ID, "--tenant", "acme", "--type", "invoice.paid", "--data", `{"amount":77}`)
	waitCLI(t, "the test event of a chosen type", func() bool { return rc.received(`"data":{"amount":77}`) == 1 })
	q := cliJSON[struct{ Queued int }](t, env, "events", "retry", ev.ID, "--tenant", "acme", "--endpoint", ep.ID, "--include-succeeded")
	if q.Queued != 1 {
		t.Errorf("events retry --include-succeeded queued %d", q.Queued)
	}
	waitCLI(t, "the succeeded delivery sent again", func() bool { return rc.received(`"data":{"amount":4200}`) == 2 })

	out = cli(t, env, "endpoints", "update", ep.ID, "--tenant", "acme", "--enabled=false")
	if !strings.Contains(out, "disabled") {
		t.Errorf("endpoints update --enabled=false printed:\n%s", out)
	}
	rot := cliJSON[cliThing](t, env, "endpoints", "rotate-secret", ep.ID, "--tenant", "acme")
	if !strings.HasPrefix(rot.Secret, "whsec_") || rot.Secret == ep.Secret {
		t.Errorf("rotate-secret = %+v", rot)
	}
	cli(t, env, "endpoints", "delete", ep.ID, "--tenant", "acme")
	code, _, errOut := runInProcess(t, env, "endpoints", "get", ep.ID, "--tenant", "acme")
	if code != exitError || !strings.Contains(errOut, "404 not_found") {
		t.Errorf("get of a deleted endpoint: exit %d, %s", code, errOut)
	}
}

func TestCLIDeliveriesAndBulkRetry(t *testing.T) {
	t.Parallel()
	env := cliServer(t)
	rc := newHookReceiver(t)
	rc.failing = true
	ep := cliJSON[cliThing](t, env, "endpoints", "create", "--url", rc.URL, "--retry-schedule", "10ms")
	for range 3 {
		cli(t, env, "events", "publish", "--type", "order.created", "--data", `{"n":1}`)
	}
	waitCLI(t, "three dead deliveries", func() bool {
		l := cliJSON[cliList[cliThing]](t, env, "deliveries", "list", "--status", "dead", "--endpoint", ep.ID)
		return len(l.Data) == 3
	})
	out := cli(t, env, "deliveries", "list", "--status", "failed,dead", "--event-type", "order.created", "--since", "1h")
	if strings.Count(out, "dead") != 3 || !strings.Contains(out, "STATUS") {
		t.Errorf("deliveries list printed:\n%s", out)
	}
	rc.mu.Lock()
	rc.failing = false
	rc.mu.Unlock()
	job := cliJSON[cliThing](t, env, "deliveries", "retry", "--status", "dead", "--endpoint", ep.ID, "--wait")
	if !strings.HasPrefix(job.ID, "rtj_") || job.Status != "succeeded" || job.Total != 3 || job.Queued != 3 {
		t.Fatalf("deliveries retry --wait = %+v", job)
	}
	waitCLI(t, "the retried deliveries to succeed", func() bool {
		l := cliJSON[cliList[cliThing]](t, env, "deliveries", "list", "--status", "succeeded")
		return len(l.Data) == 3
	})
	if out := cli(t, env, "deliveries", "retry-status", job.ID); !strings.Contains(out, "succeeded") {
		t.Errorf("retry-status printed:\n%s", out)
	}
}

func TestCLIErrors(t *testing.T) {
	t.Parallel()
	env := cliServer(t)
	for _, tc := range []struct {
		args []string
		env  []string
		code int
		want []string
	}{
		{[]string{"events", "publish", "--tenant", "acme", "--type", "a.b", "--data", "{}"}, env, exitError,
			[]string{"404 not_found", "PUT /v1/tenants/acme", "hookd tenants create acme"}},
		{[]string{"endpoints", "create", "--url", "ftp://x"}, env, exitError, []string{"422 invalid", "/url:"}},
		{[]string{"deliveries", "list", "--status", "done"}, env, exitError, []string{"422", "/query/status: must be one of pending, failed, succeeded, dead"}},
		{[]string{"events", "publish", "--type", "a.b", "--data", "{nope"}, env, exitUsage, []string{"--data: not valid JSON"}},
		{[]string{"tenants", "list"}, []string{"HOOKD_URL=http://127.0.0.1:1"}, exitUsage, []string{"HOOKD_API_KEY"}},
		{[]string{"tenants", "list"}, append(env[:1:1], "HOOKD_API_KEY=wrong"), exitError, []string{"401"}},
		{[]string{"endpoints", "update", "ep_x"}, env, exitUsage, []string{"nothing to change"}},
	} {
		code, out, errOut := runInProcess(t, tc.env, tc.args...)
		if code != tc.code {
			t.Errorf("hookd %s: exit %d, want %d\n%s%s", strings.Join(tc.args, " "), code, tc.code, out, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("hookd %s: stderr lacks %q:\n%s", strings.Join(tc.args, " "), w, errOut)
			}
		}
	}
}

func TestCLICompletion(t *testing.T) {
	t.Parallel()
	out := cli(t, nil, "completion", "bash")
	if !strings.Contains(out, "__start_hookd") {
		t.Errorf("completion bash printed %.200q", out)
	}
	out = cli(t, nil, "__complete", "deliveries", "list", "--status", "")
	for _, st := range []string{"pending", "failed", "succeeded", "dead"} {
		if !strings.Contains(out, st+"\n") {
			t.Errorf("completion of --status lacks %s:\n%s", st, out)
		}
	}
}

func TestCLISourcesAndRequests(t *testing.T) {
	t.Parallel()
	env := cliServer(t)
	src := cliJSON[cliThing](t, env, "sources", "create", "--spec", `{"id":"hooks","description":"test hooks"}`)
	if src.ID != "hooks" {
		t.Fatalf("sources create = %+v", src)
	}
	cli(t, env, "sources", "update", "hooks", "--patch", `{"description":"renamed"}`)
	if out := cli(t, env, "sources", "get", "hooks"); !strings.Contains(out, "renamed") || !strings.Contains(out, "/in/hooks") {
		t.Errorf("sources get printed:\n%s", out)
	}
	base := strings.TrimPrefix(env[0], "HOOKD_URL=")
	for _, body := range []string{`{"a":1}`, `not json`} {
		resp, err := http.Post(base+"/in/hooks", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	type request struct{ ID string }
	var rejected, accepted cliList[request]
	// Rejected requests are logged after the answer.
	waitCLI(t, "the request log", func() bool {
		rejected = cliJSON[cliList[request]](t, env, "requests", "list", "--source", "hooks", "--rejected")
		accepted = cliJSON[cliList[request]](t, env, "requests", "list", "--source", "hooks", "--accepted")
		return len(rejected.Data) == 1 && len(accepted.Data) == 1
	})
	re := cliJSON[cliThing](t, env, "requests", "replay", "--source", "hooks", accepted.Data[0].ID)
	if !strings.HasPrefix(re.ID, "req_") || re.ID == accepted.Data[0].ID {
		t.Errorf("requests replay = %+v", re)
	}
	cli(t, env, "sources", "delete", "hooks")
	if l := cliJSON[cliList[cliThing]](t, env, "sources", "list"); len(l.Data) != 0 {
		t.Errorf("sources after delete: %+v", l)
	}
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	env := cliServer(t)
	base := strings.TrimPrefix(env[0], "HOOKD_URL=")
	for _, args := range [][]string{{"healthcheck", "--url", base}, {"healthcheck", "--url", base, "--ready"}} {
		if out := cli(t, nil, args...); !strings.Contains(out, "200 OK") {
			t.Errorf("hookd %v printed %q", args, out)
		}
	}
	code, _, errOut := runInProcess(t, nil, "healthcheck", "--url", "http://127.0.0.1:1", "--timeout", "10s")
	if code != exitError || !strings.Contains(errOut, "unhealthy") {
		t.Errorf("healthcheck of nothing: exit %d, %s", code, errOut)
	}
	if got := localPort([]string{"HOOKD_ADDR=0.0.0.0:9090"}); got != ":9090" {
		t.Errorf("localPort = %q", got)
	}
}

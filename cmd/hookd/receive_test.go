package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bodyN keys a forward by the "n" of its JSON body.
func bodyN(_ *http.Request, body []byte) (int, bool) {
	var v struct{ N int }
	return v.N, json.Unmarshal(body, &v) == nil
}

const inboundConfig = `sources:
  - id: crash
    description: forwards to a loopback receiver
    verify:
      - token: {header: X-Token, value: t0k}
    schema:
      body: {type: object, required: [n]}
    destinations:
      - forward:
          url: %s/hook
          secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
          allow_private: true
`

// TestInboundSurvivesKill sends inbound requests while their forwards are
// in flight, kills hookd with SIGKILL, restarts it on the same file, and
// checks that every request answered 2xx reaches its forward destination.
func TestInboundSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	// The receiver answers 50 forwards, then holds those in flight: at the
	// kill, most accepted requests are stored and not yet forwarded.
	rc := newHoldingReceiver(t, 50, bodyN)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hookd.yaml"), fmt.Appendf(nil, inboundConfig, rc.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := startOptions{Dir: dir, Env: []string{"HOOKD_API_KEY=hk_inbound_test", "HOOKD_DELIVERY_LEASE=60s"}}
	p, base := serveHookd(t, opts)
	accepted := sendUntilKilled(t, base, p, 500)
	rc.release()
	if rc.missing(accepted) == 0 {
		t.Fatalf("all %d requests were forwarded before the kill: nothing was in flight", len(accepted))
	}
	restart := time.Now()
	serveHookd(t, opts)
	deadline := restart.Add(30 * time.Second)
	for rc.missing(accepted) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted requests never reached the forward after restart", rc.missing(accepted), len(accepted))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%d accepted requests forwarded; recovery took %v", len(accepted), time.Since(restart).Round(time.Millisecond))
}

// sendUntilKilled posts to /in/crash from 16 goroutines, kills hookd with
// SIGKILL once n were answered 200, and returns their numbers.
func sendUntilKilled(t *testing.T, base string, p *hookdProcess, n int) []int {
	var (
		mu       sync.Mutex
		accepted []int
		next     atomic.Int64
		killed   atomic.Bool
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !killed.Load() {
				i := int(next.Add(1))
				req, _ := http.NewRequest(http.MethodPost, base+"/in/crash", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Token", "t0k")
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					continue
				}
				mu.Lock()
				accepted = append(accepted, i)
				if len(accepted) == n && killed.CompareAndSwap(false, true) {
					p.kill()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return accepted
}

// TestSourceConfigErrorsNameTheLine starts hookd with a bad source and
// expects the error to name the YAML line of the mistake.
func TestSourceConfigErrorsNameTheLine(t *testing.T) {
	dir := t.TempDir()
	yaml := "sources:\n  - id: bad\n    verify:\n      - provider: acme\n        secret: x\n    max_bodyy: 10\n"
	if err := os.WriteFile(filepath.Join(dir, "hookd.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startHookd(t, startOptions{Dir: dir, Args: []string{"serve", "--addr", "127.0.0.1:0"}})
	if code := p.wait(stopTimeout); code == 0 {
		t.Fatal("hookd started with a bad source")
	}
	out := p.Output()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`hookd\.yaml:4: sources\[0\]/verify/0/provider: unknown provider "acme"`),
		regexp.MustCompile(`hookd\.yaml:6: sources\[0\]/max_bodyy: unknown key`),
	} {
		if !want.MatchString(out) {
			t.Errorf("output does not match %s:\n%s", want, out)
		}
	}
}

// TestInboundThroughAPI creates a source through the API, posts to it,
// reads the request log, and replays the request.
func TestInboundThroughAPI(t *testing.T) {
	const key = "hk_inbound_api"
	rc := newHoldingReceiver(t, 0, bodyN)
	_, base := serveHookd(t, startOptions{Args: []string{"--ssrf-allow", "127.0.0.0/8"}, Env: []string{"HOOKD_API_KEY=" + key}})
	client := &http.Client{Timeout: 10 * time.Second}
	src := map[string]any{"id": "api", "verify": []any{map[string]any{"provider": "acme"}}}
	status, err := apiCall(client, "POST", base+"/v1/sources", key, src, nil)
	if err != nil || status != http.StatusUnprocessableEntity {
		t.Fatalf("bad source: %d %v", status, err)
	}
	src = map[string]any{"id": "api", "destinations": []any{map[string]any{"forward": map[string]any{
		"url": rc.URL, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}}}
	if status, err = apiCall(client, "POST", base+"/v1/sources", key, src, nil); err != nil || status != http.StatusCreated {
		t.Fatalf("create source: %d %v", status, err)
	}
	resp, err := client.Post(base+"/in/api", "application/json", bytes.NewReader([]byte(`{"n":7}`)))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("post: %v %v", resp, err)
	}
	var out struct{ ID string }
	_ = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	var list struct{ Data []struct{ ID, Reason string } }
	if status, err = apiCall(client, "GET", base+"/v1/sources/api/requests", key, nil, &list); err != nil || status != 200 || len(list.Data) != 1 {
		t.Fatalf("list requests: %d %v %+v", status, err, list)
	}
	var rep struct {
		ID       string
		EventIDs []string `json:"event_ids"`
	}
	if status, err = apiCall(client, "POST", base+"/v1/sources/api/requests/"+out.ID+"/replay", key, nil, &rep); err != nil || status != http.StatusAccepted || len(rep.EventIDs) != 1 {
		t.Fatalf("replay: %d %v %+v", status, err, rep)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := rc.count(7)
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("forwarded %d times, want 2 (once, then the replay)", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

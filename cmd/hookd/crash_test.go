package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// webhookID keys a delivery by its webhook-id header.
func webhookID(r *http.Request, _ []byte) (string, bool) {
	id := r.Header.Get("webhook-id")
	return id, id != ""
}

// apiCall sends a JSON request with the API key and decodes the answer.
func apiCall(client *http.Client, method, url, key string, body, out any) (int, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s: %w", data, err)
		}
	}
	return resp.StatusCode, nil
}

// TestCrashLosesNothing publishes through the API while deliveries are in
// flight, kills hookd with SIGKILL, restarts it on the same file, and
// checks that every event answered 202 reaches the receiver. The lease is
// a minute and the test allows far less, so recovery must not wait for
// leases to lapse.
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	const key = "hk_crash_test_key"
	// The receiver answers 100 deliveries, then holds the endpoint's 4
	// attempts in flight: at the kill, most accepted events are stored
	// and not yet delivered, however fast or slow this machine is.
	rc := newHoldingReceiver(t, 100, webhookID)
	dir := t.TempDir()
	opts := startOptions{Dir: dir, Args: []string{"--ssrf-allow", "127.0.0.0/8"},
		Env: []string{"HOOKD_API_KEY=" + key, "HOOKD_DELIVERY_LEASE=60s"}}
	p, base := serveHookd(t, opts)
	client := &http.Client{Timeout: 10 * time.Second}
	status, err := apiCall(client, "POST", base+"/v1/tenants/default/endpoints", key,
		map[string]any{"url": rc.URL, "max_concurrency": 4}, nil)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %v", status, err)
	}

	accepted := publishUntilKilled(t, client, base, key, p, 5000)
	rc.release()
	if n := rc.missing(accepted); n == 0 {
		t.Fatalf("all %d events were delivered before the kill: nothing was in flight", len(accepted))
	}
	restart := time.Now()
	serveHookd(t, opts)
	deadline := restart.Add(30 * time.Second)
	for rc.missing(accepted) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted events never arrived after restart", rc.missing(accepted), len(accepted))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%d accepted events delivered; recovery took %v", len(accepted), time.Since(restart).Round(time.Millisecond))
	rc.mu.Lock()
	defer rc.mu.Unlock()
	want := map[string]bool{}
	for _, id := range accepted {
		want[id] = true
	}
	for id := range rc.seen {
		if !want[id] {
			// An event whose 202 was lost in the kill may arrive; it must
			// still be a real hookd event.
			if len(id) < 5 || id[:4] != "evt_" {
				t.Errorf("receiver got webhook-id %q that hookd never issued", id)
			}
		}
	}
}

// publishUntilKilled publishes from 16 goroutines, kills hookd with
// SIGKILL once n events were accepted, and returns the accepted ids.
func publishUntilKilled(t *testing.T, client *http.Client, base, key string, p *hookdProcess, n int) []string {
	var (
		mu       sync.Mutex
		accepted []string
		killed   atomic.Bool
		wg       sync.WaitGroup
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !killed.Load() {
				var ev struct{ ID string }
				status, err := apiCall(client, "POST", base+"/v1/tenants/default/events", key,
					map[string]any{"type": "order.created", "data": map[string]any{"n": 1}}, &ev)
				if err != nil || status != http.StatusAccepted {
					continue
				}
				mu.Lock()
				accepted = append(accepted, ev.ID)
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

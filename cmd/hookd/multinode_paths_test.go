package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMultiNodeSourcePaths creates and moves a source's path through one
// node and sees every other node serve it there without a restart, within
// a few seconds (nodes follow the store's change sequence).
func TestMultiNodeSourcePaths(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-node test")
	}
	c := startCluster(t, 2, newTestDatabase(t))
	client := newClient()
	if status, err := apiCall(client, "POST", c.bases[0]+"/v1/sources", c.key, map[string]any{"id": "acme", "path": "/acme/prod/orders"}, nil); err != nil || status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, err)
	}
	waitStatus(t, client, c.bases[1]+"/acme/prod/orders", http.StatusOK)
	if status, err := apiCall(client, "PATCH", c.bases[0]+"/v1/sources/acme", c.key, map[string]any{"path": "/acme/prod/orders2"}, nil); err != nil || status != http.StatusOK {
		t.Fatalf("patch: %d %v", status, err)
	}
	waitStatus(t, client, c.bases[1]+"/acme/prod/orders2", http.StatusOK)
	waitStatus(t, client, c.bases[1]+"/acme/prod/orders", http.StatusNotFound)
	// The second node refuses the first node's path to another source.
	status, body := apiRaw(t, client, c.bases[1]+"/v1/sources", c.key, map[string]any{"id": "other", "path": "/acme/prod/orders2"})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"/path"`) {
		t.Errorf("conflicting path through the other node: %d %s", status, body)
	}
}

// waitStatus posts {} to url until it answers want, for up to 20 s.
func waitStatus(t *testing.T, client *http.Client, url string, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := client.Post(url, "application/json", strings.NewReader(`{}`))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("POST %s never answered %d", url, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

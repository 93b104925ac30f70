package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd/config"
)

// testNode is a node started in this process on a temporary SQLite file,
// served by an httptest server.
type testNode struct {
	*node
	t    *testing.T
	base string
	key  string
	door *frontDoor
}

// startTestNode loads yaml as the configuration file (in a temporary
// directory holding the database) and starts a node on it.
func startTestNode(t *testing.T, yaml string) *testNode {
	t.Helper()
	return startLoggedNode(t, yaml, nil)
}

// startLoggedNode is startTestNode with the node's log written to logs in
// the configured format (log.*), or discarded when logs is nil.
func startLoggedNode(t *testing.T, yaml string, logs io.Writer) *testNode {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.yaml")
	yaml = "db: sqlite:" + filepath.Join(dir, "hookd.db") + "\napi_key: hk_test_key\n" + yaml
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.LoadOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if logs != nil {
		if logger, err = newLogger(cfg.Log, logs); err != nil {
			t.Fatal(err)
		}
	}
	n, err := startNode(ctx, cfg, logger, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = n.close(cctx)
	})
	dctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	door, err := newFrontDoor(dctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := door.httpServer(cfg.Server, n.handler, logger)
	go door.serve(srv, ln)
	t.Cleanup(func() { srv.Close() })
	return &testNode{node: n, t: t, base: door.scheme() + "://" + ln.Addr().String(), key: "hk_test_key", door: door}
}

// do sends a request with the node's key and returns the status, the
// headers and the body.
func (n *testNode) do(method, path, body string) (int, http.Header, []byte) {
	n.t.Helper()
	req, err := http.NewRequest(method, n.base+path, strings.NewReader(body))
	if err != nil {
		n.t.Fatal(err)
	}
	if n.key != "" {
		req.Header.Set("Authorization", "Bearer "+n.key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		n.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// apiProblem is a problem document with field errors.
type apiProblem struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Errors []struct {
		Pointer string `json:"pointer"`
		Message string `json:"message"`
	} `json:"errors"`
}

// wantProblem checks a problem+json answer of status and returns it.
func wantProblem(t *testing.T, status int, header http.Header, body []byte, wantStatus int) apiProblem {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d: %s", status, wantStatus, body)
	}
	if ct := header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json (body %s)", ct, body)
	}
	var p apiProblem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem %s: %v", body, err)
	}
	return p
}

// pointerMessage returns the message of the field error at pointer.
func (p apiProblem) pointerMessage(t *testing.T, pointer string) string {
	t.Helper()
	for _, e := range p.Errors {
		if e.Pointer == pointer {
			return e.Message
		}
	}
	t.Fatalf("no error at %s in %+v", pointer, p)
	return ""
}

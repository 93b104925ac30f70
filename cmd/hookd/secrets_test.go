package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNoSecretsAtRest: the secrets of endpoints and sources created
// through the API appear neither in API reads nor anywhere in the SQLite
// files, whose modes are 0600.
func TestNoSecretsAtRest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const key = "hk_secrets_at_rest_test_key"
	p, base := serveHookd(t, startOptions{Dir: dir, Env: []string{"HOOKD_API_KEY=" + key}})
	client := &http.Client{Timeout: 30 * time.Second}
	known := []string{
		"whsec_ZW5kcG9pbnQtc2VjcmV0LWF0LXJlc3QtMTIzNA==", "provider-secret-at-rest-5678",
		"basic-password-at-rest-9012", "token-value-at-rest-3456", "whsec_Zm9yd2FyZC1zZWNyZXQtYXQtcmVzdC03ODkw",
	}
	status, err := apiCall(client, "POST", base+"/v1/tenants/default/endpoints", key,
		map[string]any{"url": "https://example.com/hook", "secret": known[0]}, nil)
	if status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %v", status, err)
	}
	source := map[string]any{
		"id": "gh",
		"verify": []any{
			map[string]any{"provider": "github", "secret": known[1]},
			map[string]any{"basic": map[string]any{"username": "u", "password": known[2]}},
			map[string]any{"token": map[string]any{"header": "X-Token", "value": known[3]}},
		},
		"destinations": []any{map[string]any{"forward": map[string]any{"url": "https://example.com/f", "secret": known[4]}}},
	}
	if status, err := apiCall(client, "POST", base+"/v1/sources", key, source, nil); status != http.StatusCreated {
		t.Fatalf("create source: %d %v", status, err)
	}
	for _, path := range []string{"/v1/sources", "/v1/sources/gh", "/v1/tenants/default/endpoints"} {
		var body map[string]any
		status, err := apiCall(client, "GET", base+path, key, nil, &body)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, status, err)
		}
		shown, _ := json.Marshal(body)
		for _, s := range known {
			if strings.Contains(string(shown), s) {
				t.Errorf("GET %s shows %s", path, s)
			}
		}
	}
	var files bytes.Buffer
	for _, name := range []string{"hookd.db", "hookd.db-wal", "hookd.db-shm"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			files.Write(b)
		}
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	p.stop()
	for _, name := range []string{"hookd.db", "hookd.db-wal"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			files.Write(b)
		}
	}
	if files.Len() == 0 {
		t.Fatal("no database file")
	}
	for _, s := range append(known, key) {
		if bytes.Contains(files.Bytes(), []byte(s)) {
			t.Errorf("the database files hold %s in clear", s)
		}
	}
}

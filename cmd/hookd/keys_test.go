package main

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var createdKey = regexp.MustCompile(`created API key (key_\S+) .*\n\n    (hk_\S+)\n`)

// keysCreate runs "hookd keys create" and returns the key's id and the key.
func keysCreate(t *testing.T, env []string, args ...string) (id, key string) {
	t.Helper()
	code, out, errOut := runInProcess(t, env, append([]string{"keys", "create"}, args...)...)
	m := createdKey.FindStringSubmatch(out)
	if code != exitOK || m == nil {
		t.Fatalf("hookd keys create %v: exit %d: %s%s", args, code, out, errOut)
	}
	return m[1], m[2]
}

// TestKeysCLI: an operator creates, lists and revokes keys on the store
// directly, and the server honours them. Not parallel: it opens one SQLite
// file in-process again and again, and a hookd process another test forks
// meanwhile would hold the file's lock for a moment (a child holds the
// parent's descriptors until it execs).
func TestKeysCLI(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "hookd.db")
	id, key := keysCreate(t, nil, "--db", db, "--name", "ops")
	_, roKey := keysCreate(t, nil, "--db", db, "--name", "viewer", "--read-only", "--expires-in", "720h")

	code, out, errOut := runInProcess(t, nil, "keys", "list", "--db", db)
	if code != exitOK || !strings.Contains(out, id) || !strings.Contains(out, "viewer") || strings.Contains(out, key) {
		t.Fatalf("hookd keys list: exit %d: %s%s", code, out, errOut)
	}
	for _, args := range [][]string{
		{"keys", "create", "--db", db},
		{"keys", "create", "--db", db, "--name", "x", "--tenant", "bad tenant!"},
	} {
		if code, _, _ := runInProcess(t, nil, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, errOut := runInProcess(t, nil, "keys", "create", "--db", db, "--name", "x", "--tenant", "nope"); code != exitError || !strings.Contains(errOut, `tenant "nope"`) {
		t.Errorf("a key of a tenant that does not exist: exit %d %s", code, errOut)
	}

	p, base := serveHookd(t, startOptions{Dir: dir, Args: []string{"--db", db}})
	client := &http.Client{Timeout: 30 * time.Second}
	if status, err := apiCall(client, "GET", base+"/v1/tenants", key, nil, nil); status != http.StatusOK {
		t.Fatalf("created key: %d %v", status, err)
	}
	if status, _ := apiCall(client, "PUT", base+"/v1/tenants/acme", roKey, nil, nil); status != http.StatusForbidden {
		t.Fatalf("read-only key writing: %d, want 403", status)
	}
	if !strings.Contains(p.Output(), "msg=listening") || strings.Contains(p.Output(), "No API key was configured") {
		t.Fatalf("hookd created a key although the store had some:\n%s", p.Output())
	}
	p.stop()

	if code, out, errOut := runInProcess(t, nil, "keys", "revoke", "--db", db, id); code != exitOK || !strings.Contains(out, "revoked") {
		t.Fatalf("hookd keys revoke: exit %d: %s%s", code, out, errOut)
	}
	if code, _, _ := runInProcess(t, nil, "keys", "revoke", "--db", db, id); code != exitError {
		t.Errorf("revoking twice: exit %d", code)
	}
	_, base = serveHookd(t, startOptions{Dir: dir, Args: []string{"--db", db}})
	if status, _ := apiCall(client, "GET", base+"/v1/tenants", key, nil, nil); status != http.StatusUnauthorized {
		t.Fatalf("revoked key: %d, want 401", status)
	}
}

// TestBootstrapKeyRetires: the configured api_key is held in memory only,
// so a changed one retires the old one, and none is stored.
func TestBootstrapKeyRetires(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	client := &http.Client{Timeout: 30 * time.Second}
	p, base := serveHookd(t, startOptions{Dir: dir, Env: []string{"HOOKD_API_KEY=first-bootstrap-key"}})
	if status, _ := apiCall(client, "GET", base+"/v1/tenants", "first-bootstrap-key", nil, nil); status != http.StatusOK {
		t.Fatalf("bootstrap key: %d", status)
	}
	p.stop()
	_, base = serveHookd(t, startOptions{Dir: dir, Env: []string{"HOOKD_API_KEY=second-bootstrap-key"}})
	if status, _ := apiCall(client, "GET", base+"/v1/tenants", "first-bootstrap-key", nil, nil); status != http.StatusUnauthorized {
		t.Fatalf("the old bootstrap key after a change: %d, want 401", status)
	}
	var keys struct{ Data []struct{ Name string } }
	if status, err := apiCall(client, "GET", base+"/v1/api-keys", "second-bootstrap-key", nil, &keys); status != http.StatusOK || len(keys.Data) != 0 {
		t.Fatalf("stored keys: %d %v %+v", status, err, keys)
	}
}

// TestSecretsRotateCLI: "hookd secrets rotate" seals everything under the
// new key, after which the new key alone opens the store. Not parallel,
// as TestKeysCLI.
func TestSecretsRotateCLI(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "hookd.db")
	db := "sqlite:" + dbPath
	_, key := keysCreate(t, nil, "--db", db, "--name", "ops")
	oldKey, err := os.ReadFile(dbPath + ".key")
	if err != nil {
		t.Fatalf("the default key file was not created: %v", err)
	}
	if fi, _ := os.Stat(dbPath + ".key"); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode().Perm())
	}
	newFile := filepath.Join(dir, "new.key")
	if code, _, _ := runInProcess(t, nil, "secrets", "rotate", "--db", db); code != exitUsage {
		t.Fatalf("rotate without a key: exit %d", code)
	}
	code, out, errOut := runInProcess(t, nil, "secrets", "rotate", "--db", db, "--new-key-file", newFile)
	if code != exitOK || !strings.Contains(out, "sealed 1 secrets again") {
		t.Fatalf("hookd secrets rotate: exit %d: %s%s", code, out, errOut)
	}
	// The old key alone no longer opens the store; the new one does.
	if code, _, errOut := runInProcess(t, nil, "keys", "list", "--db", db); code != exitError || !strings.Contains(errOut, "open hashing key") {
		t.Fatalf("the old key after rotation: exit %d: %s", code, errOut)
	}
	env := []string{"HOOKD_SECRETS_KEY_FILE=" + newFile, "HOOKD_SECRETS_PREVIOUS_KEYS=" + strings.TrimSpace(string(oldKey))}
	if code, out, errOut := runInProcess(t, env, "keys", "list", "--db", db); code != exitOK || !strings.Contains(out, "ops") {
		t.Fatalf("the new key: exit %d: %s%s", code, out, errOut)
	}
	_, base := serveHookd(t, startOptions{Dir: dir, Args: []string{"--db", db}, Env: []string{"HOOKD_SECRETS_KEY_FILE=" + newFile}})
	if status, _ := apiCall(&http.Client{Timeout: 30 * time.Second}, "GET", base+"/v1/tenants", key, nil, nil); status != http.StatusOK {
		t.Fatalf("a key made before the rotation: %d", status)
	}
}

package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// runInProcess runs the command line in this process and returns the exit
// code, stdout and stderr.
func runInProcess(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(context.Background(), args, env, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, errOut := runInProcess(t, nil, "version")
	if code != 0 || errOut != "" {
		t.Fatalf("hookd version: exit %d, stderr %q", code, errOut)
	}
	platform := runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	want := regexp.MustCompile(`^hookd \S+ \((revision [0-9a-f]+, .*)?` + regexp.QuoteMeta(platform) + `\)\n$`)
	if !want.MatchString(out) {
		t.Errorf("hookd version printed %q, want %s", out, want)
	}
	bi := &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"},
		{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got := versionLine("v1.2.3", bi); got != "hookd v1.2.3 (revision 0123456789ab, 2026-01-02T03:04:05Z, modified, "+platform+")" {
		t.Errorf("versionLine with VCS info = %q", got)
	}
	if got := versionLine("devel", nil); got != "hookd devel ("+platform+")" {
		t.Errorf("versionLine without build info = %q", got)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"unknown flag", []string{"serve", "--nope"}, exitUsage, "hookd: unknown flag: --nope (see 'hookd serve --help')"},
		{"flag without value", []string{"serve", "--addr"}, exitUsage, "flag needs an argument: --addr"},
		{"unknown command", []string{"frobnicate"}, exitError, `unknown command "frobnicate"`},
		{"arguments to serve", []string{"serve", "extra"}, exitError, `unknown command "extra" for "hookd serve"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runInProcess(t, nil, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d", code, tc.wantCode)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q lacks %q", errOut, tc.want)
			}
		})
	}
}

func TestServeConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("addr: 127.0.0.1:0\ndelivery:\n  timout: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown key in file", []string{"serve", "--config", bad}, nil,
			"hookd: load config: " + bad + `:3: unknown key "delivery.timout"`},
		{"missing file", []string{"serve", "--config", filepath.Join(dir, "none.yaml")}, nil,
			"hookd: load config: read config file: open " + filepath.Join(dir, "none.yaml")},
		{"bad environment", []string{"serve"}, []string{"HOOKD_DELIVERY_TIMEOUT=soon"},
			`hookd: load config: HOOKD_DELIVERY_TIMEOUT: invalid duration "soon"`},
		{"bad flag value", []string{"serve", "--ssrf-allow", "10.0.0.0/8,nope"}, nil,
			`hookd: load config: --ssrf-allow: invalid CIDR "nope"`},
		{"bad db scheme", []string{"serve", "--db", "mysql://x/y"}, nil,
			`hookd: load config: --db: unsupported database "mysql://x/y"`},
		{"postgres unreachable", []string{"serve", "--db", "postgres://hookd:s3cret@127.0.0.1:1/hookd?connect_timeout=5"},
			[]string{"HOOKD_SECRETS_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="},
			"hookd: open postgres store hookd@127.0.0.1:1/hookd: connect: "},
		{"postgres without a master key", []string{"serve", "--db", "postgres://hookd@127.0.0.1:1/hookd"}, nil,
			"hookd: load config: secrets.key: PostgreSQL needs the master key that seals secrets at rest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runInProcess(t, tc.env, tc.args...)
			if code != exitError {
				t.Errorf("exit code = %d, want %d", code, exitError)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q lacks %q", errOut, tc.want)
			}
			if strings.Contains(errOut, "msg=listening") {
				t.Errorf("hookd listened despite the error")
			}
		})
	}
}

// TestServeInProcess runs serve in this process and stops it by cancelling
// its context, as a signal does.
func TestServeInProcess(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "hookd.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := newLineBuffer()
	exited := make(chan struct{})
	var code int
	go func() {
		defer close(exited)
		code = run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:" + db}, nil, &strings.Builder{}, stderr)
	}()
	line, err := stderr.waitFor(listeningAddr, exited, startTimeout)
	if err != nil {
		t.Fatalf("serve did not listen: %v\n%s", err, stderr)
	}
	base := "http://" + listeningAddr.FindStringSubmatch(line)[1]
	if resp, _ := httpGet(t, base+"/readyz"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz = %d", resp.StatusCode)
	}
	cancel()
	select {
	case <-exited:
	case <-time.After(stopTimeout):
		t.Fatal("serve did not return after its context ended")
	}
	if code != 0 {
		t.Errorf("exit code = %d, want 0\n%s", code, stderr)
	}
}

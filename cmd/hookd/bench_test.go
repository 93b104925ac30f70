package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestBenchUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--duration", "0s"}, "--duration must be between 0 and 1h"},
		{[]string{"--endpoints", "0"}, "--endpoints must be between 1 and 10000"},
		{[]string{"--rate", "-1"}, "--rate must not be negative"},
		{[]string{"--payload-bytes", "8"}, "--payload-bytes must be between 32 and 1048576"},
		{[]string{"--nodes", "2"}, "--nodes above 1 needs a PostgreSQL --db"},
		{[]string{"--nodes", "2", "--db", "sqlite:x.db"}, "--nodes above 1 needs a PostgreSQL --db"},
	} {
		code, _, errOut := runInProcess(t, nil, append([]string{"bench"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("hookd bench %v: exit %d, stderr %q; want exit %d with %q", tc.args, code, errOut, exitUsage, tc.want)
		}
	}
}

// benchLine is the last line of hookd bench.
var benchLine = regexp.MustCompile(`(?m)^rate=(\d+) p50=[\d.]+ p99=[\d.]+ loopback=\d+ ratio=[\d.]+\n\z`)

// runBenchCmd runs a short hookd bench and returns its output after
// checking that every accepted event was delivered and the last line is
// well formed.
func runBenchCmd(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runInProcess(t, nil, append([]string{"bench", "--duration", "1s", "--concurrency", "8"}, args...)...)
	if code != 0 {
		t.Fatalf("hookd bench %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
	}
	m := benchLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("hookd bench %v: no summary line:\n%s", args, out)
	}
	if rate, _ := strconv.Atoi(m[1]); rate == 0 {
		t.Errorf("hookd bench %v: rate 0:\n%s", args, out)
	}
	return out
}

// delivered checks that the bench delivered what it expected.
func delivered(t *testing.T, out string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^delivered: (\d+) deliveries \((\d+) expected\)`).FindStringSubmatch(out)
	if m == nil || m[1] != m[2] || m[1] == "0" {
		t.Errorf("not every accepted event was delivered:\n%s", out)
	}
}

func TestBenchSQLite(t *testing.T) {
	delivered(t, runBenchCmd(t, "--endpoints", "3"))
}

func TestBenchInbound(t *testing.T) {
	out := runBenchCmd(t, "--inbound")
	if !regexp.MustCompile(`(?m)^received: [1-9]\d* stored and answered 200, 0 refused`).MatchString(out) {
		t.Errorf("inbound bench stored nothing or refused requests:\n%s", out)
	}
}

// TestBenchTwoNodes runs two nodes on PostgreSQL: events published to
// either node reach the endpoint created through the first.
func TestBenchTwoNodes(t *testing.T) {
	delivered(t, runBenchCmd(t, "--nodes", "2", "--db", newTestDatabase(t)))
}

func TestBenchBatchUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--batch", "0"}, "--batch must be between 1 and 1000"},
		{[]string{"--batch", "1001"}, "--batch must be between 1 and 1000"},
		{[]string{"--batch", "10", "--inbound"}, "--batch goes with publishing"},
		{[]string{"--batch", "100", "--rate", "50"}, "give at least one batch a second"},
	} {
		code, _, errOut := runInProcess(t, nil, append([]string{"bench"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("hookd bench %v: exit %d, stderr %q; want exit %d with %q", tc.args, code, errOut, exitUsage, tc.want)
		}
	}
}

// TestBenchBatch publishes through the batch route: every accepted event
// is delivered, and events are accepted whole batches at a time.
func TestBenchBatch(t *testing.T) {
	out := runBenchCmd(t, "--batch", "10")
	delivered(t, out)
	m := regexp.MustCompile(`(?m)^published: (\d+) accepted`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no published line:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 || n%10 != 0 {
		t.Errorf("accepted events are not whole batches of 10:\n%s", out)
	}
}

package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
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
		{[]string{"--fanout", "-1"}, "--fanout must be between 1 and 10000"},
		{[]string{"--fanout", "10001"}, "--fanout must be between 1 and 10000"},
		{[]string{"--slow", "1"}, "--slow must be a fraction above 0 and below 1"},
		{[]string{"--slow", "-0.5"}, "--slow must be a fraction above 0 and below 1"},
		{[]string{"--slow", "0.01"}, "--slow must make at least one of the 50 endpoints slow"},
		{[]string{"--backlog", "-3"}, "--backlog must be between 1 and 100000000"},
		{[]string{"--fanout", "10", "--backlog", "10"}, "separate runs: give one"},
		{[]string{"--inbound", "--slow", "0.2"}, "separate runs: give one"},
		{[]string{"--fanout", "10", "--nodes", "2", "--db", "postgres://127.0.0.1/none"}, "--fanout, --slow and --backlog run one node"},
		{[]string{"--backlog", "10", "--template"}, "--template and --transform go with the standard run"},
		{[]string{"--slow", "0.2", "--endpoints", "5"}, "--endpoints goes with the standard run"},
	} {
		code, _, errOut := runInProcess(t, nil, append([]string{"bench"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("hookd bench %v: exit %d, stderr %q; want exit %d with %q", tc.args, code, errOut, exitUsage, tc.want)
		}
	}
}

// benchLine is the last line of hookd bench: the five standard figures,
// then name=value pairs.
var benchLine = regexp.MustCompile(`(?m)^rate=(\d+) p50=[\d.]+ p99=[\d.]+ loopback=\d+ ratio=[\d.]+( [a-z0-9_]+=[\d.-]+)*\n\z`)

// summary returns the name=value pairs of the last line of out.
func summary(t *testing.T, out string) map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	m := map[string]string{}
	for _, kv := range strings.Fields(lines[len(lines)-1]) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("summary field %q is not name=value in:\n%s", kv, out)
		}
		m[k] = v
	}
	return m
}

// hasFigures checks that the summary has every named figure, each a
// number.
func hasFigures(t *testing.T, out string, names ...string) map[string]string {
	t.Helper()
	m := summary(t, out)
	for _, n := range names {
		if _, err := strconv.ParseFloat(m[n], 64); err != nil {
			t.Errorf("summary has no number %s (%q):\n%s", n, m[n], out)
		}
	}
	return m
}

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
	out := runBenchCmd(t, "--endpoints", "3")
	delivered(t, out)
	m := hasFigures(t, out, "rss_peak_mb", "cpu_ms_per_event")
	if m["rss_peak_mb"] == "0" {
		t.Errorf("peak RSS 0:\n%s", out)
	}
}

func TestBenchInbound(t *testing.T) {
	out := runBenchCmd(t, "--inbound")
	hasFigures(t, out, "rss_peak_mb", "cpu_ms_per_event")
	if !regexp.MustCompile(`(?m)^received: [1-9]\d* stored and answered 200, 0 refused`).MatchString(out) {
		t.Errorf("inbound bench stored nothing or refused requests:\n%s", out)
	}
}

// TestBenchTwoNodes runs two nodes on PostgreSQL: events published to
// either node reach the endpoint created through the first.
func TestBenchTwoNodes(t *testing.T) {
	out := runBenchCmd(t, "--nodes", "2", "--db", newTestDatabase(t))
	delivered(t, out)
	hasFigures(t, out, "rss_peak_mb", "cpu_ms_per_event", "pg_commits_per_event", "pg_rows_per_event", "pg_wal_bytes_per_event")
	if !strings.Contains(out, "cpu pinning: ") {
		t.Errorf("no line on CPU pinning:\n%s", out)
	}
}

func TestBenchFanout(t *testing.T) {
	code, out, errOut := runInProcess(t, nil, "bench", "--fanout", "20", "--duration", "2s", "--concurrency", "4")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !benchLine.MatchString(out) {
		t.Fatalf("no summary line:\n%s", out)
	}
	m := hasFigures(t, out, "rss_peak_mb", "cpu_ms_per_event", "fanout_p50_ms", "fanout_p99_ms", "fanout_first_ms", "fanout_warm_p99_ms", "fanout_events")
	// A busy machine may publish one event or two in 2 s: every one
	// published must be complete.
	published := regexp.MustCompile(`published (\d+) events`).FindStringSubmatch(out)
	if published == nil || published[1] == "0" || m["fanout_events"] != published[1] {
		t.Errorf("fanout_events = %s, want every published event complete:\n%s", m["fanout_events"], out)
	}
}

func TestBenchSlow(t *testing.T) {
	var out, errOut strings.Builder
	o := benchOptions{duration: time.Second, endpoints: 1, concurrency: 4, payloadBytes: 64, nodes: 1, batch: 1,
		slow: 0.1, rate: 20, slowDelay: 300 * time.Millisecond}
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	if err := runBench(context.Background(), o, &out, &errOut); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	if !benchLine.MatchString(out.String()) {
		t.Fatalf("no summary line:\n%s", out.String())
	}
	m := hasFigures(t, out.String(), "rss_peak_mb", "cpu_ms_per_event", "healthy_ratio", "slow_expected",
		"slow_succeeded", "slow_pending", "slow_failed", "slow_max_inflight", "lost")
	if m["lost"] != "0" || m["slow_expected"] == "0" {
		t.Errorf("slow deliveries lost, or none expected:\n%s", out.String())
	}
	if n, _ := strconv.Atoi(m["slow_max_inflight"]); n > benchSlowConcurrency {
		t.Errorf("a slow endpoint had %d requests in flight, above its max_concurrency %d", n, benchSlowConcurrency)
	}
}

func TestBenchBacklog(t *testing.T) {
	code, out, errOut := runInProcess(t, nil, "bench", "--backlog", "200", "--duration", "1s", "--concurrency", "8")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !benchLine.MatchString(out) {
		t.Fatalf("no summary line:\n%s", out)
	}
	m := hasFigures(t, out, "rss_peak_mb", "cpu_ms_per_event", "accumulate_rss_mb", "drain_rss_mb", "peak_rss_mb",
		"drain_rate", "lost", "duplicates")
	if m["lost"] != "0" {
		t.Errorf("lost = %s, want 0:\n%s", m["lost"], out)
	}
}

func TestBenchFigures(t *testing.T) {
	t.Parallel()
	f := &figures{}
	procFigures(f, 123.4, 1500*time.Millisecond, 1000)
	f.add("lost", "%d", 0)
	got := summaryLine(5000, 1.234, 9.876, 20000, 0.5, f)
	want := "rate=5000 p50=1.23 p99=9.88 loopback=20000 ratio=0.50 rss_peak_mb=123 cpu_ms_per_event=1.500 lost=0"
	if got != want {
		t.Errorf("summary line\n got %s\nwant %s", got, want)
	}
	if !benchLine.MatchString(got + "\n") {
		t.Errorf("the summary line does not match its own pattern: %s", got)
	}
	if got := summaryLine(1, 2, 3, 4, 5, nil); got != "rate=1 p50=2.00 p99=3.00 loopback=4 ratio=5.00" {
		t.Errorf("summary line without figures = %s", got)
	}
	none := &figures{}
	procFigures(none, 0, time.Second, 0)
	if none.String() != "rss_peak_mb=0 cpu_ms_per_event=0.000" {
		t.Errorf("figures over no events = %s", none.String())
	}
	for in, want := range map[string]int64{"  122104 kB": 122104 << 10, "0 kB": 0, "junk": 0} {
		if got := kB(in); got != want {
			t.Errorf("kB(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestBenchReceiverCountsScenarios(t *testing.T) {
	t.Parallel()
	var s scenarioState
	s.track(128)
	now := time.Now()
	for _, b := range []string{`{"t":1,"n":3}`, `{"t":1,"n":3}`, `{"t":1,"n":127}`, `{"t":1,"n":128}`, `{"t":1}`} {
		s.count("/b/0", []byte(b), now)
	}
	if s.unique.Load() != 2 || s.dups.Load() != 1 {
		t.Errorf("unique %d, duplicates %d; want 2 and 1 (n=128 is out of range)", s.unique.Load(), s.dups.Load())
	}
	s.fan = map[int64]*fanArrival{}
	s.arrive(time.Unix(0, 7), now)
	s.arrive(time.Unix(0, 7), now.Add(time.Millisecond))
	if a := s.fan[7]; a == nil || a.n != 2 || !a.last.Equal(now.Add(time.Millisecond)) {
		t.Errorf("fan-out arrivals of event 7 = %+v", a)
	}
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
		{[]string{"--batch", "100", "--fanout", "10"}, "--batch goes with the standard run"},
		{[]string{"--batch", "100", "--backlog", "10"}, "--batch goes with the standard run"},
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

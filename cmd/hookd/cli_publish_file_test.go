package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookd/hookd/httpapi"
)

func TestEventReader(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		max      int
		maxBytes int
		chunks   []int  // sizes of the chunks read, the last one empty
		err      string // in the error of the last read
	}{
		{"array", `[{"type":"a.b","data":1},{"type":"a.b","data":2,"id":"k"}]`, 1000, 1 << 20, []int{2, 0}, ""},
		{"ndjson", "{\"type\":\"a.b\",\"data\":1}\n\n{\"type\":\"a.b\",\"data\":2}\n{\"type\":\"a.b\",\"data\":3}\n", 2, 1 << 20, []int{2, 1, 0}, ""},
		// Each event of 100 x takes 124 bytes: two fit in 300, the third
		// waits for the next batch rather than take it over.
		{"by bytes", "[" + strings.Repeat(`{"type":"a.b","data":"`+strings.Repeat("x", 100)+`"},`, 2) +
			`{"type":"a.b","data":"` + strings.Repeat("x", 100) + `"}]`, 1000, 300, []int{2, 1, 0}, ""},
		// HTML characters take 6 bytes each once encoded: 40 of them are 240.
		{"escaped bytes", `[{"type":"a.b","data":"` + strings.Repeat("<", 40) + `"},{"type":"a.b","data":1}]`,
			1000, 260, []int{1, 1, 0}, ""},
		{"larger than a batch", `[{"type":"a.b","data":1},{"type":"a.b","data":"` + strings.Repeat("x", 300) + `"},{"type":"a.b","data":1}]`,
			1000, 200, []int{1, 1, 1, 0}, ""},
		{"empty", " \n ", 1000, 1 << 20, []int{0}, ""},
		{"empty array", "[]", 1000, 1 << 20, []int{0}, ""},
		{"unknown member", `{"type":"a.b","data":1,"x":2}`, 1000, 1 << 20, nil, `event 0`},
		{"after the array", `[{"type":"a.b","data":1}] {}`, 1000, 1 << 20, nil, "unexpected data"},
		{"unclosed array", `[{"type":"a.b","data":1}`, 1000, 1 << 20, nil, "after event 1"},
		{"not events", `{"type":"a.b","data":1} ]`, 1000, 1 << 20, nil, "after event 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			er, err := newEventReader(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			for {
				evs, err := er.next(tc.max, tc.maxBytes)
				if err != nil {
					if tc.err == "" || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("after chunks %v: %v, want an error with %q", sizes, err, tc.err)
					}
					return
				}
				sizes = append(sizes, len(evs))
				if len(evs) == 0 {
					break
				}
			}
			if tc.err != "" || !slices.Equal(sizes, tc.chunks) {
				t.Fatalf("chunks = %v, want %v (error %q)", sizes, tc.chunks, tc.err)
			}
		})
	}
}

// eventsFile writes n events as a JSON array (or NDJSON), event i with
// data {"n": i} and, when key says so, an id.
func eventsFile(t *testing.T, n int, ndjson bool, edit func(i int, ev *httpapi.PublishInput)) string {
	t.Helper()
	evs := make([]httpapi.PublishInput, n)
	for i := range evs {
		evs[i] = httpapi.PublishInput{Type: "order.created", Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
		if edit != nil {
			edit(i, &evs[i])
		}
	}
	var b strings.Builder
	if ndjson {
		for _, ev := range evs {
			line, _ := json.Marshal(ev)
			b.Write(line)
			b.WriteByte('\n')
		}
	} else {
		all, _ := json.Marshal(evs)
		b.Write(all)
	}
	path := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runWithStdin runs a command line with stdin.
func runWithStdin(env []string, stdin string, args ...string) (string, string, error) {
	var stdout, stderr strings.Builder
	cmd := newRootCmd(env, &stdout, &stderr)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return stdout.String(), stderr.String(), err
}

func countCLIEvents(t *testing.T, env []string) int {
	t.Helper()
	cl := httpapi.NewClient(strings.TrimPrefix(env[0], "HOOKD_URL="), cliKey)
	n, cursor := 0, ""
	for {
		es, next, err := cl.ListEvents(context.Background(), "default", httpapi.EventListOptions{ListOptions: httpapi.ListOptions{Limit: 250, Cursor: cursor}})
		if err != nil {
			t.Fatal(err)
		}
		n += len(es)
		if cursor = next; next == "" {
			return n
		}
	}
}

func TestCLIPublishFile(t *testing.T) {
	t.Parallel()
	env := cliServer(t)
	keyed := func(i int, ev *httpapi.PublishInput) {
		if i%500 == 0 {
			ev.ID = fmt.Sprintf("order-%d", i)
		}
	}
	res := cliJSON[httpapi.PublishBatchResult](t, env, "events", "publish", "--file", eventsFile(t, 2500, false, keyed))
	if len(res.Events) != 2500 {
		t.Fatalf("%d results, want 2500", len(res.Events))
	}
	for i, e := range res.Events {
		if e.Status != httpapi.PublishCreated {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
	last := cliJSON[cliThing](t, env, "events", "get", res.Events[2499].ID)
	var data struct{ N int }
	if err := json.Unmarshal(last.Data, &data); err != nil || data.N != 2499 {
		t.Fatalf("last event's data = %s", last.Data)
	}

	// The same file as NDJSON on stdin: the keyed events are duplicates.
	ndjson, err := os.ReadFile(eventsFile(t, 1001, true, keyed))
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runWithStdin(env, string(ndjson), "events", "publish", "--file", "-")
	if err != nil {
		t.Fatalf("--file -: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "1001 events: 998 created, 3 duplicate") ||
		!slices.ContainsFunc(strings.Split(out, "\n"), func(l string) bool {
			return slices.Equal(strings.Fields(l), []string{"500", res.Events[500].ID, "duplicate"})
		}) {
		t.Fatalf("--file - printed:\n%s", out)
	}
	if n := countCLIEvents(t, env); n != 2500+998 {
		t.Fatalf("%d events stored, want %d", n, 2500+998)
	}
}

func TestCLIPublishFileRefused(t *testing.T) {
	t.Parallel()
	env := cliServer(t)
	path := eventsFile(t, 1500, true, func(i int, ev *httpapi.PublishInput) {
		if i == 1203 {
			ev.Type = "not a type"
		}
	})
	code, out, errOut := runInProcess(t, env, "events", "publish", "--file", path)
	if code != exitError || !strings.Contains(errOut, "/events/1203/type") ||
		!strings.Contains(errOut, "events 1000 to 1499 refused") || !strings.Contains(out, "1000 events: 1000 created") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, short(out, 300), errOut)
	}
	if n := countCLIEvents(t, env); n != 1000 {
		t.Fatalf("%d events stored, want the first batch's 1000", n)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--file", path, "--type", "a.b"}, "leave out --type"},
		{nil, "--type and --data are required"},
		{[]string{"--file", filepath.Join(t.TempDir(), "none.json")}, "--file:"},
		{[]string{"--file", eventsFile(t, 0, true, nil)}, "no events"},
	} {
		code, _, errOut := runInProcess(t, env, append([]string{"events", "publish"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("publish %v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
}

package script_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/script"
)

func compile(t *testing.T, code string) *script.Program {
	t.Helper()
	// The longest time limit: these tests are about values, not time, and
	// must hold on a busy machine.
	p, err := script.Compile(code, "handler", script.Limits{Timeout: script.MaxTimeout})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return p
}

func call(t *testing.T, p *script.Program, arg any) (*script.Result, error) {
	t.Helper()
	return p.Call(context.Background(), arg)
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, code, want string
	}{
		{"empty", "  \n", "must define function handler"},
		{"syntax", "function handler(w) {\n  return w +;\n}", "line 2:"},
		{"no entry", "function other() {}", "must define function handler"},
		{"entry not a function", "var handler = 3", "must define function handler"},
		{"top level throws", "throw new Error('boom'); function handler() {}", "boom"},
		{"top level loops", "while (true) {} function handler() {}", "time limit"},
		{"too big", "function handler() {}\n//" + strings.Repeat("x", script.MaxCodeSize), "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := script.Compile(tc.code, "handler", script.Limits{})
			if hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (code %s), want EINVALID containing %q", err, hookd.ErrorCode(err), tc.want)
			}
		})
	}
}

func TestCallValues(t *testing.T) {
	t.Parallel()
	p := compile(t, `function handler(w) {
	  if (w.mode === "undefined") return undefined;
	  if (w.mode === "false") return false;
	  if (w.mode === "null") return null;
	  if (w.mode === "fn") return function () {};
	  return {sum: w.data.a + w.data.b, big: w.data.big, kind: typeof w.data.nested, n: w.data.nested.list.length};
	}`)
	for _, tc := range []struct {
		mode string
		want string
	}{
		{"undefined", ""},
		{"false", "false"},
		{"null", "null"},
		{"fn", ""},
		{"object", `{"sum":3,"big":"12345678901234567890","kind":"object","n":2}`},
	} {
		arg := map[string]any{
			"mode": tc.mode,
			"data": json.RawMessage(`{"a":1,"b":2,"big":"12345678901234567890","nested":{"list":[1,{"x":null}]}}`),
		}
		res, err := call(t, p, arg)
		if err != nil {
			t.Fatalf("%s: %v", tc.mode, err)
		}
		if string(res.Value) != tc.want {
			t.Errorf("%s: value %q, want %q", tc.mode, res.Value, tc.want)
		}
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	p, err := script.Compile(`function handler(w) { if (w.loop) { while (true) {} } return 1 }`, "handler",
		script.Limits{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	res, err := call(t, p, map[string]bool{"loop": true})
	if !errors.Is(err, script.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if res == nil || res.Duration < time.Second {
		t.Fatalf("result %+v: the call should have run for its whole time limit", res)
	}
	// The pool recovers: the next call runs in a sound runtime.
	res, err = call(t, p, map[string]bool{"loop": false})
	if err != nil || string(res.Value) != "1" {
		t.Fatalf("after a timeout: %v, %+v", err, res)
	}
}

func TestContextEndsCall(t *testing.T) {
	t.Parallel()
	p, err := script.Compile(`function handler() { while (true) {} }`, "handler", script.Limits{Timeout: script.MaxTimeout})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Call(ctx, nil)
	if !errors.Is(err, script.ErrTimeout) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrTimeout wrapping context.Canceled", err)
	}
}

func TestLimitsClampTimeout(t *testing.T) {
	t.Parallel()
	// A timeout above MaxTimeout is clamped, not refused: a loop still ends.
	p, err := script.Compile(`function handler() { return 2 }`, "handler", script.Limits{Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := call(t, p, nil); err != nil || string(res.Value) != "2" {
		t.Fatalf("%v %+v", err, res)
	}
}

func TestHTTPError(t *testing.T) {
	t.Parallel()
	p := compile(t, `function handler(w) {
	  if (w.kind === "text") throw new HTTPError(418, "short and stout", {"X-Teapot": "yes", "Retry-After": 3});
	  if (w.kind === "json") throw new HTTPError(422, {error: "bad"});
	  if (w.kind === "bad status") throw new HTTPError(200, "ok");
	  if (w.kind === "plain") throw new Error("plain failure");
	  throw "a string";
	}`)
	res, err := call(t, p, map[string]string{"kind": "text"})
	var he *script.HTTPError
	if !errors.As(err, &he) || he.Status != 418 || he.Body != "short and stout" ||
		he.Header.Get("X-Teapot") != "yes" || he.Header.Get("Retry-After") != "3" {
		t.Fatalf("text: %v %+v (%+v)", err, he, res)
	}
	_, err = call(t, p, map[string]string{"kind": "json"})
	if !errors.As(err, &he) || he.Status != 422 || he.Body != `{"error":"bad"}` {
		t.Fatalf("json: %v %+v", err, he)
	}
	for _, kind := range []string{"bad status", "plain", "string"} {
		_, err = call(t, p, map[string]string{"kind": kind})
		var ex *script.Exception
		if !errors.As(err, &ex) || errors.As(err, &he) {
			t.Fatalf("%s: err = %#v, want *Exception", kind, err)
		}
	}
	_, err = call(t, p, map[string]string{"kind": "plain"})
	if !strings.Contains(err.Error(), "plain failure") || !strings.Contains(err.Error(), "script:5") {
		t.Fatalf("plain: %q should carry the message and the position", err)
	}
}

func TestStackDepth(t *testing.T) {
	t.Parallel()
	p := compile(t, `function f(n) { return f(n + 1) } function handler() { return f(0) }`)
	_, err := call(t, p, nil)
	var ex *script.Exception
	if !errors.As(err, &ex) || !strings.Contains(ex.Message, "call stack") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnencodableResult(t *testing.T) {
	t.Parallel()
	p := compile(t, `function handler(w) { if (w.big) return {n: 10n}; const o = {}; o.self = o; return o }`)
	for _, arg := range []map[string]bool{{"big": true}, {"big": false}} {
		_, err := call(t, p, arg)
		var ex *script.Exception
		if !errors.As(err, &ex) || !strings.Contains(ex.Message, "cannot be encoded as JSON") {
			t.Fatalf("%v: err = %v", arg, err)
		}
	}
}

func TestConsole(t *testing.T) {
	t.Parallel()
	p, err := script.Compile(`function handler(w) {
	  console.log("hello", 42, {a: [1]}, null);
	  console.warn(new Error("careful"));
	  for (let i = 0; i < w.n; i++) console.info("line " + i);
	  return true;
	}`, "handler", script.Limits{Timeout: script.MaxTimeout, MaxLogBytes: 200})
	if err != nil {
		t.Fatal(err)
	}
	res, err := call(t, p, map[string]int{"n": 0})
	if err != nil {
		t.Fatal(err)
	}
	if want := "hello 42 {\"a\":[1]} null\nwarn: Error: careful\n"; res.Logs != want {
		t.Fatalf("logs %q, want %q", res.Logs, want)
	}
	res, err = call(t, p, map[string]int{"n": 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Logs) > 200+len("… (console output truncated)\n") || !strings.HasSuffix(res.Logs, "truncated)\n") {
		t.Fatalf("logs not capped: %d bytes, %q", len(res.Logs), res.Logs[max(0, len(res.Logs)-40):])
	}
	// Each call starts with empty logs.
	res, _ = call(t, p, map[string]int{"n": 0})
	if strings.Contains(res.Logs, "line 0") {
		t.Fatal("logs leaked from an earlier call")
	}
}

func TestSandbox(t *testing.T) {
	t.Parallel()
	p := compile(t, `function handler() {
	  return [typeof require, typeof setTimeout, typeof setInterval, typeof fetch, typeof XMLHttpRequest, typeof process];
	}`)
	res, err := call(t, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `["undefined","undefined","undefined","undefined","undefined","undefined"]`
	if string(res.Value) != want {
		t.Fatalf("globals %s, want %s", res.Value, want)
	}
}

func TestAllocationCaps(t *testing.T) {
	t.Parallel()
	p := compile(t, `function handler(w) {
	  switch (w.op) {
	  case "repeat": return "ab".repeat(w.n).length;
	  case "pad": return "".padStart(w.n, "x").length;
	  case "array": return new Array(w.n).length;
	  case "call": return Array(w.n).length;
	  case "from": return Array.from({length: w.n}).length;
	  case "fill": { const a = []; a.length = w.n; return a.fill(0).length; }
	  }
	}`)
	for _, op := range []string{"repeat", "pad", "array", "call", "from", "fill"} {
		res, err := call(t, p, map[string]any{"op": op, "n": 10})
		if err != nil || string(res.Value) != map[bool]string{true: "20", false: "10"}[op == "repeat"] {
			t.Fatalf("%s small: %v %s", op, err, res.Value)
		}
		_, err = call(t, p, map[string]any{"op": op, "n": script.MaxAlloc + 1})
		var ex *script.Exception
		if !errors.As(err, &ex) || !strings.Contains(ex.Message, "RangeError") {
			t.Fatalf("%s large: err = %v, want a RangeError", op, err)
		}
	}
	res, err := call(t, p, map[string]any{"op": "array", "n": 3})
	if err != nil || string(res.Value) != "3" {
		t.Fatal("arrays still work after the caps")
	}
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	p := compile(t, `let calls = 0; function handler(w) { calls++; return {id: w.id, twice: w.id * 2} }`)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				id := g*1000 + i
				res, err := p.Call(context.Background(), map[string]int{"id": id})
				var got struct{ ID, Twice int }
				if err == nil {
					err = json.Unmarshal(res.Value, &got)
				}
				if err == nil && (got.ID != id || got.Twice != 2*id) {
					err = errors.New("wrong answer for " + string(res.Value))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

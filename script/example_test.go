package script_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hookd/hookd/script"
)

// A transformation reshapes a payload: here Chalk's webhook body into
// FireHydrant's {summary, annotations}, every annotation a string.
func ExampleProgram_Call() {
	p, err := script.Compile(`
function handler(w) {
  const b = w.payload;
  const annotations = {};
  for (const [k, v] of Object.entries(b.payload)) {
    annotations[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  w.payload = {summary: b.subscription + " in " + b.environment_id, annotations};
  return w;
}`, "handler", script.Limits{Timeout: time.Second})
	if err != nil {
		panic(err)
	}
	in := map[string]any{"payload": json.RawMessage(
		`{"environment_id":"prod","subscription":"run.failed","payload":{"run":42,"reason":"oom"}}`)}
	res, err := p.Call(context.Background(), in)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(res.Value))
	// Output: {"payload":{"summary":"run.failed in prod","annotations":{"run":"42","reason":"oom"}}}
}

// An authenticator answers with a value, or throws an HTTPError that the
// caller sends back as it is.
func ExampleHTTPError() {
	p, _ := script.Compile(`
function authenticate(request) {
  if (request.headers["x-api-key"] !== "k1") throw new HTTPError(401, "no key", {"WWW-Authenticate": "Key"});
  return {user: "alice"};
}`, "authenticate", script.Limits{Timeout: time.Second})
	for _, key := range []string{"k1", "nope"} {
		res, err := p.Call(context.Background(), map[string]any{"headers": map[string]string{"x-api-key": key}})
		var he *script.HTTPError
		switch {
		case errors.As(err, &he):
			fmt.Println(he.Status, he.Body, he.Header.Get("WWW-Authenticate"))
		case err == nil:
			fmt.Println(string(res.Value))
		}
	}
	// Output:
	// {"user":"alice"}
	// 401 no key Key
}

// BenchmarkCall is the cost of one pooled call of a small transformation.
func BenchmarkCall(b *testing.B) {
	p, err := script.Compile(`function handler(w) { w.payload = {kind: w.event.type, id: w.event.data.id, n: w.event.data.amount * 2}; return w }`,
		"handler", script.Limits{Timeout: script.MaxTimeout})
	if err != nil {
		b.Fatal(err)
	}
	arg := map[string]any{"event": map[string]any{"type": "invoice.paid", "data": json.RawMessage(`{"id":"in_1","amount":2500,"lines":[{"sku":"a","qty":1},{"sku":"b","qty":2}]}`)}}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Call(context.Background(), arg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/httpapi"
)

// fireHydrant turns a Chalk body into FireHydrant's {summary, annotations}.
const fireHydrant = `function handler(w) {
  const chalk = w.payload;
  const annotations = {};
  for (const [key, value] of Object.entries(chalk.payload)) {
    annotations[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  annotations.environment_id = chalk.environment_id;
  console.log("transposed", chalk.subscription);
  w.payload = { summary: chalk.subscription + " in " + chalk.environment_id, annotations: annotations };
  w.headers["X-Source"] = "chalk";
  return w;
}`

// slowRetries gives a harness a schedule long enough to act between
// attempts, and a DisableAfter so short that any counted failure would
// disable the endpoint.
func slowRetries(o options) options {
	o.engine = func(_ hookd.Store, c *delivery.Config) {
		c.Schedule = make([]time.Duration, hookd.MaxRetrySchedule)
		for i := range c.Schedule {
			c.Schedule[i] = 100 * time.Millisecond // about 5 s of retries to act in
		}
		c.DisableAfter = time.Millisecond
	}
	return o
}

func TestTransformFireHydrant(t *testing.T) {
	eachStore(t, func(t *testing.T, o options) {
		h := newHarness(t, o)
		ctx := context.Background()
		ep := h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/fh",
			Payload: templateInput(t, chalkTemplate), Transform: fireHydrant})
		ev, err := h.client.Publish(ctx, "default", "alert.created", json.RawMessage(`{"id":7,"severity":"high","tags":["db"]}`))
		if err != nil {
			t.Fatal(err)
		}
		got := h.waitAt(ev.ID, "/fh", 1)[0]
		want := `{"summary":"alert.created in default","annotations":{"id":"7","severity":"high","tags":"[\"db\"]","environment_id":"default"}}`
		if string(got.body) != want || got.header.Get("X-Source") != "chalk" {
			t.Errorf("body %s, X-Source %q", got.body, got.header.Get("X-Source"))
		}
		verifyStandard(t, got, ep.Secret)
		waitFor(t, "the attempt", func() bool {
			as, _, err := h.client.ListAttempts(ctx, "default", ep.ID, httpapi.AttemptListOptions{})
			return err == nil && len(as) == 1 && as[0].Logs == "transposed alert.created\n"
		})
		// The test event goes through the template and the transform too.
		test, err := h.client.SendTest(ctx, "default", ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		got = h.waitAt(test.ID, "/fh", 1)[0]
		if !strings.HasPrefix(string(got.body), `{"summary":"webhook.test in default","annotations":{"endpoint_id":"`+ep.ID+`"`) {
			t.Errorf("test event body %s", got.body)
		}
	})
}

// verifyStandard checks a Standard Webhooks signature over the body sent.
func verifyStandard(t *testing.T, r received, secret string) {
	t.Helper()
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.header.Get("webhook-id") + "." + r.header.Get("webhook-timestamp") + "." + string(r.body)))
	if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); r.header.Get("webhook-signature") != want {
		t.Errorf("webhook-signature %q, want %q", r.header.Get("webhook-signature"), want)
	}
}

// TestTransformRunsOnce: a transform whose output changes at every run
// (a random number) is run once: the retry sends the same bytes.
func TestTransformRunsOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, o options) {
		h := newHarness(t, slowRetries(o))
		h.recv.fail.Store(true)
		h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/r",
			Transform: `function handler(w) { w.payload = {n: Math.random()}; w.method = "PUT"; return w }`})
		ev, err := h.client.Publish(context.Background(), "default", "a.b", json.RawMessage(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		first := h.waitAt(ev.ID, "/r", 1)[0]
		h.recv.fail.Store(false)
		all := h.waitAt(ev.ID, "/r", 2)
		if string(all[1].body) != string(first.body) || all[1].method != http.MethodPut || first.method != http.MethodPut {
			t.Errorf("attempts sent %s %s then %s %s", first.method, first.body, all[1].method, all[1].body)
		}
		d, err := h.client.GetEvent(context.Background(), "default", ev.ID)
		if err != nil || len(d.Deliveries) != 1 {
			t.Fatalf("event %+v %v", d, err)
		}
		if r := d.Deliveries[0].Request; r == nil || !r.Transformed || r.Method != http.MethodPut || string(r.Body) != string(first.body) {
			t.Errorf("delivery request %+v", r)
		}
	})
}

// TestTransformFailureHeals: a throwing transform makes attempts without
// a request, which do not disable the endpoint; fixing the code delivers.
func TestTransformFailureHeals(t *testing.T) {
	eachStore(t, func(t *testing.T, o options) {
		h := newHarness(t, slowRetries(o))
		ctx := context.Background()
		ep := h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/h",
			Transform: `function handler(w) { console.log("saw", w.event.type); throw new Error("no amount") }`})
		ev, err := h.client.Publish(ctx, "default", "a.b", json.RawMessage(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		var failed httpapi.Attempt
		waitFor(t, "two failed transform attempts", func() bool {
			as, _, err := h.client.ListAttempts(ctx, "default", ep.ID, httpapi.AttemptListOptions{})
			if err != nil || len(as) < 2 {
				return false
			}
			failed = as[len(as)-1]
			return true
		})
		if !strings.HasPrefix(failed.Error, "transform: ") || !strings.Contains(failed.Error, "no amount") ||
			failed.Logs != "saw a.b\n" || failed.ResponseStatus != 0 || len(h.recv.byID(ev.ID)) != 0 {
			t.Fatalf("failed attempt %+v, %d requests", failed, len(h.recv.byID(ev.ID)))
		}
		fixed := `function handler(w) { w.payload = {fixed: true}; return w }`
		if _, err := h.client.PatchEndpoint(ctx, "default", ep.ID, map[string]any{"transform": fixed}); err != nil {
			t.Fatal(err)
		}
		if got := h.waitAt(ev.ID, "/h", 1)[0]; string(got.body) != `{"fixed":true}` {
			t.Errorf("body %s", got.body)
		}
		cur, err := h.client.GetEndpoint(ctx, "default", ep.ID)
		if err != nil || !cur.Enabled {
			t.Errorf("endpoint after transform failures: %+v %v", cur, err)
		}
	})
}

func TestTransformCancel(t *testing.T) {
	eachStore(t, func(t *testing.T, o options) {
		h := newHarness(t, o)
		ctx := context.Background()
		h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/c",
			Transform: `function handler(w) { w.cancel = w.event.data.skip === true; return w }`})
		skipped, err := h.client.Publish(ctx, "default", "a.b", json.RawMessage(`{"skip":true}`))
		if err != nil {
			t.Fatal(err)
		}
		sent, err := h.client.Publish(ctx, "default", "a.b", json.RawMessage(`{"skip":false}`))
		if err != nil {
			t.Fatal(err)
		}
		h.waitAt(sent.ID, "/c", 1)
		waitFor(t, "the cancelled delivery", func() bool {
			d, err := h.client.GetEvent(ctx, "default", skipped.ID)
			return err == nil && len(d.Deliveries) == 1 && d.Deliveries[0].Status == hookd.StatusCancelled
		})
		if n := len(h.recv.byID(skipped.ID)); n != 0 {
			t.Errorf("a cancelled delivery sent %d requests", n)
		}
	})
}

func TestTransformTestRoute(t *testing.T) {
	h := newHarness(t, options{})
	ctx := context.Background()
	if _, err := h.client.CreateEventType(ctx, httpapi.EventTypeInput{Name: "alert.created",
		Examples: []json.RawMessage{json.RawMessage(`{"id":7,"severity":"high"}`)}}); err != nil {
		t.Fatal(err)
	}
	ep := h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/t", EventTypes: []string{"alert.*"},
		Payload: templateInput(t, chalkTemplate), Transform: fireHydrant})
	path := "/v1/tenants/default/endpoints/" + ep.ID + "/transform/test"
	res := decode[httpapi.TransformTestResult](t, h.do("POST", path, ""), http.StatusOK)
	want := `{"summary":"alert.created in default","annotations":{"id":"7","severity":"high","environment_id":"default"}}`
	if string(res.Payload) != want || res.Error != nil || res.Method != "POST" || res.Headers["X-Source"] != "chalk" ||
		res.Logs != "transposed alert.created\n" || res.DurationMS <= 0 {
		t.Errorf("default sample: %+v (payload %s)", res, res.Payload)
	}
	res = decode[httpapi.TransformTestResult](t, h.do("POST", path,
		`{"code":"function handler(w) { w.method = 'HEAD'; w.cancel = w.event.data.n > 1; return w }","event":{"type":"x.y","data":{"n":2}}}`),
		http.StatusOK)
	if !res.Cancel || res.Method != "HEAD" || !isNullJSON(res.Payload) {
		t.Errorf("given code and sample: %+v", res)
	}
	res = decode[httpapi.TransformTestResult](t, h.do("POST", path, `{"code":"function handler(w) { throw new Error('boom') }"}`), http.StatusOK)
	if res.Error == nil || !strings.Contains(*res.Error, "boom") {
		t.Errorf("throwing code: %+v", res)
	}
	p := problem(t, h.do("POST", path, `{"code":"function handler(w) {"}`), http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, p, "/code")
	p = problem(t, h.do("POST", "/v1/tenants/default/endpoints", `{"url":"`+h.recv.URL+`/x","transform":"function nope() {}"}`),
		http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, p, "/transform")
	problem(t, h.do("POST", "/v1/tenants/default/endpoints/ep_missing/transform/test", ""), http.StatusNotFound, hookd.ENOTFOUND)
	// The Go client says the same.
	res2, err := h.client.TestTransform(ctx, "default", ep.ID, httpapi.TransformTestInput{
		Event: &httpapi.SampleEvent{Type: "alert.created", Data: json.RawMessage(`{"id":1}`)}})
	if err != nil || !strings.Contains(string(res2.Payload), `"summary":"alert.created in default"`) {
		t.Errorf("client TestTransform = %+v, %v", res2, err)
	}
	_, err = h.client.TestTransform(ctx, "default", ep.ID, httpapi.TransformTestInput{Code: "nope("})
	if fs := hookd.ErrorFields(err); len(fs) != 1 || fs[0].Pointer != "/code" {
		t.Errorf("client TestTransform with bad code: %v", err)
	}
}

// TestMethods: an event type with several methods, an endpoint choosing
// one; HEAD carries no body and its signature covers the empty body.
func TestMethods(t *testing.T) {
	eachStore(t, func(t *testing.T, o options) {
		var cat *catalog.Catalog
		o.engine = func(st hookd.Store, c *delivery.Config) {
			var err error
			if cat, err = catalog.Open(context.Background(), st); err != nil {
				t.Fatalf("open catalog: %v", err)
			}
			c.CheckFunc = cat.Check
		}
		o.config = func(c *httpapi.Config) { c.Catalog = cat }
		h := newHarness(t, o)
		ctx := context.Background()
		et, err := h.client.CreateEventType(ctx, httpapi.EventTypeInput{Name: "page.viewed", Methods: []string{"GET", "POST", "HEAD"}})
		if err != nil || et.Method != "GET" || len(et.Methods) != 3 {
			t.Fatalf("event type %+v %v", et, err)
		}
		p := problem(t, h.do("POST", "/v1/tenants/default/endpoints", `{"url":"`+h.recv.URL+`/x","event_types":["page.viewed"],"method":"PUT"}`),
			http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/method")
		head := h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/head", EventTypes: []string{"page.viewed"}, Method: "HEAD"})
		h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/default", EventTypes: []string{"page.viewed"}})
		ev, err := h.client.Publish(ctx, "default", "page.viewed", json.RawMessage(`{"url":"/"}`))
		if err != nil {
			t.Fatal(err)
		}
		got := h.waitAt(ev.ID, "/head", 1)[0]
		if got.method != http.MethodHead || len(got.body) != 0 {
			t.Errorf("HEAD delivery: %s with %d bytes", got.method, len(got.body))
		}
		verifyStandard(t, got, head.Secret)
		if def := h.waitAt(ev.ID, "/default", 1)[0]; def.method != http.MethodGet || len(def.body) == 0 {
			t.Errorf("default delivery: %s %s", def.method, def.body)
		}
	})
}

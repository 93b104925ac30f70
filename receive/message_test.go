package receive_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/receive"
	"github.com/hookd/hookd/signature"
)

// TestWholeMessage: a forward passes the query string on; a publish
// destination with data: message publishes {body, args, headers, user},
// without credential headers; the authenticator's user is in the request
// log.
func TestWholeMessage(t *testing.T) {
	spec := `{"path": "/acme/prod/orders",
	  "verify": [{"script": "function authenticate(r) { return r.headers['x-token'] === 't0k' ? {user: {client: 'acme'}} : false }", "timeout": "2s"}],
	  "destinations": [
	    {"forward": {"url": "RECEIVER/fwd?from=hookd", "secret": "` + forwardSecret + `"}},
	    {"publish": {"type": "order.created", "data": "message"}}]}`
	h := newHarness(t, map[string]string{"orders": spec})
	ctx := context.Background()
	secret, _ := signature.GenerateSecret()
	now := time.Now().UTC()
	ep := &hookd.Endpoint{ID: hookd.NewID(hookd.PrefixEndpoint), TenantID: hookd.DefaultTenant, URL: h.got.URL + "/ep", Enabled: true,
		Secrets: []hookd.Secret{{Value: secret, CreatedAt: now}}, CreatedAt: now, UpdatedAt: now}
	if err := h.store.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	h.engine.Invalidate()
	expectStatus(t, serve(h.mux, req("POST", "/acme/prod/orders?x=1", []byte(`{}`), "Content-Type", "application/json")), http.StatusForbidden)
	r := req("POST", "/acme/prod/orders?id=7&tag=a&tag=b", []byte(`{"total":12.50}`), "Content-Type", "application/json",
		"X-Token", "t0k", "X-Trace", "abc", "X-Multi", "1", "X-Multi", "2")
	expectStatus(t, serve(h.mux, r), http.StatusOK)
	waitFor(t, "the forward and the event", func() bool { return h.got.count() == 2 })

	h.got.mu.Lock()
	defer h.got.mu.Unlock()
	for i, got := range h.got.reqs {
		switch got.URL.Path {
		case "/fwd":
			if got.URL.RawQuery != "from=hookd&id=7&tag=a&tag=b" {
				t.Errorf("forwarded to ?%s", got.URL.RawQuery)
			}
		case "/ep":
			var ev struct{ Data map[string]json.RawMessage }
			if err := json.Unmarshal(h.got.body[i], &ev); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"body": `{"total":12.50}`, "args": `{"id":"7","tag":["a","b"]}`, "user": `{"client":"acme"}`}
			for k, v := range want {
				if string(ev.Data[k]) != v {
					t.Errorf("data.%s = %s, want %s", k, ev.Data[k], v)
				}
			}
			var hs map[string]any
			_ = json.Unmarshal(ev.Data["headers"], &hs)
			if hs["x-trace"] != "abc" || hs["x-token"] != nil || len(hs["x-multi"].([]any)) != 2 {
				t.Errorf("data.headers = %s", ev.Data["headers"])
			}
		default:
			t.Errorf("unexpected request to %s", got.URL)
		}
	}
	yes := true
	if acc := h.requests("orders", &yes); len(acc) != 1 || string(acc[0].User) != `{"client":"acme"}` || acc[0].Verified != "script" {
		t.Errorf("request log %+v", acc)
	}
}

// chalkArgs and chalkHeaders are models of a Chalk-style source's query
// and headers.
type chalkArgs struct {
	ID    int      `query:"id"`
	Tags  []string `query:"tag"`
	Dry   bool     `query:"dry"`
	Ratio float64  `query:"ratio"`
	Skip  string   `query:"-"`
}

type chalkHeaders struct {
	Trace string   `header:"X-Trace"`
	Multi []string `header:"x-multi"`
	Count uint16   `header:"X-Count"`
}

func TestDecodeQueryAndHeaders(t *testing.T) {
	t.Parallel()
	m := &receive.Message{Query: map[string][]string{"id": {"7"}, "tag": {"a", "b"}, "dry": {"true"}, "ratio": {"0.5"}, "-": {"x"}},
		Header: http.Header{"X-Trace": {"abc"}, "X-Multi": {"1", "2"}, "X-Count": {"3"}}}
	q, err := receive.DecodeQuery[chalkArgs](m)
	if err != nil || q.ID != 7 || len(q.Tags) != 2 || !q.Dry || q.Ratio != 0.5 || q.Skip != "" {
		t.Errorf("query %+v %v", q, err)
	}
	h, err := receive.DecodeHeaders[chalkHeaders](m)
	if err != nil || h.Trace != "abc" || len(h.Multi) != 2 || h.Count != 3 {
		t.Errorf("headers %+v %v", h, err)
	}
	m.Query.Set("id", "seven")
	_, err = receive.DecodeQuery[chalkArgs](m)
	var e *receive.Error
	if !errorsAs(err, &e) || e.Status != 400 {
		t.Errorf("bad id: %v", err)
	}
}

// TestMessageJSON is the message form in Go: a body that is not JSON is
// a string; user is null without an authenticator.
func TestMessageJSON(t *testing.T) {
	t.Parallel()
	m := receive.Message{Body: []byte("a=1"), ContentType: "application/x-www-form-urlencoded",
		Query: map[string][]string{"q": {"1"}}, Header: http.Header{"Authorization": {"Bearer x"}, "X-A": {"b"}}}
	b, err := json.Marshal(m)
	if err != nil || string(b) != `{"body":"a=1","args":{"q":"1"},"headers":{"x-a":"b"},"user":null}` {
		t.Errorf("message %s %v", b, err)
	}
}

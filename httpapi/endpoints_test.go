package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

func TestEndpointCreateAndRead(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	body := `{"url":"` + h.recv.URL + `/a","description":"orders","event_types":["invoice.*"],` +
		`"headers":{"X-Team":"billing"},"timeout":"10s","retry_schedule":["5s","5m"],"metadata":{"k":"v"}}`
	r := h.do("POST", "/v1/tenants/default/endpoints", body)
	ep := decode[httpapi.Endpoint](t, r, http.StatusCreated)
	if !strings.HasPrefix(ep.Secret, "whsec_") || !strings.HasPrefix(ep.ID, "ep_") {
		t.Fatalf("created endpoint = %+v", ep)
	}
	if r.header.Get("Location") != "/v1/tenants/default/endpoints/"+ep.ID {
		t.Errorf("Location = %q", r.header.Get("Location"))
	}
	if !ep.Enabled || ep.Signature.Scheme != "standard-webhooks" || ep.Payload.Kind != "envelope" ||
		ep.Timeout == nil || ep.Timeout.String() != "10s" || len(ep.RetrySchedule) != 2 ||
		ep.RetrySchedule[1].String() != "5m" || ep.SecretPrefix != ep.Secret[:10] || ep.FailingSince != nil {
		t.Fatalf("created endpoint = %+v", ep)
	}
	var raw map[string]any
	_ = json.Unmarshal(r.body, &raw)
	if raw["timeout"] != "10s" || raw["retry_schedule"].([]any)[0] != "5s" {
		t.Errorf("durations on the wire: %s", r.body)
	}

	got, err := h.client.GetEndpoint(ctx, "default", ep.ID)
	if err != nil || got.Secret != "" || got.SecretPrefix != ep.SecretPrefix || got.URL != ep.URL {
		t.Fatalf("GetEndpoint = %+v, %v", got, err)
	}
	if strings.Contains(string(h.do("GET", "/v1/tenants/default/endpoints/"+ep.ID, "").body), `"secret"`) {
		t.Error("GET shows the secret")
	}
	list, _, err := h.client.ListEndpoints(ctx, "default", httpapi.ListOptions{})
	if err != nil || len(list) != 1 || list[0].Secret != "" {
		t.Fatalf("ListEndpoints = %+v, %v", list, err)
	}
	t.Run("given secret", func(t *testing.T) {
		const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		ep := h.createEndpoint("default", httpapi.EndpointInput{Secret: secret})
		if ep.Secret != secret {
			t.Fatalf("secret = %q", ep.Secret)
		}
	})
	t.Run("delete", func(t *testing.T) {
		if err := h.client.DeleteEndpoint(ctx, "default", ep.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.GetEndpoint(ctx, "default", ep.ID); hookd.ErrorCode(err) != hookd.ENOTFOUND {
			t.Fatalf("after delete: %v", err)
		}
	})
}

func TestEndpointNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	problem(t, h.do("POST", "/v1/tenants/nope/endpoints", `{"url":"http://127.0.0.1/"}`), http.StatusNotFound, hookd.ENOTFOUND)
	problem(t, h.do("GET", "/v1/tenants/nope/endpoints", ""), http.StatusNotFound, hookd.ENOTFOUND)
	problem(t, h.do("GET", "/v1/tenants/default/endpoints/ep_nope", ""), http.StatusNotFound, hookd.ENOTFOUND)
	problem(t, h.do("DELETE", "/v1/tenants/default/endpoints/ep_nope", ""), http.StatusNotFound, hookd.ENOTFOUND)
	problem(t, h.do("POST", "/v1/tenants/default/endpoints/ep_nope/rotate-secret", ""), http.StatusNotFound, hookd.ENOTFOUND)
	problem(t, h.do("POST", "/v1/tenants/default/endpoints/ep_nope/test", ""), http.StatusNotFound, hookd.ENOTFOUND)
	problem(t, h.do("GET", "/v1/tenants/default/endpoints/ep_nope/attempts", ""), http.StatusNotFound, hookd.ENOTFOUND)
}

func TestEndpointValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	u := h.recv.URL
	tests := []struct {
		name, body, pointer string
	}{
		{"missing url", `{}`, "/url"},
		{"bad url", `{"url":"ftp://example.com"}`, "/url"},
		{"blocked address", `{"url":"http://10.0.0.1/hook"}`, "/url"},
		{"metadata address", `{"url":"http://169.254.169.254/"}`, "/url"},
		{"reserved header", `{"url":"` + u + `","headers":{"Webhook-Id":"x"}}`, "/headers/Webhook-Id"},
		{"header wrong type", `{"url":"` + u + `","headers":{"X-A":1}}`, "/headers/X-A"},
		{"bad event type", `{"url":"` + u + `","event_types":["ok.type","bad type"]}`, "/event_types/1"},
		{"unknown field", `{"url":"` + u + `","colour":"red"}`, "/colour"},
		{"unknown nested field", `{"url":"` + u + `","signature":{"scheme":"hmac-sha256","header":"X-Sig","algo":"x"}}`, "/signature/algo"},
		{"bad duration", `{"url":"` + u + `","timeout":"soon"}`, "/timeout"},
		{"numeric duration", `{"url":"` + u + `","timeout":30}`, "/timeout"},
		{"bad retry step", `{"url":"` + u + `","retry_schedule":["5s","x"]}`, "/retry_schedule/1"},
		{"timeout too long", `{"url":"` + u + `","timeout":"1h"}`, "/timeout"},
		{"wrong type", `{"url":"` + u + `","rate_limit":"fast"}`, "/rate_limit"},
		{"not an integer", `{"url":"` + u + `","max_concurrency":1.5}`, "/max_concurrency"},
		{"bad scheme", `{"url":"` + u + `","signature":{"scheme":"md5"}}`, "/signature/scheme"},
		{"bad payload", `{"url":"` + u + `","payload":"xml"}`, "/payload"},
		{"bad secret", `{"url":"` + u + `","secret":"whsec_c2hvcnQ="}`, "/secret"},
		{"metadata not an object", `{"url":"` + u + `","metadata":[1]}`, "/metadata"},
		{"not an object", `[1,2]`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := problem(t, h.do("POST", "/v1/tenants/default/endpoints", tc.body), http.StatusUnprocessableEntity, hookd.EINVALID)
			hasPointer(t, p, tc.pointer)
		})
	}
	t.Run("malformed JSON", func(t *testing.T) {
		t.Parallel()
		p := problem(t, h.do("POST", "/v1/tenants/default/endpoints", `{"url": "x",}`), http.StatusBadRequest, hookd.EMALFORMED)
		if !strings.Contains(p.Detail, "offset 13") {
			t.Errorf("detail = %q, want the offset", p.Detail)
		}
		p = problem(t, h.do("POST", "/v1/tenants/default/endpoints", `{"url": "x"} {}`), http.StatusBadRequest, hookd.EMALFORMED)
		if !strings.Contains(p.Detail, "offset") {
			t.Errorf("detail = %q, want the offset", p.Detail)
		}
	})
	t.Run("unsupported media type", func(t *testing.T) {
		t.Parallel()
		problem(t, h.do("POST", "/v1/tenants/default/endpoints", `url=x`, "Content-Type", "application/x-www-form-urlencoded"),
			http.StatusUnsupportedMediaType, hookd.EUNSUPPORTED)
	})
	t.Run("nothing stored", func(t *testing.T) {
		t.Parallel()
		list, _, err := h.client.ListEndpoints(context.Background(), "default", httpapi.ListOptions{})
		if err != nil || len(list) != 0 {
			t.Fatalf("endpoints after failed creations: %+v, %v", list, err)
		}
	})
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{config: func(c *httpapi.Config) { c.MaxBody = 1024 }})
	problem(t, h.do("POST", "/v1/tenants/default/endpoints", big(2048)), http.StatusRequestEntityTooLarge, hookd.ETOOLARGE)
	problem(t, h.do("POST", "/v1/tenants/default/endpoints", big(2048), "Idempotency-Key", "k1"),
		http.StatusRequestEntityTooLarge, hookd.ETOOLARGE)
	problem(t, h.do("POST", "/v1/tenants/default/events", `{"type":"a.b","data":"`+big(2048)[10:]),
		http.StatusRequestEntityTooLarge, hookd.ETOOLARGE)
}

func TestEndpointMergePatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	timeout := hookd.Duration(10 * time.Second)
	ep := h.createEndpoint("default", httpapi.EndpointInput{
		Description: "first", Headers: map[string]string{"X-A": "1", "X-B": "2"},
		Timeout: &timeout, Metadata: json.RawMessage(`{"a":1,"b":{"c":2}}`), EventTypes: []string{"a.*"},
	})
	path := "/v1/tenants/default/endpoints/" + ep.ID

	got := decode[httpapi.Endpoint](t, h.do("PATCH", path,
		`{"description":"second","headers":{"X-A":null,"X-C":"3"},"timeout":null,"metadata":{"b":{"d":4}}}`,
		"Content-Type", "application/merge-patch+json"), http.StatusOK)
	if got.Description != "second" || got.URL != ep.URL || got.Timeout != nil ||
		len(got.Headers) != 2 || got.Headers["X-B"] != "2" || got.Headers["X-C"] != "3" ||
		string(got.Metadata) != `{"a":1,"b":{"c":2,"d":4}}` || len(got.EventTypes) != 1 || got.Secret != "" {
		t.Fatalf("patched = %+v (metadata %s)", got, got.Metadata)
	}

	t.Run("through the client", func(t *testing.T) {
		got, err := h.client.PatchEndpoint(ctx, "default", ep.ID, map[string]any{"enabled": false, "event_types": nil})
		if err != nil || got.Enabled || len(got.EventTypes) != 0 || got.Description != "second" {
			t.Fatalf("PatchEndpoint = %+v, %v", got, err)
		}
		stored, _ := h.store.GetEndpoint(ctx, "default", ep.ID)
		if stored.Enabled || len(stored.Secrets) != 1 {
			t.Fatalf("stored = %+v", stored)
		}
	})
	t.Run("errors", func(t *testing.T) {
		cases := []struct{ body, pointer string }{
			{`{"url":"http://10.1.2.3/"}`, "/url"},
			{`{"id":"ep_other"}`, "/id"},
			{`{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`, "/secret"},
			{`{"headers":{"Content-Type":"text/plain"}}`, "/headers/Content-Type"},
			{`{"timeout":"never"}`, "/timeout"},
			{`[]`, ""},
		}
		for _, c := range cases {
			p := problem(t, h.do("PATCH", path, c.body), http.StatusUnprocessableEntity, hookd.EINVALID)
			hasPointer(t, p, c.pointer)
		}
		problem(t, h.do("PATCH", path, `{"url":`), http.StatusBadRequest, hookd.EMALFORMED)
		problem(t, h.do("PATCH", path, ``), http.StatusBadRequest, hookd.EMALFORMED)
		problem(t, h.do("PATCH", "/v1/tenants/default/endpoints/ep_nope", `{}`), http.StatusNotFound, hookd.ENOTFOUND)
		after, _ := h.client.GetEndpoint(ctx, "default", ep.ID)
		if after.URL != ep.URL || after.Description != "second" {
			t.Fatalf("a refused patch changed the endpoint: %+v", after)
		}
	})
}

func TestEndpointCreateIdempotency(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	body := `{"url":"` + h.recv.URL + `"}`
	first := h.do("POST", "/v1/tenants/default/endpoints", body, "Idempotency-Key", "create-1")
	ep1 := decode[httpapi.Endpoint](t, first, http.StatusCreated)
	again := h.do("POST", "/v1/tenants/default/endpoints", body, "Idempotency-Key", "create-1")
	ep2 := decode[httpapi.Endpoint](t, again, http.StatusCreated)
	if ep1.ID != ep2.ID || ep1.Secret != ep2.Secret || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay = %+v, want %+v", ep2, ep1)
	}
	problem(t, h.do("POST", "/v1/tenants/default/endpoints", `{"url":"`+h.recv.URL+`/other"}`, "Idempotency-Key", "create-1"),
		http.StatusUnprocessableEntity, hookd.EMISMATCH)
	p := problem(t, h.do("POST", "/v1/tenants/default/endpoints", body, "Idempotency-Key", "bad key!"),
		http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, p, "/headers/idempotency-key")
	// An error is not remembered: the key can be used once the body is right.
	problem(t, h.do("POST", "/v1/tenants/default/endpoints", `{}`, "Idempotency-Key", "create-2"),
		http.StatusUnprocessableEntity, hookd.EINVALID)
	decode[httpapi.Endpoint](t, h.do("POST", "/v1/tenants/default/endpoints", body, "Idempotency-Key", "create-2"), http.StatusCreated)

	ep3, err := h.client.CreateEndpoint(context.Background(), "default", httpapi.EndpointInput{URL: h.recv.URL},
		httpapi.WithIdempotencyKey("create-1"))
	if err != nil || ep3.ID != ep1.ID {
		t.Fatalf("client replay = %+v, %v; want %s", ep3, err, ep1.ID)
	}
	list, _, _ := h.client.ListEndpoints(context.Background(), "default", httpapi.ListOptions{})
	if len(list) != 2 {
		t.Fatalf("%d endpoints, want 2", len(list))
	}
}

package httpapi_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/httpapi"
)

// The wire formats of two real producers, as payload templates.
const (
	chalkTemplate = `{"environment_id":"{{tenant.id}}","webhook_id":"{{endpoint.id}}","subscription":"{{event.type}}",` +
		`"payload":"{{event.data}}","event_timestamp":"{{event.created_at}}","idempotency_key":"{{event.id}}"}`
	dataChonkTemplate = `{"id":"{{event.id}}","event":"{{event.type}}","created_at":"{{event.created_at}}",` +
		`"project_id":"{{tenant.metadata.project_id}}","data":"{{event.data}}"}`
)

func templateInput(t *testing.T, tpl string) hookd.PayloadSpec {
	t.Helper()
	var p hookd.PayloadSpec
	if err := json.Unmarshal([]byte(`{"template":`+tpl+`}`), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPayloadTemplates sends one event to a Chalk-shaped, a
// DataChonk-shaped (with DataChonk's own secret and signature), a raw and
// an envelope endpoint, and checks each body byte for byte.
func TestPayloadTemplates(t *testing.T) {
	eachStore(t, func(t *testing.T, o options) {
		h := newHarness(t, o)
		ctx := context.Background()
		if _, _, err := h.client.PutTenant(ctx, "acme", &httpapi.TenantInput{Metadata: json.RawMessage(`{"project_id":"prj_9"}`)}); err != nil {
			t.Fatal(err)
		}
		chalk := h.createEndpoint("acme", httpapi.EndpointInput{URL: h.recv.URL + "/chalk", Payload: templateInput(t, chalkTemplate)})
		datachonk := h.createEndpoint("acme", httpapi.EndpointInput{URL: h.recv.URL + "/datachonk",
			Payload:   templateInput(t, dataChonkTemplate),
			Signature: &httpapi.Signature{Scheme: hookd.SchemeHMACSHA256, Header: "X-DataChonk-Signature", Prefix: "sha256="},
			Secret:    "your-webhook-secret"})
		h.createEndpoint("acme", httpapi.EndpointInput{URL: h.recv.URL + "/raw", Payload: hookd.PayloadSpec{Kind: hookd.PayloadRaw}})
		h.createEndpoint("acme", httpapi.EndpointInput{URL: h.recv.URL + "/envelope"})
		if datachonk.Payload.Kind != hookd.PayloadTemplate || string(datachonk.Payload.Template) != dataChonkTemplate {
			t.Fatalf("endpoint payload = %+v", datachonk.Payload)
		}

		ev, err := h.client.Publish(ctx, "acme", "alert.created", json.RawMessage(`{"id": 7, "severity": "high"}`))
		if err != nil {
			t.Fatal(err)
		}
		ts := ev.CreatedAt.UTC().Format(hookd.TimestampLayout)
		data := `{"id":7,"severity":"high"}`
		want := map[string]string{
			"/chalk": `{"environment_id":"acme","webhook_id":"` + chalk.ID + `","subscription":"alert.created","payload":` + data +
				`,"event_timestamp":"` + ts + `","idempotency_key":"` + ev.ID + `"}`,
			"/datachonk": `{"id":"` + ev.ID + `","event":"alert.created","created_at":"` + ts + `","project_id":"prj_9","data":` + data + `}`,
			"/raw":       data,
			"/envelope":  `{"type":"alert.created","timestamp":"` + ts + `","data":` + data + `}`,
		}
		for path, body := range want {
			got := h.waitAt(ev.ID, path, 1)[0]
			if string(got.body) != body {
				t.Errorf("%s body\n got %s\nwant %s", path, got.body, body)
			}
		}
		// DataChonk's documented check: sha256= + hex HMAC-SHA256 of the body,
		// keyed with the secret the user chose.
		got := h.waitAt(ev.ID, "/datachonk", 1)[0]
		mac := hmac.New(sha256.New, []byte("your-webhook-secret"))
		mac.Write(got.body)
		if sig := got.header.Get("X-DataChonk-Signature"); sig != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("X-DataChonk-Signature = %q", sig)
		}
	})
}

// TestTemplateRetriesSendTheSameBytes changes what the template reads
// between two attempts: the retry still sends the first rendering.
func TestTemplateRetriesSendTheSameBytes(t *testing.T) {
	eachStore(t, func(t *testing.T, o options) {
		h := newHarness(t, o)
		ctx := context.Background()
		h.recv.fail.Store(true)
		ep := h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/t", Metadata: json.RawMessage(`{"v":1}`),
			Payload: templateInput(t, `{"v":"{{endpoint.metadata.v}}","text":"v{{endpoint.metadata.v}} of {{event.type}}"}`)})
		ev, err := h.client.Publish(ctx, "default", "a.b", json.RawMessage(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		first := h.waitAt(ev.ID, "/t", 1)[0]
		if string(first.body) != `{"v":1,"text":"v1 of a.b"}` {
			t.Fatalf("first body %s", first.body)
		}
		if _, err := h.client.PatchEndpoint(ctx, "default", ep.ID, map[string]any{"metadata": map[string]int{"v": 2}}); err != nil {
			t.Fatal(err)
		}
		h.recv.fail.Store(false)
		all := h.waitAt(ev.ID, "/t", 2)
		if string(all[1].body) != string(first.body) {
			t.Errorf("retry body %s, first %s", all[1].body, first.body)
		}
	})
}

func TestTemplateValidation(t *testing.T) {
	h := newHarness(t, options{})
	url := `"` + h.recv.URL + `/x"`
	tests := []struct{ name, body, pointer string }{
		{"unknown path", `{"url":` + url + `,"payload":{"template":{"a":{"b":"{{tenant.metdata.x}}"}}}}`, "/payload/template/a/b"},
		{"unknown form", `{"url":` + url + `,"payload":"xml"}`, "/payload"},
		{"object without template", `{"url":` + url + `,"payload":{"tmpl":{}}}`, "/payload"},
		{"unclosed", `{"url":` + url + `,"payload":{"template":["x {{event.id"]}}`, "/payload/template/0"},
		{"method", `{"url":` + url + `,"method":"FETCH"}`, "/method"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := problem(t, h.do("POST", "/v1/tenants/default/endpoints", tc.body), http.StatusUnprocessableEntity, hookd.EINVALID)
			hasPointer(t, p, tc.pointer)
		})
	}
	ep := h.createEndpoint("default", httpapi.EndpointInput{})
	p := problem(t, h.do("PATCH", "/v1/tenants/default/endpoints/"+ep.ID, `{"payload":{"template":"{{nope}}"}}`),
		http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, p, "/payload/template")
	got := decode[httpapi.Endpoint](t, h.do("PATCH", "/v1/tenants/default/endpoints/"+ep.ID, `{"payload":"raw"}`), http.StatusOK)
	if got.Payload.Kind != hookd.PayloadRaw {
		t.Errorf("patched payload = %+v", got.Payload)
	}
}

// TestDefaultPayload: endpoints without a payload of their own show and
// send the operator's default.
func TestDefaultPayload(t *testing.T) {
	def := hookd.PayloadSpec{}
	if err := json.Unmarshal([]byte(`{"template":{"kind":"{{event.type}}","body":"{{event.data}}"}}`), &def); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, options{
		config: func(c *httpapi.Config) { c.DefaultPayload = def },
		engine: func(_ hookd.Store, c *delivery.Config) { c.Payload = def },
	})
	ep := h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/d"})
	if ep.Payload.Kind != hookd.PayloadTemplate {
		t.Errorf("endpoint shows payload %+v, want the default template", ep.Payload)
	}
	h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/e", Payload: hookd.PayloadSpec{Kind: hookd.PayloadEnvelope}})
	ev, err := h.client.Publish(context.Background(), "default", "a.b", json.RawMessage(`[1]`))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.waitAt(ev.ID, "/d", 1)[0]; string(got.body) != `{"kind":"a.b","body":[1]}` {
		t.Errorf("default template body %s", got.body)
	}
	if got := h.waitAt(ev.ID, "/e", 1)[0]; !strings.HasPrefix(string(got.body), `{"type":"a.b","timestamp":`) {
		t.Errorf("envelope endpoint body %s", got.body)
	}
}

// TestOwnSecrets: DataChonk's users choose their secret; Standard
// Webhooks keeps its whsec_ form.
func TestOwnSecrets(t *testing.T) {
	eachStore(t, func(t *testing.T, o options) {
		h := newHarness(t, o)
		ctx := context.Background()
		hmacSig := `"signature":{"scheme":"hmac-sha256","header":"X-DataChonk-Signature","prefix":"sha256="}`
		url := `"url":"` + h.recv.URL + `/s"`
		bad := []struct{ name, body string }{
			{"too short", `{` + url + `,` + hmacSig + `,"secret":"short"}`},
			{"too long", `{` + url + `,` + hmacSig + `,"secret":"` + strings.Repeat("x", 257) + `"}`},
			{"not printable", `{` + url + `,` + hmacSig + `,"secret":"tab\tinside"}`},
			{"own secret for standard webhooks", `{` + url + `,"secret":"your-webhook-secret"}`},
		}
		for _, tc := range bad {
			p := problem(t, h.do("POST", "/v1/tenants/default/endpoints", tc.body), http.StatusUnprocessableEntity, hookd.EINVALID)
			hasPointer(t, p, "/secret")
		}
		ep := h.createEndpoint("default", httpapi.EndpointInput{URL: h.recv.URL + "/s",
			Signature: &httpapi.Signature{Scheme: hookd.SchemeHMACSHA256, Header: "X-DataChonk-Signature", Prefix: "sha256="},
			Secret:    "first-own-secret-string"})
		if ep.SecretPrefix != "firs" {
			t.Errorf("secret prefix %q", ep.SecretPrefix)
		}
		if _, err := h.client.RotateSecretTo(ctx, "default", ep.ID, "bad"); hookd.ErrorCode(err) != hookd.EINVALID {
			t.Errorf("rotate to a short secret: %v", err)
		}
		if _, err := h.client.RotateSecretTo(ctx, "default", ep.ID, "second secret, 8+ bytes"); err != nil {
			t.Fatal(err)
		}
		p := problem(t, h.do("PATCH", "/v1/tenants/default/endpoints/"+ep.ID, `{"signature":{"scheme":"standard-webhooks"}}`),
			http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/signature/scheme")
		ev, err := h.client.Publish(ctx, "default", "a.b", json.RawMessage(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		got := h.waitAt(ev.ID, "/s", 1)[0]
		mac := hmac.New(sha256.New, []byte("second secret, 8+ bytes"))
		mac.Write(got.body)
		if sig := got.header.Get("X-DataChonk-Signature"); sig != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("signature %q is not keyed with the rotated secret", sig)
		}
	})
}

// TestDocsShowTemplate: /openapi.json and /docs document the house format
// of a server whose delivery.payload is a template.
func TestDocsShowTemplate(t *testing.T) {
	def := templateInput(t, dataChonkTemplate)
	h := newHarness(t, options{config: func(c *httpapi.Config) { c.DefaultPayload = def }})
	ctx := context.Background()
	if _, err := h.client.CreateEventType(ctx, httpapi.EventTypeInput{Name: "invoice.paid", Methods: []string{"POST", "HEAD"},
		Examples: []json.RawMessage{json.RawMessage(`{"amount":42}`)}}); err != nil {
		t.Fatal(err)
	}
	get := func(hd http.Handler, path string) []byte {
		rec := httptest.NewRecorder()
		hd.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	var doc struct {
		Webhooks map[string]map[string]struct {
			RequestBody *struct {
				Content map[string]struct {
					Schema   json.RawMessage            `json:"schema"`
					Examples map[string]json.RawMessage `json:"examples"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"webhooks"`
	}
	if err := json.Unmarshal(get(h.server.OpenAPIHandler(), "/openapi.json"), &doc); err != nil {
		t.Fatal(err)
	}
	ops := doc.Webhooks["invoice.paid"]
	if ops["head"].RequestBody != nil || ops["post"].RequestBody == nil {
		t.Fatalf("operations %+v", ops)
	}
	media := ops["post"].RequestBody.Content["application/json"]
	compact := func(raw json.RawMessage) string {
		var b bytes.Buffer
		_ = json.Compact(&b, raw)
		return b.String()
	}
	if !strings.Contains(compact(media.Schema), `"project_id":{"description":"The value of tenant.metadata.project_id; null when it is missing."}`) {
		t.Errorf("schema %s", media.Schema)
	}
	want := `{"value":{"id":"evt_2zJ8Y9x1bQm4cT7vN3kP0aWdLe","event":"invoice.paid","created_at":"2025-01-02T03:04:05.000Z","project_id":null,"data":{"amount":42}}}`
	if got := compact(media.Examples["example-1"]); got != want {
		t.Errorf("example %s\nwant    %s", got, want)
	}
	page := string(get(h.server.DocsHandler(), "/docs"))
	if !strings.Contains(page, "&#34;project_id&#34;: null") && !strings.Contains(page, `"project_id": null`) {
		t.Errorf("/docs does not show the rendered template")
	}
}

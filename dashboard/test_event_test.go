package dashboard_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookd/hookd/httpapi"
)

func TestSendTestEventOfAChosenType(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	b.signIn(h.key)
	id, _ := b.createEndpoint("default", h.recv.URL)
	testChosenTestEvent(t, h, b, id)
}

// testChosenTestEvent sends a test event of a catalog type from the
// endpoint page: the example is prefilled, edited data is sent, data the
// schema refuses is shown again with the API's pointers, and the outcome
// fragment reports the attempt.
func testChosenTestEvent(t *testing.T, h *harness, b *browser, id string) {
	t.Helper()
	if _, err := h.admin.CreateEventType(context.Background(), httpapi.EventTypeInput{Name: "invoice.paid",
		Schema:   json.RawMessage(`{"type":"object","required":["amount"],"properties":{"amount":{"type":"integer","minimum":1}}}`),
		Examples: []json.RawMessage{json.RawMessage(`{"amount":1200}`)}}); err != nil {
		t.Fatal(err)
	}
	base := "/ui/t/default/endpoints/" + id
	p := must(t, b.get(base), http.StatusOK)
	for _, want := range []string{`<label for="test-type">Event type</label>`, `<option value="webhook.test" selected>`,
		`<option value="invoice.paid">`, html.EscapeString(`"message": "hookd test event"`), ">Send test event<"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the endpoint page lacks %q", want)
		}
	}
	p = must(t, b.get(base+"?type=invoice.paid"), http.StatusOK)
	for _, want := range []string{`<option value="invoice.paid" selected>`, `name="event_type" value="invoice.paid"`,
		html.EscapeString(`"amount": 1200`)} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the page for ?type=invoice.paid lacks %q", want)
		}
	}
	bad := must(t, b.post(base+"/test", url.Values{"event_type": {"invoice.paid"}, "data": {`{"amount":0}`}}, true),
		http.StatusUnprocessableEntity)
	if !strings.Contains(bad.body, "<code>/data/amount</code>") || !strings.Contains(bad.body, html.EscapeString(`{"amount":0}`)) {
		t.Errorf("refused data: %s", bad.body)
	}
	notJSON := must(t, b.post(base+"/test", url.Values{"event_type": {"invoice.paid"}, "data": {`{amount`}}, true),
		http.StatusUnprocessableEntity)
	if !strings.Contains(notJSON.body, "<code>/data</code> must be JSON") {
		t.Errorf("data that is not JSON: %s", notJSON.body)
	}
	sent := must(t, b.post(base+"/test", url.Values{"event_type": {"invoice.paid"}, "data": {`{"amount": 77}`}}, true),
		http.StatusSeeOther)
	loc, err := url.Parse(sent.location)
	if err != nil || loc.Query().Get("test") == "" {
		t.Fatalf("Location = %q", sent.location)
	}
	evID := loc.Query().Get("test")
	page := must(t, b.get(sent.location), http.StatusOK)
	if !strings.Contains(page.body, `hx-get="`+base+`/tests/`+evID+`"`) || !strings.Contains(page.body, `href="/ui/t/default/events/`+evID+`"`) {
		t.Errorf("the page after sending has no outcome: %s", page.body)
	}
	waitFor(t, "the outcome to show the succeeded attempt", func() bool {
		f := b.get(base + "/tests/" + evID)
		return f.status == http.StatusOK && strings.Contains(f.body, `<span class="status succeeded">succeeded</span>`) &&
			strings.Contains(f.body, `<span class="code">200</span>`) && !strings.Contains(f.body, `hx-trigger="every 2s"`)
	})
	d, err := h.admin.GetEvent(context.Background(), "default", evID)
	if err != nil || d.Type != "invoice.paid" || string(d.Data) != `{"amount":77}` {
		t.Errorf("sent %+v, %v", d, err)
	}
	req, _ := http.NewRequest(http.MethodGet, h.ts.URL+base+"/tests/"+evID, nil)
	req.Header.Set("HX-Request", "true")
	if f := must(t, b.do(req), http.StatusOK); !strings.HasPrefix(strings.TrimSpace(f.body), `<div id="test-outcome"`) {
		t.Errorf("the htmx fragment is not the outcome alone: %s", f.body)
	}
	must(t, b.get(base+"/tests/evt_nope"), http.StatusNotFound)
}

package dashboard

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// testForm is the endpoint page's Send test event form: the event type
// chosen, and the data shown for it (the catalog's first example).
type testForm struct {
	Types []string // webhook.test, then the catalog's types
	Type  string
	Data  string
	Sent  string // the id of the test event just sent, "" for none
}

// testFormOf makes the form for the page: the type the query chooses
// (?type=, webhook.test by default) with its example, and ?test=, the
// event just sent.
func (u *UI) testFormOf(r *http.Request, v *viewer, ep *httpapi.Endpoint) (*testForm, error) {
	ts, _, err := v.api.ListEventTypes(r.Context(), httpapi.ListOptions{Limit: 250})
	if err != nil {
		return nil, err
	}
	f := &testForm{Types: []string{hookd.TestEventType}, Type: hookd.TestEventType, Sent: r.URL.Query().Get("test")}
	data := testData(ep.ID)
	want := r.URL.Query().Get("type")
	for _, t := range ts {
		f.Types = append(f.Types, t.Name)
		if t.Name == want {
			f.Type, data = t.Name, json.RawMessage("{}")
			if len(t.Examples) > 0 {
				data = t.Examples[0]
			}
		}
	}
	if !strings.HasPrefix(f.Sent, hookd.PrefixEvent) {
		f.Sent = ""
	}
	f.Data = prettyJSON(data)
	return f, nil
}

// testData is the data of a webhook.test event, as the engine sends it.
func testData(endpoint string) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"endpoint_id": endpoint, "message": "hookd test event"})
	return b
}

// sendTest sends a test event of the chosen type with the form's data;
// invalid data shows the page again with the API's pointers.
func (u *UI) sendTest(w http.ResponseWriter, r *http.Request, v *viewer) error {
	t, id := r.PathValue("tenant"), r.PathValue("id")
	in := httpapi.TestEventInput{EventType: r.PostFormValue("event_type")}
	var err error
	if raw := strings.TrimSpace(r.PostFormValue("data")); raw != "" {
		if !json.Valid([]byte(raw)) {
			err = &httpapi.Problem{Status: http.StatusUnprocessableEntity, Title: "Invalid test event",
				Detail: "the data is not JSON", Errors: []httpapi.FieldError{{Pointer: "/data", Message: "must be JSON"}}}
		}
		in.Data = json.RawMessage(raw)
	}
	var ev *httpapi.Event
	if err == nil {
		ev, err = v.api.SendTestEvent(r.Context(), t, id, in)
	}
	if err != nil {
		if p := u.problemOf(r, err); p.Status == http.StatusUnprocessableEntity {
			return u.testFailed(w, r, v, in, p)
		}
		return err
	}
	http.Redirect(w, r, tenantURL(t, "endpoints", id)+"?done=test&test="+ev.ID+"#test-outcome", http.StatusSeeOther)
	return nil
}

// testFailed shows the endpoint page again with the refused test event
// in its form and the problem above it.
func (u *UI) testFailed(w http.ResponseWriter, r *http.Request, v *viewer, in httpapi.TestEventInput, p *problem) error {
	vw, err := u.tenantView(r, v, "Endpoint", "endpoints")
	if err != nil {
		return err
	}
	d, err := u.loadEndpoint(r, v, vw)
	if err != nil {
		return err
	}
	if d.Test != nil {
		if slices.Contains(d.Test.Types, in.EventType) {
			d.Test.Type = in.EventType
		}
		d.Test.Data = string(in.Data)
	}
	vw.Title, vw.Data, vw.Problem = d.E.URL, d, p
	u.render(w, p.Status, "endpoint", vw)
	return nil
}

// testOutcome is the state of a test event's delivery to its endpoint.
type testOutcome struct {
	Tenant, Endpoint string
	Event            *httpapi.EventDetail
	Delivery         *httpapi.Delivery // nil when the event has none to the endpoint
}

// Pending reports whether the outcome is still to come.
func (o *testOutcome) Pending() bool { return o.Delivery == nil || o.Delivery.Status == "pending" }

// showTestOutcome answers the outcome of a test event: a fragment for
// htmx, which polls it while the delivery is pending, or a page.
func (u *UI) showTestOutcome(w http.ResponseWriter, r *http.Request, v *viewer) error {
	vw, err := u.tenantView(r, v, "Test event", "endpoints")
	if err != nil {
		return err
	}
	ev, err := v.api.GetEvent(r.Context(), vw.Tenant, r.PathValue("event"))
	if err != nil {
		return err
	}
	o := &testOutcome{Tenant: vw.Tenant, Endpoint: r.PathValue("id"), Event: ev}
	for i := range ev.Deliveries {
		if ev.Deliveries[i].EndpointID == o.Endpoint {
			o.Delivery = &ev.Deliveries[i]
		}
	}
	vw.Data = o
	if r.Header.Get("HX-Request") == "true" {
		u.renderTemplate(w, http.StatusOK, "test_outcome", "outcome", vw)
		return nil
	}
	u.render(w, http.StatusOK, "test_outcome", vw)
	return nil
}

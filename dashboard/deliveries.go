package dashboard

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

func (u *UI) deliveryRoutes() {
	m, base := u.mux, "/ui/t/{tenant}"
	m.Handle("GET "+base+"/deliveries", u.page(u.listDeliveries))
	m.Handle("GET "+base+"/deliveries/retry", u.page(u.confirmBulkRetry))
	m.Handle("POST "+base+"/deliveries/retry", u.action(hookd.CapRetry, u.startBulkRetry))
	m.Handle("GET "+base+"/retries/{id}", u.page(u.showRetryJob))
	m.Handle("GET "+base+"/events/{id}", u.page(u.showEvent))
	m.Handle("POST "+base+"/events/{id}/retry", u.action(hookd.CapRetry, u.retryEvent))
}

// deliveryStates are the states a filter may choose, in the API's words.
var deliveryStates = []string{"pending", "failed", "succeeded", "dead"}

// filterForm is the deliveries filter as the page's form carries it.
type filterForm struct {
	Status     []string
	EventType  string
	EndpointID string
	Since      string // datetime-local, UTC
	Until      string
	Live       bool
}

const localTime = "2006-01-02T15:04"

func readFilter(q url.Values) filterForm {
	return filterForm{Status: q["status"], EventType: strings.TrimSpace(q.Get("event_type")),
		EndpointID: strings.TrimSpace(q.Get("endpoint_id")), Since: q.Get("since"), Until: q.Get("until"),
		Live: q.Get("live") == "1"}
}

// api returns the API's filter; a malformed date is EINVALID.
func (f filterForm) api() (httpapi.DeliveryFilter, error) {
	out := httpapi.DeliveryFilter{EndpointID: f.EndpointID}
	for _, s := range f.Status {
		out.Status = append(out.Status, httpapi.DeliveryStatus(s))
	}
	if f.EventType != "" {
		out.EventType = []string{f.EventType}
	}
	for _, b := range []struct {
		label, text string
		dst         **time.Time
	}{{"From", f.Since, &out.Since}, {"To", f.Until, &out.Until}} {
		if b.text == "" {
			continue
		}
		t, err := time.ParseInLocation(localTime, b.text, time.UTC)
		if err != nil {
			return out, invalidField(b.label, "must be a date and time (UTC), such as 2026-01-31T09:00")
		}
		*b.dst = &t
	}
	return out, nil
}

// query is the filter as a URL query, so paging and links keep it.
func (f filterForm) query() url.Values {
	q := url.Values{}
	for _, s := range f.Status {
		q.Add("status", s)
	}
	for k, v := range map[string]string{"event_type": f.EventType, "endpoint_id": f.EndpointID, "since": f.Since, "until": f.Until} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Live {
		q.Set("live", "1")
	}
	return q
}

// With returns the filter's query with key set to value ("" removes it),
// encoded: safe to put after "?" in a URL.
func (f filterForm) With(key, value string) template.URL {
	q := f.query()
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	return template.URL(q.Encode()) // url.Values.Encode escapes every key and value
}

// Has reports whether the filter chose the state.
func (f filterForm) Has(state string) bool { return slices.Contains(f.Status, state) }

type deliveriesPage struct {
	Filter     filterForm
	States     []string
	Endpoints  []httpapi.Endpoint
	Deliveries []httpapi.Delivery
	Next       string
}

func (u *UI) listDeliveries(w http.ResponseWriter, r *http.Request, v *viewer) error {
	vw, err := u.tenantView(r, v, "Events", "deliveries")
	if err != nil {
		return err
	}
	d := &deliveriesPage{Filter: readFilter(r.URL.Query()), States: deliveryStates}
	vw.Data = d
	if d.Endpoints, _, err = v.api.ListEndpoints(r.Context(), vw.Tenant, httpapi.ListOptions{Limit: 250}); err != nil {
		return err
	}
	f, err := d.Filter.api()
	if err == nil {
		d.Deliveries, d.Next, err = v.api.ListDeliveries(r.Context(), vw.Tenant, httpapi.DeliveryListOptions{
			ListOptions: httpapi.ListOptions{Limit: 50, Cursor: r.URL.Query().Get("cursor")}, DeliveryFilter: f})
	}
	status := http.StatusOK
	if err != nil {
		if vw.Problem = u.problemOf(r, err); vw.Problem.Status >= 500 {
			return err
		}
		status = vw.Problem.Status
	}
	u.render(w, status, "deliveries", vw)
	return nil
}

// redacted are substrings of header names whose values a page never
// shows: credentials a custom header may carry.
var redacted = []string{"signature", "authorization", "cookie", "secret", "token", "password", "api-key", "apikey", "x-api"}

// Headers returns an attempt's request headers sorted by name, with the
// values of credential headers replaced.
func redactHeaders(h map[string]string) [][2]string {
	out := make([][2]string, 0, len(h))
	for k, v := range h {
		lk := strings.ToLower(k)
		if slices.ContainsFunc(redacted, func(s string) bool { return strings.Contains(lk, s) }) {
			v = "(redacted)"
		}
		out = append(out, [2]string{k, v})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

func (u *UI) showEvent(w http.ResponseWriter, r *http.Request, v *viewer) error {
	vw, err := u.tenantView(r, v, "Event", "deliveries")
	if err != nil {
		return err
	}
	ev, err := v.api.GetEvent(r.Context(), vw.Tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	retryable, live := false, false
	for _, d := range ev.Deliveries {
		retryable = retryable || d.Status == "failed" || d.Status == "dead"
		live = live || d.Status == "pending"
	}
	vw.Title = ev.Type + " " + ev.ID
	vw.Data = struct {
		E               *httpapi.EventDetail
		Data            string
		Sent            []sentRequest
		Retryable, Live bool
	}{ev, prettyJSON(ev.Data), sentRequests(ev), retryable, live}
	u.render(w, http.StatusOK, "event", vw)
	return nil
}

func (u *UI) retryEvent(w http.ResponseWriter, r *http.Request, v *viewer) error {
	t, id := r.PathValue("tenant"), r.PathValue("id")
	n, err := v.api.RetryEvent(r.Context(), t, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return &hookd.Error{Code: hookd.ECONFLICT, Message: "no delivery of this event is failed or dead: nothing to retry"}
	}
	http.Redirect(w, r, tenantURL(t, "events", id)+"?done=retried", http.StatusSeeOther)
	return nil
}

// sentRequest is what one delivery sends: its own stored request when it
// has one, otherwise the event's stored payload, byte for byte.
type sentRequest struct {
	Delivery    httpapi.Delivery
	Method      string
	ContentType string
	Body        string
	Headers     map[string]string // of the latest attempt; nil before the first
}

func sentRequests(ev *httpapi.EventDetail) []sentRequest {
	out := make([]sentRequest, len(ev.Deliveries))
	for i, d := range ev.Deliveries {
		s := sentRequest{Delivery: d, Method: "POST", ContentType: ev.ContentType, Body: ev.Payload}
		if rq := d.Request; rq != nil {
			if rq.Method != "" {
				s.Method = rq.Method
			}
			s.Body = requestBody(rq)
		}
		if len(d.Attempts) > 0 {
			s.Headers = d.Attempts[0].RequestHeaders
			if ct := s.Headers["Content-Type"]; ct != "" {
				s.ContentType = ct
			}
		}
		out[i] = s
	}
	return out
}

// requestBody is a delivery's own body as it goes on the wire: the API
// shows a body that is not JSON as a JSON string.
func requestBody(rq *httpapi.DeliveryRequest) string {
	var text string
	if len(rq.Body) > 0 && rq.Body[0] == '"' && json.Unmarshal(rq.Body, &text) == nil {
		return text
	}
	return string(rq.Body)
}

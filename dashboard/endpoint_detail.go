package dashboard

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// endpointDetail is what the endpoint page shows.
type endpointDetail struct {
	E          httpapi.Endpoint
	Deliveries []httpapi.Delivery
	Attempts   []httpapi.Attempt
	Health     []healthHour
	OK, Failed int
	Rate       string
	Live       bool      // a delivery is still under way: the list refreshes itself
	Test       *testForm // nil when the viewer cannot send tests
}

// healthHour is one cell of the 24-hour health strip.
type healthHour struct {
	Start     time.Time
	OK, Fails int
}

// Class is the cell's CSS class.
func (h healthHour) Class() string {
	switch {
	case h.OK == 0 && h.Fails == 0:
		return "none"
	case h.Fails == 0:
		return "ok"
	case h.OK == 0:
		return "fail"
	}
	return "mixed"
}

func (u *UI) loadEndpoint(r *http.Request, v *viewer, vw *view) (*endpointDetail, error) {
	ctx, t, id := r.Context(), vw.Tenant, r.PathValue("id")
	e, err := v.api.GetEndpoint(ctx, t, id)
	if err != nil {
		return nil, err
	}
	d := &endpointDetail{E: *e}
	if d.Deliveries, _, err = v.api.ListDeliveries(ctx, t, httpapi.DeliveryListOptions{
		ListOptions: httpapi.ListOptions{Limit: 25}, DeliveryFilter: httpapi.DeliveryFilter{EndpointID: id}}); err != nil {
		return nil, err
	}
	for _, dl := range d.Deliveries {
		d.Live = d.Live || dl.Status == "pending"
	}
	if d.Attempts, _, err = v.api.ListAttempts(ctx, t, id, httpapi.AttemptListOptions{ListOptions: httpapi.ListOptions{Limit: 250}}); err != nil {
		return nil, err
	}
	if v.Can(hookd.CapSendTests) {
		if d.Test, err = u.testFormOf(r, v, e); err != nil {
			return nil, err
		}
	}
	d.Rate = successRate(d.Attempts)
	d.Health, d.OK, d.Failed = health(d.Attempts, u.now())
	if len(d.Attempts) > 20 {
		d.Attempts = d.Attempts[:20]
	}
	return d, nil
}

func (u *UI) showEndpoint(w http.ResponseWriter, r *http.Request, v *viewer) error {
	vw, err := u.tenantView(r, v, "Endpoint", "endpoints")
	if err != nil {
		return err
	}
	d, err := u.loadEndpoint(r, v, vw)
	if err != nil {
		return err
	}
	vw.Title, vw.Data = d.E.URL, d
	u.render(w, http.StatusOK, "endpoint", vw)
	return nil
}

// successRate is the share of attempts answered 2xx, as a percentage.
func successRate(atts []httpapi.Attempt) string {
	if len(atts) == 0 {
		return "—"
	}
	ok := 0
	for _, a := range atts {
		if succeeded(a) {
			ok++
		}
	}
	return fmt.Sprintf("%.0f%%", 100*float64(ok)/float64(len(atts)))
}

func succeeded(a httpapi.Attempt) bool { return a.ResponseStatus >= 200 && a.ResponseStatus < 300 }

// health counts the attempts of the last 24 hours by hour, oldest first.
func health(atts []httpapi.Attempt, now time.Time) (hours []healthHour, ok, failed int) {
	start := now.Truncate(time.Hour).Add(-23 * time.Hour)
	hours = make([]healthHour, 24)
	for i := range hours {
		hours[i].Start = start.Add(time.Duration(i) * time.Hour)
	}
	for _, a := range atts {
		i := int(a.StartedAt.Sub(start) / time.Hour)
		if a.StartedAt.Before(start) || i >= 24 {
			continue
		}
		if succeeded(a) {
			hours[i].OK++
			ok++
		} else {
			hours[i].Fails++
			failed++
		}
	}
	return hours, ok, failed
}

func (u *UI) editEndpoint(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := v.need(hookd.CapManageEndpoints); err != nil {
		return err
	}
	e, err := v.api.GetEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	vw, err := u.endpointFormView(r, v, "Edit endpoint", endpointForm{})
	if err != nil {
		return err
	}
	vw.Data = formOf(e, vw.Data.(endpointForm).Catalog)
	u.render(w, http.StatusOK, "endpoint_form", vw)
	return nil
}

func (u *UI) updateEndpoint(w http.ResponseWriter, r *http.Request, v *viewer) error {
	t, id := r.PathValue("tenant"), r.PathValue("id")
	old, err := v.api.GetEndpoint(r.Context(), t, id)
	if err != nil {
		return err
	}
	f := readEndpointForm(r)
	f.ID = id
	in, err := f.input()
	if err == nil {
		if _, err = v.api.PatchEndpoint(r.Context(), t, id, patchOf(old, in)); err == nil {
			http.Redirect(w, r, tenantURL(t, "endpoints", id)+"?done=updated", http.StatusSeeOther)
			return nil
		}
	}
	return u.formFailed(w, r, v, "Edit endpoint", f, err)
}

func (u *UI) setEnabled(on bool) pageFunc {
	done := map[bool]string{true: "enabled", false: "disabled"}[on]
	return func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		t, id := r.PathValue("tenant"), r.PathValue("id")
		if _, err := v.api.PatchEndpoint(r.Context(), t, id, map[string]any{"enabled": on}); err != nil {
			return err
		}
		http.Redirect(w, r, tenantURL(t, "endpoints", id)+"?done="+done, http.StatusSeeOther)
		return nil
	}
}

func (u *UI) confirmDelete(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := v.need(hookd.CapManageEndpoints); err != nil {
		return err
	}
	vw, err := u.tenantView(r, v, "Delete endpoint", "endpoints")
	if err != nil {
		return err
	}
	e, err := v.api.GetEndpoint(r.Context(), vw.Tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	vw.Data = e
	u.render(w, http.StatusOK, "endpoint_delete", vw)
	return nil
}

func (u *UI) deleteEndpoint(w http.ResponseWriter, r *http.Request, v *viewer) error {
	t := r.PathValue("tenant")
	if err := v.api.DeleteEndpoint(r.Context(), t, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, tenantURL(t, "endpoints")+"?done=deleted", http.StatusSeeOther)
	return nil
}

func (u *UI) rotateSecret(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	s, err := v.api.RotateSecret(r.Context(), r.PathValue("tenant"), id)
	if err != nil {
		return err
	}
	return u.showSecret(w, r, v, id, s, "Secret rotated")
}

func (u *UI) revealSecret(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	s, err := v.api.RevealSecret(r.Context(), r.PathValue("tenant"), id)
	if err != nil {
		return err
	}
	return u.showSecret(w, r, v, id, s.Secret, "Endpoint secret")
}

func (u *UI) recoverEndpoint(w http.ResponseWriter, r *http.Request, v *viewer) error {
	t, id := r.PathValue("tenant"), r.PathValue("id")
	since, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(r.PostFormValue("since")), time.UTC)
	if err != nil {
		return invalidField("Recover failed since", "must be a date and time (UTC), such as 2026-01-31T09:00")
	}
	if _, err := v.api.RecoverEndpoint(r.Context(), t, id, since); err != nil {
		return err
	}
	http.Redirect(w, r, tenantURL(t, "endpoints", id)+"?done=recovered", http.StatusSeeOther)
	return nil
}

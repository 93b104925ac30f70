package dashboard

import (
	"net/http"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// retryOneRoutes are the retry of one delivery: a confirmation page, then
// the change.
func (u *UI) retryOneRoutes() {
	m, base := u.mux, "/ui/t/{tenant}/events/{id}/deliveries/{delivery}/retry"
	m.Handle("GET "+base, u.page(u.confirmRetryOne))
	m.Handle("POST "+base, u.action(hookd.CapRetry, u.retryOne))
}

// deliveryOf finds the event's delivery the path names.
func (u *UI) deliveryOf(r *http.Request, v *viewer, tenant string) (*httpapi.EventDetail, *httpapi.Delivery, error) {
	ev, err := v.api.GetEvent(r.Context(), tenant, r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	for i := range ev.Deliveries {
		if ev.Deliveries[i].ID == r.PathValue("delivery") {
			return ev, &ev.Deliveries[i], nil
		}
	}
	return nil, nil, &hookd.Error{Code: hookd.ENOTFOUND, Message: "event " + ev.ID + " has no delivery " + r.PathValue("delivery")}
}

// confirmRetryOne asks before a delivery is sent again; for a succeeded
// one it says that the receiver gets the same webhook a second time.
func (u *UI) confirmRetryOne(w http.ResponseWriter, r *http.Request, v *viewer) error {
	vw, err := u.tenantView(r, v, "Retry delivery", "deliveries")
	if err != nil {
		return err
	}
	if err := v.need(hookd.CapRetry); err != nil {
		return err
	}
	ev, d, err := u.deliveryOf(r, v, vw.Tenant)
	if err != nil {
		return err
	}
	vw.Data = struct {
		E *httpapi.EventDetail
		D *httpapi.Delivery
	}{ev, d}
	u.render(w, http.StatusOK, "retry_one", vw)
	return nil
}

// retryOne sends one delivery again, whatever its final state but
// cancelled; the API refuses a pending one, or one another node holds.
func (u *UI) retryOne(w http.ResponseWriter, r *http.Request, v *viewer) error {
	t := r.PathValue("tenant")
	ev, d, err := u.deliveryOf(r, v, t)
	if err != nil {
		return err
	}
	if _, err := v.api.RetryDelivery(r.Context(), t, ev.ID, d.EndpointID, true); err != nil {
		return err
	}
	http.Redirect(w, r, tenantURL(t, "events", ev.ID)+"?done=retried#"+d.ID, http.StatusSeeOther)
	return nil
}

package dashboard

import (
	"net/http"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

func (u *UI) endpointRoutes() {
	m, base := u.mux, "/ui/t/{tenant}/endpoints"
	m.Handle("GET "+base, u.page(u.listEndpoints))
	m.Handle("GET "+base+"/new", u.page(u.newEndpoint))
	m.Handle("POST "+base, u.action(hookd.CapManageEndpoints, u.createEndpoint))
	m.Handle("GET "+base+"/{id}", u.page(u.showEndpoint))
	m.Handle("GET "+base+"/{id}/edit", u.page(u.editEndpoint))
	m.Handle("POST "+base+"/{id}/edit", u.action(hookd.CapManageEndpoints, u.updateEndpoint))
	m.Handle("POST "+base+"/{id}/enable", u.action(hookd.CapManageEndpoints, u.setEnabled(true)))
	m.Handle("POST "+base+"/{id}/disable", u.action(hookd.CapManageEndpoints, u.setEnabled(false)))
	m.Handle("GET "+base+"/{id}/delete", u.page(u.confirmDelete))
	m.Handle("POST "+base+"/{id}/delete", u.action(hookd.CapManageEndpoints, u.deleteEndpoint))
	m.Handle("POST "+base+"/{id}/test", u.action(hookd.CapSendTests, u.sendTest))
	m.Handle("GET "+base+"/{id}/tests/{event}", u.page(u.showTestOutcome))
	m.Handle("POST "+base+"/{id}/rotate-secret", u.action(hookd.CapManageEndpoints, u.rotateSecret))
	m.Handle("POST "+base+"/{id}/reveal-secret", u.action(hookd.CapViewSecrets, u.revealSecret))
	m.Handle("POST "+base+"/{id}/recover", u.action(hookd.CapRetry, u.recoverEndpoint))
}

// tenantView starts the view of a tenant's page, checking that the tenant
// exists and the viewer reaches it (the API answers 404 otherwise).
func (u *UI) tenantView(r *http.Request, v *viewer, title, nav string) (*view, error) {
	t := r.PathValue("tenant")
	if _, err := v.api.GetTenant(r.Context(), t); err != nil {
		return nil, err
	}
	vw := &view{Title: title, V: v, Tenant: t, Nav: nav, Flash: flashes[r.URL.Query().Get("done")]}
	if v.Admin() {
		ts, _, err := v.api.ListTenants(r.Context(), httpapi.ListOptions{Limit: 250})
		if err != nil {
			return nil, err
		}
		for _, x := range ts {
			vw.Tenants = append(vw.Tenants, x.ID)
		}
	}
	return vw, nil
}

// flashes are the messages a redirect after a change may show, by code:
// a fixed list, so that no link can put words of its own on a page.
var flashes = map[string]string{
	"updated":   "Endpoint saved.",
	"enabled":   "Endpoint enabled.",
	"disabled":  "Endpoint disabled.",
	"deleted":   "Endpoint deleted.",
	"test":      "Test event sent: its delivery appears below.",
	"recovered": "Failed deliveries queued again.",
	"retried":   "Delivery queued again.",
	"revoked":   "API key revoked: every node refuses it within 2 seconds.",
	"replayed":  "Request replayed: it was routed again as a new request.",
	"saved":     "Event type saved.",
}

// endpointRow is one line of the endpoint list.
type endpointRow struct {
	httpapi.Endpoint
	Rate     string // success rate of recent attempts, "—" with none
	Attempts int
}

func (u *UI) listEndpoints(w http.ResponseWriter, r *http.Request, v *viewer) error {
	vw, err := u.tenantView(r, v, "Endpoints", "endpoints")
	if err != nil {
		return err
	}
	eps, next, err := v.api.ListEndpoints(r.Context(), vw.Tenant, httpapi.ListOptions{Limit: 50, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	rows := make([]endpointRow, len(eps))
	for i, e := range eps {
		atts, _, err := v.api.ListAttempts(r.Context(), vw.Tenant, e.ID, httpapi.AttemptListOptions{ListOptions: httpapi.ListOptions{Limit: 100}})
		if err != nil {
			return err
		}
		rows[i] = endpointRow{Endpoint: e, Rate: successRate(atts), Attempts: len(atts)}
	}
	vw.Data = struct {
		Rows []endpointRow
		Next string
	}{rows, next}
	u.render(w, http.StatusOK, "endpoints", vw)
	return nil
}

func (u *UI) endpointFormView(r *http.Request, v *viewer, title string, f endpointForm) (*view, error) {
	vw, err := u.tenantView(r, v, title, "endpoints")
	if err != nil {
		return nil, err
	}
	if f.Catalog, _, err = v.api.ListEventTypes(r.Context(), httpapi.ListOptions{Limit: 250}); err != nil {
		return nil, err
	}
	vw.Data = f
	return vw, nil
}

func (u *UI) newEndpoint(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := v.need(hookd.CapManageEndpoints); err != nil {
		return err
	}
	vw, err := u.endpointFormView(r, v, "New endpoint", endpointForm{Scheme: "standard-webhooks", Payload: "envelope"})
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "endpoint_form", vw)
	return nil
}

// formFailed shows the form again, as typed, with the problem.
func (u *UI) formFailed(w http.ResponseWriter, r *http.Request, v *viewer, title string, f endpointForm, cause error) error {
	p := u.problemOf(r, cause)
	if p.Status >= 500 {
		return cause
	}
	vw, err := u.endpointFormView(r, v, title, f)
	if err != nil {
		return err
	}
	vw.Problem = p
	u.render(w, p.Status, "endpoint_form", vw)
	return nil
}

func (u *UI) createEndpoint(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := readEndpointForm(r)
	in, err := f.input()
	if err == nil {
		var e *httpapi.Endpoint
		if e, err = v.api.CreateEndpoint(r.Context(), r.PathValue("tenant"), in); err == nil {
			return u.showSecret(w, r, v, e.ID, e.Secret, "Endpoint created")
		}
	}
	return u.formFailed(w, r, v, "New endpoint", f, err)
}

// showSecret shows a secret once, on the answer to the POST that made it:
// it is in no URL and no later page.
func (u *UI) showSecret(w http.ResponseWriter, r *http.Request, v *viewer, id, secret, title string) error {
	vw, err := u.tenantView(r, v, title, "endpoints")
	if err != nil {
		return err
	}
	vw.Data = struct{ ID, Secret string }{id, secret}
	u.render(w, http.StatusOK, "secret", vw)
	return nil
}

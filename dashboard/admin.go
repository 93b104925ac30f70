package dashboard

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// capAdmin marks the actions only a writing admin key may take (API keys,
// sources, the event catalog): never a tenant key or a portal.
const capAdmin = "admin"

func (u *UI) adminRoutes() {
	m, base := u.mux, "/ui/t/{tenant}"
	m.Handle("GET "+base+"/api-keys", u.page(u.adminOnly(u.listKeys)))
	m.Handle("POST "+base+"/api-keys", u.action(capAdmin, u.createKey))
	m.Handle("GET "+base+"/api-keys/{id}/revoke", u.page(u.adminOnly(u.confirmRevoke)))
	m.Handle("POST "+base+"/api-keys/{id}/revoke", u.action(capAdmin, u.revokeKey))
	m.Handle("GET "+base+"/sources", u.page(u.adminOnly(u.listSources)))
	m.Handle("GET "+base+"/sources/{id}", u.page(u.adminOnly(u.showSource)))
	m.Handle("POST "+base+"/sources/{id}/requests/{rid}/replay", u.action(capAdmin, u.replayRequest))
	u.eventTypeRoutes()
}

// adminOnly refuses pages of the whole installation to tenant keys and
// portals (the API would too).
func (u *UI) adminOnly(h pageFunc) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		if !v.Admin() {
			return &hookd.Error{Code: hookd.ENOTFOUND, Message: "there is no page at " + r.URL.Path}
		}
		return h(w, r, v)
	}
}

func (u *UI) listKeys(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return u.keysPage(w, r, v, "API keys", r.URL.Query().Get("cursor"), nil)
}

// keysPage renders the key list from cursor, with created (shown once) at
// the top when a key was just made.
func (u *UI) keysPage(w http.ResponseWriter, r *http.Request, v *viewer, title, cursor string, created *httpapi.APIKey) error {
	vw, err := u.tenantView(r, v, title, "api-keys")
	if err != nil {
		return err
	}
	keys, next, err := v.api.ListAPIKeys(r.Context(), httpapi.ListOptions{Limit: 100, Cursor: cursor})
	if err != nil {
		return err
	}
	vw.Data = struct {
		Keys []httpapi.APIKey
		Next string
		New  *httpapi.APIKey
	}{keys, next, created}
	u.render(w, http.StatusOK, "api_keys", vw)
	return nil
}

// createKey creates a key and shows it once, on the answer to the POST.
func (u *UI) createKey(w http.ResponseWriter, r *http.Request, v *viewer) error {
	in := httpapi.APIKeyInput{Name: strings.TrimSpace(r.PostFormValue("name")), Scope: r.PostFormValue("scope"),
		ReadOnly: r.PostFormValue("read_only") == "1"}
	if exp := strings.TrimSpace(r.PostFormValue("expires_at")); exp != "" {
		t, err := time.ParseInLocation(localTime, exp, time.UTC)
		if err != nil {
			return invalidField("Expires", "must be a date and time (UTC), such as 2026-01-31T09:00")
		}
		in.ExpiresAt = &t
	}
	k, err := v.api.CreateAPIKey(r.Context(), in)
	if err != nil {
		return err
	}
	return u.keysPage(w, r, v, "API key created", "", k)
}

func (u *UI) confirmRevoke(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := v.need(capAdmin); err != nil {
		return err
	}
	vw, err := u.tenantView(r, v, "Revoke API key", "api-keys")
	if err != nil {
		return err
	}
	k, err := v.api.GetAPIKey(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	vw.Data = k
	u.render(w, http.StatusOK, "api_key_revoke", vw)
	return nil
}

func (u *UI) revokeKey(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := v.api.RevokeAPIKey(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, tenantURL(r.PathValue("tenant"), "api-keys")+"?done=revoked", http.StatusSeeOther)
	return nil
}

func (u *UI) listSources(w http.ResponseWriter, r *http.Request, v *viewer) error {
	vw, err := u.tenantView(r, v, "Sources", "sources")
	if err != nil {
		return err
	}
	srcs, next, err := v.api.ListSources(r.Context(), httpapi.ListOptions{Limit: 100, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	vw.Data = struct {
		Sources []httpapi.Source
		Base    string
		Next    string
	}{srcs, inboundBase(r), next}
	u.render(w, http.StatusOK, "sources", vw)
	return nil
}

// inboundBase is where providers reach this hookd, as the browser sees
// it; a source's public_url, when set, says better.
func inboundBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/in/"
}

func (u *UI) showSource(w http.ResponseWriter, r *http.Request, v *viewer) error {
	vw, err := u.tenantView(r, v, "Source", "sources")
	if err != nil {
		return err
	}
	src, err := v.api.GetSource(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	reqs, next, err := v.api.ListRequests(r.Context(), src.ID, httpapi.RequestListOptions{
		ListOptions: httpapi.ListOptions{Limit: 50, Cursor: r.URL.Query().Get("cursor")}})
	if err != nil {
		return err
	}
	var spec struct {
		PublicURL string `json:"public_url"`
	}
	_ = json.Unmarshal(src.Spec, &spec) // a spec without public_url (or none) leaves it empty
	url := inboundBase(r) + src.ID
	if spec.PublicURL != "" {
		url = spec.PublicURL
	}
	vw.Title = "Source " + src.ID
	vw.Data = struct {
		S        *httpapi.Source
		URL      string
		Spec     string
		Requests []httpapi.Request
		Next     string
	}{src, url, prettyJSON(src.Spec), reqs, next}
	u.render(w, http.StatusOK, "source", vw)
	return nil
}

func (u *UI) replayRequest(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	if _, err := v.api.ReplayRequest(r.Context(), id, r.PathValue("rid")); err != nil {
		return err
	}
	http.Redirect(w, r, tenantURL(r.PathValue("tenant"), "sources", id)+"?done=replayed", http.StatusSeeOther)
	return nil
}

package dashboard

import (
	"net/http"
	"strings"

	"github.com/hookd/hookd"
)

// portalPage serves the page a portal link opens. The link's token is in
// the URL's fragment, which the browser never sends: the page's script
// (static/portal.js) reads it, removes it from the address bar and posts
// it with the form. Without JavaScript the page says so.
func (u *UI) portalPage(w http.ResponseWriter, r *http.Request) {
	token, err := randomToken()
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: token, Path: cookiePath, MaxAge: 600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	u.render(w, http.StatusOK, "portal", &view{Title: "Opening the portal", Data: token})
}

// openPortal redeems a portal link, once, and starts a session limited to
// its tenant and capabilities.
func (u *UI) openPortal(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	c, err := r.Cookie(signinCookie)
	if err != nil || checkCSRF(r, c.Value) != nil {
		u.portalFailed(w, r, http.StatusForbidden, "The page expired before the link was opened: open the link again.")
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("token"))
	if secret == "" {
		u.portalFailed(w, r, http.StatusUnprocessableEntity, "This address carries no portal link.")
		return
	}
	t, err := u.cfg.Portals.RedeemPortalToken(r.Context(), secret, u.now())
	if hookd.IsNotFound(err) {
		u.portalFailed(w, r, http.StatusNotFound, "This portal link is unknown, was used already or has expired: ask for a new one.")
		return
	}
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	if err := u.startSession(w, r, session{Tenant: t.TenantID, Caps: t.Capabilities, PortalID: t.ID}); err != nil {
		u.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Path: cookiePath, MaxAge: -1})
	http.Redirect(w, r, tenantURL(t.TenantID, "endpoints"), http.StatusSeeOther)
}

func (u *UI) portalFailed(w http.ResponseWriter, r *http.Request, status int, msg string) {
	u.render(w, status, "error", &view{Title: "Portal link",
		Problem: &problem{Status: status, Title: "The portal could not open", Detail: msg}})
}

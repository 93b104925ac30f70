package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// pageFunc serves a page for a signed-in viewer; an error it returns is
// shown as an error page, provided it wrote nothing yet.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *viewer) error

func (u *UI) routes() {
	m := u.mux
	m.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", u.staticHandler()))
	m.HandleFunc("GET /ui/{$}", u.home)
	m.HandleFunc("POST /ui/signin", u.signIn)
	m.Handle("POST /ui/signout", u.action("", u.signOut))
	if u.cfg.Portals != nil {
		m.HandleFunc("GET /ui/portal", u.portalPage)
		m.HandleFunc("POST /ui/portal", u.openPortal)
	}
	m.Handle("GET /ui/switch", u.page(u.switchTenant))
	u.endpointRoutes()
	u.deliveryRoutes()
	u.retryOneRoutes()
	u.adminRoutes()
	m.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		v, _ := u.viewerOf(r)
		u.fail(w, r, v, &hookd.Error{Code: hookd.ENOTFOUND, Message: "there is no page at " + r.URL.Path})
	})
}

// staticHandler serves the embedded assets; they change only with the
// binary, so browsers may keep them for an hour.
func (u *UI) staticHandler() http.Handler {
	files := http.FileServerFS(u.static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// page wraps a read: it needs a working session.
func (u *UI) page(h pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := u.viewerOf(r)
		if errors.Is(err, errSignedOut) {
			endSession(w, r)
			http.Redirect(w, r, "/ui/", http.StatusSeeOther)
			return
		}
		if err != nil {
			u.fail(w, r, nil, err)
			return
		}
		if err := h(w, r, v); err != nil {
			u.fail(w, r, v, err)
		}
	})
}

// action wraps a change: it needs a working session, the form's CSRF
// token and the capability (none for ""). A read-only key or a portal
// without the capability is refused here, and the API refuses read-only
// keys too.
func (u *UI) action(capability string, h pageFunc) http.Handler {
	return u.page(func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if err := checkCSRF(r, v.csrf); err != nil {
			return err
		}
		if err := v.need(capability); err != nil {
			return err
		}
		return h(w, r, v)
	})
}

// need refuses a viewer without the capability ("": none needed).
func (v *viewer) need(capability string) error {
	switch {
	case capability == "" || v.Can(capability):
		return nil
	case v.Portal():
		return &hookd.Error{Code: hookd.EFORBIDDEN, Message: "this portal link does not allow " + strings.ReplaceAll(capability, "_", " ")}
	case capability == capAdmin && !v.Admin():
		return &hookd.Error{Code: hookd.EFORBIDDEN, Message: "this needs an admin API key"}
	}
	return &hookd.Error{Code: hookd.EFORBIDDEN, Message: "this API key is read-only: it cannot change anything"}
}

// home shows the sign-in form, or sends a signed-in viewer to its
// tenant's endpoints.
func (u *UI) home(w http.ResponseWriter, r *http.Request) {
	v, err := u.viewerOf(r)
	switch {
	case err == nil:
		http.Redirect(w, r, tenantURL(homeTenant(v), "endpoints"), http.StatusSeeOther)
	case errors.Is(err, errSignedOut):
		endSession(w, r)
		u.signInForm(w, r, http.StatusOK, "")
	default:
		u.fail(w, r, nil, err)
	}
}

func homeTenant(v *viewer) string {
	if v.Tenant != "" {
		return v.Tenant
	}
	return "default"
}

// tenantURL is the URL of a tenant's page, such as
// tenantURL("acme", "endpoints", "ep_1").
func tenantURL(tenant string, parts ...string) string {
	var b strings.Builder
	b.WriteString("/ui/t/" + url.PathEscape(tenant))
	for _, p := range parts {
		b.WriteString("/" + url.PathEscape(p))
	}
	return b.String()
}

func (u *UI) signInForm(w http.ResponseWriter, r *http.Request, status int, msg string) {
	token, err := randomToken()
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: token, Path: cookiePath, MaxAge: 3600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	var p *problem
	if msg != "" {
		p = &problem{Status: status, Title: "Sign in failed", Detail: msg}
	}
	u.render(w, status, "signin", &view{Title: "Sign in", Problem: p, Data: token})
}

// signIn checks the key through the API's own verification and starts a
// session. The form's token must match its cookie (double submit), so
// no other site can sign a browser in with a key of its choosing.
func (u *UI) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	c, err := r.Cookie(signinCookie)
	if err != nil || checkCSRF(r, c.Value) != nil {
		u.signInForm(w, r, http.StatusForbidden, "The sign-in form expired: try again.")
		return
	}
	key := strings.TrimSpace(r.PostFormValue("api_key"))
	if key == "" {
		u.signInForm(w, r, http.StatusUnprocessableEntity, "Enter an API key.")
		return
	}
	caller, err := u.cfg.VerifyFunc(r.Context(), key)
	if hookd.ErrorCode(err) == hookd.EUNAUTHORIZED {
		u.signInForm(w, r, http.StatusUnauthorized, "This API key does not work: "+hookd.ErrorMessage(err))
		return
	}
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	if err := u.startSession(w, r, session{Key: key}); err != nil {
		u.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Path: cookiePath, MaxAge: -1})
	http.Redirect(w, r, tenantURL(homeTenant(&viewer{Caller: caller}), "endpoints"), http.StatusSeeOther)
}

func (u *UI) signOut(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	endSession(w, r)
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
	return nil
}

// switchTenant sends an admin to another tenant's endpoints.
func (u *UI) switchTenant(w http.ResponseWriter, r *http.Request, v *viewer) error {
	t := r.URL.Query().Get("tenant")
	if !hookd.ValidTenantID(t) {
		return &hookd.Error{Code: hookd.EINVALID, Message: "choose a tenant"}
	}
	if !v.Admin() && t != v.Tenant {
		return &hookd.Error{Code: hookd.ENOTFOUND, Message: "tenant " + t + " not found"}
	}
	http.Redirect(w, r, tenantURL(t, "endpoints"), http.StatusSeeOther)
	return nil
}

// tenants lists the tenants an admin may switch to (at most 250).
func (u *UI) tenants(r *http.Request, v *viewer) []string {
	if !v.Admin() {
		return nil
	}
	ts, _, err := v.api.ListTenants(r.Context(), httpapi.ListOptions{Limit: 250})
	if err != nil {
		return nil
	}
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

package dashboard

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// view is what every page template gets.
type view struct {
	Title   string
	V       *viewer // nil when signed out
	Tenant  string  // the tenant the page shows, "" when none
	Tenants []string
	Nav     string // the current nav entry
	Flash   string
	Problem *problem
	Data    any
}

// CSRF is the token every state-changing form carries.
func (v *viewer) CSRF() string { return v.csrf }

// problem is an error as a page shows it.
type problem struct {
	Status int
	Title  string
	Detail string
	Fields []httpapi.FieldError
}

var funcs = template.FuncMap{
	"when": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if t == nil || t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return ""
	},
	"join":    strings.Join,
	"headers": redactHeaders,
	"has": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
}

// parsePages parses each page template with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("dashboard: parse %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// render writes the page with status, or the named fragment of it when
// fragment is not "".
func (u *UI) render(w http.ResponseWriter, status int, page string, v *view) {
	u.renderTemplate(w, status, page, "layout", v)
}

func (u *UI) renderTemplate(w http.ResponseWriter, status int, page, name string, v *view) {
	var b bytes.Buffer
	t, ok := u.pages[page]
	if !ok {
		u.cfg.Logger.Error("dashboard: no such page", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&b, name, v); err != nil {
		u.cfg.Logger.Error("dashboard: render page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// problemOf turns err into what a page shows: the API's problem details
// as they are, other errors by their hookd code, internal ones without
// their cause (which is logged).
func (u *UI) problemOf(r *http.Request, err error) *problem {
	var p *httpapi.Problem
	if errors.As(err, &p) {
		return &problem{Status: p.Status, Title: p.Title, Detail: p.Detail, Fields: p.Errors}
	}
	var he *hookd.Error
	if errors.As(err, &he) {
		st := statusOf(he.Code)
		return &problem{Status: st, Title: http.StatusText(st), Detail: he.Message}
	}
	u.cfg.Logger.ErrorContext(r.Context(), "dashboard request failed", "path", r.URL.Path, "err", err)
	return &problem{Status: http.StatusInternalServerError, Title: "Internal error",
		Detail: "hookd could not answer this page; the error is in the server's log."}
}

func statusOf(code string) int {
	switch code {
	case hookd.EINVALID:
		return http.StatusUnprocessableEntity
	case hookd.ENOTFOUND:
		return http.StatusNotFound
	case hookd.EFORBIDDEN:
		return http.StatusForbidden
	case hookd.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case hookd.ECONFLICT:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// fail renders err as an error page.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	p := u.problemOf(r, err)
	u.render(w, p.Status, "error", &view{Title: p.Title, V: v, Tenant: r.PathValue("tenant"), Problem: p})
}

package httpapi

import (
	"net/http"
	"strings"

	"github.com/hookd/hookd"
)

// What a key reaches, by route:
//
//	route                                   admin  tenant:<t>            read_only
//	/v1/tenants/{tenant}/…  (any method)    yes    only {tenant} = t      GET/HEAD only
//	GET /v1/tenants/{tenant}                yes    only {tenant} = t      yes
//	GET /v1/event-types[/{name}]            yes    yes (the catalog)      yes
//	everything else (api-keys, sources,     yes    403                    GET/HEAD only
//	event type writes, tenant create, list
//	and delete, …)
//
// A tenant key naming another tenant gets the 404 of a tenant that does
// not exist, so that it learns nothing of other tenants. Routes are
// admin-only unless listed here: a new route is closed to tenant keys
// until it is classed.
type access int

const (
	accessAdmin   access = iota // admin keys only
	accessTenant                // the tenant in {tenant}
	accessCatalog               // any key: reading the event catalog
)

// routeAccess classes a route pattern such as "GET /v1/tenants/{tenant}".
func routeAccess(pattern string) access {
	method, path, _ := strings.Cut(pattern, " ")
	const tenant = "/v1/tenants/{tenant}"
	switch {
	case strings.HasPrefix(path, tenant+"/"):
		return accessTenant
	case path == tenant && method == http.MethodGet:
		return accessTenant
	case (path == "/v1/event-types" || strings.HasPrefix(path, "/v1/event-types/")) && method == http.MethodGet:
		return accessCatalog
	}
	return accessAdmin
}

// authorize refuses a request its key may not make: another tenant's
// resources (404), an admin route with a tenant key (403), a write with
// a read-only key (403).
func (s *Server) authorize(r *http.Request, pattern string) error {
	p := infoOf(r).caller
	if p.tenant != "" {
		switch routeAccess(pattern) {
		case accessTenant:
			if t := r.PathValue("tenant"); t != p.tenant {
				return errorf(hookd.ENOTFOUND, "tenant %q not found", t)
			}
		case accessAdmin:
			return errorf(hookd.EFORBIDDEN, "this API key is limited to tenant %q; %s %s needs an admin key",
				p.tenant, r.Method, r.URL.Path)
		}
	}
	if p.readOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return errorf(hookd.EFORBIDDEN, "this API key is read-only: %s is not allowed", r.Method)
	}
	return nil
}

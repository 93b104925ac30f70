package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/hookd/hookd"
)

func (s *Server) tenantRoutes() {
	s.handle("GET /v1/tenants", s.listTenants)
	s.handle("PUT /v1/tenants/{tenant}", s.putTenant)
	s.handle("GET /v1/tenants/{tenant}", s.getTenant)
	s.handle("DELETE /v1/tenants/{tenant}", s.deleteTenant)
}

func tenantOut(t *hookd.Tenant) Tenant {
	return Tenant{ID: t.ID, Metadata: t.Metadata, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

func tenantPath(id string) string { return "/v1/tenants/" + url.PathEscape(id) }

// putTenant creates the tenant (201) or updates it (200). The body is
// optional: without "metadata" an existing tenant keeps its metadata,
// "metadata": null clears it.
func (s *Server) putTenant(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("tenant")
	var in TenantInput
	if err := decodeBody(r, &in, false); err != nil {
		return err
	}
	t := &hookd.Tenant{ID: id, Metadata: nullToNil(in.Metadata)}
	if err := repoint(t.Validate(), "/id", "/path/tenant"); err != nil {
		return err
	}
	if in.Metadata == nil {
		old, err := s.store.GetTenant(r.Context(), id)
		switch {
		case err == nil:
			t.Metadata = old.Metadata
		case !hookd.IsNotFound(err):
			return err
		}
	}
	isNew, err := s.store.PutTenant(r.Context(), t)
	if err != nil {
		return err
	}
	s.engine.Invalidate()
	if isNew {
		return created(w, tenantPath(id), tenantOut(t))
	}
	return writeJSON(w, http.StatusOK, tenantOut(t))
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := s.store.GetTenant(r.Context(), r.PathValue("tenant"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, tenantOut(t))
}

// deleteTenant deletes a tenant with its endpoints and events; the default
// tenant stays (422).
func (s *Server) deleteTenant(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("tenant")
	if id == hookd.DefaultTenant {
		return invalid("/path/tenant", "the default tenant cannot be deleted")
	}
	if err := s.store.DeleteTenant(r.Context(), id); err != nil {
		return err
	}
	s.engine.Invalidate()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ts, next, err := s.store.ListTenants(r.Context(), p)
	if err != nil {
		return listError(err)
	}
	return writeJSON(w, http.StatusOK, mapList(ts, next, tenantOut))
}

// nullToNil returns nil for an absent or null JSON value.
func nullToNil(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	return raw
}

// repoint moves field errors of err from pointer from to pointer to, for
// values the request carries elsewhere than the record says (a path).
func repoint(err error, from, to string) error {
	fields := hookd.ErrorFields(err)
	if len(fields) == 0 {
		return err
	}
	out := make([]hookd.FieldError, len(fields))
	for i, f := range fields {
		if f.Pointer == from {
			f.Pointer = to
		}
		out[i] = f
	}
	return &hookd.Error{Code: hookd.ErrorCode(err), Message: hookd.ErrorMessage(err), Fields: out}
}

package httpapi

import (
	"net/http"
	"net/url"

	"github.com/hookd/hookd"
)

func (s *Server) apiKeyRoutes() {
	s.handle("POST /v1/api-keys", s.idempotent(s.createAPIKey))
	s.handle("GET /v1/api-keys", s.listAPIKeys)
	s.handle("GET /v1/api-keys/{id}", s.getAPIKey)
	s.handle("DELETE /v1/api-keys/{id}", s.deleteAPIKey)
	s.handle("POST /v1/tenants/{tenant}/endpoints/{id}/secret/reveal", s.revealSecret)
}

func apiKeyPath(id string) string { return "/v1/api-keys/" + url.PathEscape(id) }

func apiKeyOut(k *hookd.APIKey) APIKey {
	return APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scope: k.Scope, ReadOnly: k.ReadOnly,
		ExpiresAt: optTime(k.ExpiresAt), CreatedAt: k.CreatedAt, LastUsedAt: optTime(k.LastUsedAt)}
}

// createAPIKey makes a key and shows it, once (201).
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var in APIKeyInput
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	k := &hookd.APIKey{Name: in.Name, Scope: in.Scope, ReadOnly: in.ReadOnly}
	if in.ExpiresAt != nil {
		if !in.ExpiresAt.After(s.now()) {
			return invalid("/expires_at", "must be in the future")
		}
		k.ExpiresAt = in.ExpiresAt.UTC()
	}
	if err := k.Validate(); err != nil {
		return err
	}
	if t := k.TenantID(); t != "" {
		if _, err := s.store.GetTenant(r.Context(), t); hookd.IsNotFound(err) {
			return invalid("/scope", "tenant "+t+" does not exist")
		} else if err != nil {
			return err
		}
	}
	key, stored, err := CreateAPIKey(r.Context(), s.store, k)
	if err != nil {
		return err
	}
	s.logKeyChange(r, hookd.LogActionCreated, stored)
	out := apiKeyOut(stored)
	out.Key = key
	return created(w, apiKeyPath(stored.ID), out)
}

// listAPIKeys lists the stored keys, newest first, never the keys
// themselves. The configured bootstrap key is in no store and not listed.
func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	after, err := p.After()
	if err != nil {
		return invalid("/query/cursor", "is not a cursor of this listing")
	}
	all, err := s.store.ListAPIKeys(r.Context())
	if err != nil {
		return err
	}
	start := 0
	for after != "" && start < len(all) && all[start].ID >= after {
		start++
	}
	keys, next := hookd.NextPage(all[start:], p.Size(), func(k *hookd.APIKey) string { return k.ID })
	return writeJSON(w, http.StatusOK, mapList(keys, next, apiKeyOut))
}

func (s *Server) getAPIKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.store.GetAPIKey(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiKeyOut(k))
}

// deleteAPIKey revokes a key: at once on this node, within keyCacheTTL
// on the others.
func (s *Server) deleteAPIKey(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	k, err := s.store.GetAPIKey(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAPIKey(r.Context(), id); err != nil {
		return err
	}
	s.keys.forget(id)
	s.logKeyChange(r, hookd.LogActionRevoked, k)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revealSecret shows an endpoint's secrets, for a dashboard: to an admin
// key or the tenant's own key, never a read-only one (see authorize).
func (s *Server) revealSecret(w http.ResponseWriter, r *http.Request) error {
	e, err := s.store.GetEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	active := e.ActiveSecrets(s.now())
	if len(active) == 0 {
		return errorf(hookd.ENOTFOUND, "endpoint %q has no active secret: rotate it", e.ID)
	}
	s.logSecretChange(r, hookd.LogActionRevealed, e.TenantID, e.ID)
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, RevealedSecret{Secret: active[0], Secrets: active})
}

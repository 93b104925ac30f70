package httpapi

import (
	"context"
	"fmt"
	"net/http"
)

// Caller is who an API key acts as.
type Caller struct {
	KeyID string
	// Tenant is the tenant of a tenant-scoped key, "" for an admin key.
	Tenant   string
	ReadOnly bool
}

// Verify checks key exactly as the API checks "Authorization: Bearer
// key" (the bootstrap key in constant time, other keys through the store
// and the key cache, expiry and revocation) and returns who it acts as.
// A key that does not work is an EUNAUTHORIZED error; a store failure
// fails closed with another error.
func (s *Server) Verify(ctx context.Context, key string) (Caller, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "/v1", nil)
	if err != nil {
		return Caller{}, fmt.Errorf("verify api key: %w", err)
	}
	r.Header.Set("Authorization", "Bearer "+key)
	p, err := s.authenticate(r)
	if err != nil {
		return Caller{}, err
	}
	return Caller{KeyID: p.keyID, Tenant: p.tenant, ReadOnly: p.readOnly}, nil
}

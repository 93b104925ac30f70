package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/hookd/hookd"
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

type callerKey struct{}

// WithCaller returns a context whose requests the Handler serves as c,
// without an API key: for a caller in the same process that
// authenticated its user by other means (the dashboard's consumer portal
// sessions, which are limited to one tenant). It cannot be set from
// outside the process. c.Tenant must name a tenant: the Handler refuses
// a caller without one (an admin acts only with a key).
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// callerOf returns the caller WithCaller put in ctx.
func callerOf(ctx context.Context) (principal, bool, error) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	if !ok {
		return principal{}, false, nil
	}
	if c.Tenant == "" {
		return principal{}, true, errorf(hookd.EUNAUTHORIZED, "an in-process caller must be limited to a tenant")
	}
	return principal{keyID: c.KeyID, tenant: c.Tenant, readOnly: c.ReadOnly}, true, nil
}

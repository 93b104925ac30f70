package hookd

import (
	"strings"
	"time"
	"unicode/utf8"
)

// API key scopes: ScopeAdmin reaches everything; TenantScope(id) reaches
// only that tenant's resources (and reads of the event catalog).
const (
	ScopeAdmin        = "admin"
	scopeTenantPrefix = "tenant:"
)

// TenantScope returns the scope of a key limited to one tenant.
func TenantScope(tenantID string) string { return scopeTenantPrefix + tenantID }

// APIKey is a credential for the REST API. The key itself is shown once,
// when it is created; only its keyed hash is kept.
type APIKey struct {
	ID   string
	Name string
	// Prefix is the beginning of the key, kept in clear to recognise it.
	Prefix string
	// Scope is ScopeAdmin or TenantScope(id).
	Scope string
	// ReadOnly keys may only GET (and HEAD).
	ReadOnly bool
	// ExpiresAt, when not zero, is when the key stops working.
	ExpiresAt  time.Time
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}

// TenantID returns the tenant of a tenant-scoped key, "" for an admin key.
func (k *APIKey) TenantID() string {
	id, _ := strings.CutPrefix(k.Scope, scopeTenantPrefix)
	if id == k.Scope {
		return ""
	}
	return id
}

// Expired reports whether the key no longer works at now.
func (k *APIKey) Expired(now time.Time) bool {
	return !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt)
}

// Validate checks the key's own fields.
func (k *APIKey) Validate() error {
	var fe fieldErrors
	if n := utf8.RuneCountInString(k.Name); n == 0 || n > 100 || !utf8.ValidString(k.Name) {
		fe.add("/name", "must be 1 to 100 characters")
	}
	if k.Scope != ScopeAdmin && !ValidTenantID(k.TenantID()) {
		fe.add("/scope", `must be "admin" or "tenant:<tenant id>"`)
	}
	return fe.err("api key")
}

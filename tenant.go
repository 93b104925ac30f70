package hookd

import (
	"encoding/json"
	"regexp"
	"time"
)

// Tenant owns endpoints and events: a customer of the producer. Its ID is
// chosen by the producer. The tenant DefaultTenant always exists.
type Tenant struct {
	ID        string
	Metadata  json.RawMessage // a JSON object, or nil
	CreatedAt time.Time
	UpdatedAt time.Time
}

var tenantIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// ValidTenantID reports whether id can name a tenant: 1 to 128 characters
// among letters, digits and "_.:-".
func ValidTenantID(id string) bool { return tenantIDPattern.MatchString(id) }

// Validate checks the tenant's fields.
func (t *Tenant) Validate() error {
	var fe fieldErrors
	if !ValidTenantID(t.ID) {
		fe.add("/id", "must be 1 to 128 letters, digits or _.:-")
	}
	if len(t.Metadata) > 0 && !isJSONObject(t.Metadata) {
		fe.add("/metadata", "must be a JSON object")
	}
	return fe.err("tenant")
}

// isJSONObject reports whether b is a valid JSON object.
func isJSONObject(b []byte) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m != nil
}

// TenantNotFound is the ENOTFOUND of a missing tenant. Its message says
// how to create one, since a new user meets it when publishing to a
// tenant nobody created yet.
func TenantNotFound(id string) *Error {
	if !ValidTenantID(id) {
		return Errorf(ENOTFOUND, "tenant %q not found", id)
	}
	return Errorf(ENOTFOUND, "tenant %q not found: create it with PUT /v1/tenants/%s (or `hookd tenants create %s`)", id, id, id)
}

package httpapi

import "time"

// APIKey is an API key as the API shows it. Key, the key itself, is set
// only in the response that created it: only its keyed hash is kept.
// ExpiresAt is null for a key that does not expire, LastUsedAt null for
// a key never used (it is written at most once a minute per node).
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scope      string     `json:"scope"`
	ReadOnly   bool       `json:"read_only"`
	ExpiresAt  *time.Time `json:"expires_at"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Key        string     `json:"key,omitempty"`
}

// APIKeyInput creates an API key. Scope is "admin" or "tenant:<id>" of a
// tenant that exists; ExpiresAt, when set, must be in the future.
type APIKeyInput struct {
	Name      string     `json:"name"`
	Scope     string     `json:"scope"`
	ReadOnly  bool       `json:"read_only,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// RevealedSecret is the answer of reveal: the endpoint's newest secret,
// and every secret that signs deliveries now, newest first.
type RevealedSecret struct {
	Secret  string   `json:"secret"`
	Secrets []string `json:"secrets"`
}

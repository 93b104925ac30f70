package hookd

import (
	"context"
	"iter"
	"time"
)

// Kind names one kind of row a store keeps, for copies between stores
// (hookd copy). Its value is the name of the table that holds it in both
// stores' schemas.
type Kind string

// The kinds of rows a copy moves.
const (
	KindTenants         Kind = "tenants"
	KindEventTypes      Kind = "event_types"
	KindStoreSecrets    Kind = "store_secrets"
	KindAPIKeys         Kind = "api_keys"
	KindPortalTokens    Kind = "portal_tokens"
	KindEndpoints       Kind = "endpoints"
	KindSources         Kind = "sources"
	KindRetryJobs       Kind = "retry_jobs"
	KindEvents          Kind = "events"
	KindDeliveries      Kind = "deliveries"
	KindAttempts        Kind = "attempts"
	KindIdempotencyKeys Kind = "idempotency_keys"
	KindRequests        Kind = "requests"
)

// Kinds lists every kind, in the order a copy writes them: a row comes
// after the rows it names (endpoints after their tenant, deliveries after
// their event).
func Kinds() []Kind {
	return []Kind{KindTenants, KindEventTypes, KindStoreSecrets, KindAPIKeys, KindPortalTokens,
		KindEndpoints, KindSources, KindRetryJobs, KindEvents, KindDeliveries, KindAttempts,
		KindIdempotencyKeys, KindRequests}
}

// Records holds rows of any kinds, as Exporter reads them and Importer
// writes them: every field as stored (ids, times, states, leases), and
// secrets in clear, so that the store that imports them seals them under
// its own master key.
type Records struct {
	Tenants         []*Tenant
	EventTypes      []*EventType
	StoreSecrets    []*StoreSecret
	APIKeys         []*APIKeyRecord
	PortalTokens    []*PortalTokenRecord
	Endpoints       []*Endpoint
	Sources         []*Source
	RetryJobs       []*RetryJob
	Events          []*Event
	Deliveries      []*Delivery
	Attempts        []*Attempt
	IdempotencyKeys []*IdempotencyKey
	Requests        []*Request
}

// Count returns the number of rows of kind k that r holds.
func (r *Records) Count(k Kind) int {
	switch k {
	case KindTenants:
		return len(r.Tenants)
	case KindEventTypes:
		return len(r.EventTypes)
	case KindStoreSecrets:
		return len(r.StoreSecrets)
	case KindAPIKeys:
		return len(r.APIKeys)
	case KindPortalTokens:
		return len(r.PortalTokens)
	case KindEndpoints:
		return len(r.Endpoints)
	case KindSources:
		return len(r.Sources)
	case KindRetryJobs:
		return len(r.RetryJobs)
	case KindEvents:
		return len(r.Events)
	case KindDeliveries:
		return len(r.Deliveries)
	case KindAttempts:
		return len(r.Attempts)
	case KindIdempotencyKeys:
		return len(r.IdempotencyKeys)
	case KindRequests:
		return len(r.Requests)
	}
	return 0
}

// StoreSecret is a secret of the store itself (the API-key hashing key),
// in clear.
type StoreSecret struct {
	Name      string
	Value     []byte
	CreatedAt time.Time
}

// APIKeyRecord is an API key as stored: its keyed hash under the store's
// hashing key (a StoreSecret), and Legacy when the hash is the bare
// SHA-256 an earlier version kept.
type APIKeyRecord struct {
	APIKey
	Hash   []byte
	Legacy bool
}

// PortalTokenRecord is a portal token as stored, with the keyed hash of
// its secret.
type PortalTokenRecord struct {
	PortalToken
	Hash []byte
}

// Exporter reads a whole store, kind by kind, for a copy into another one.
// The store should not be written meanwhile: pages are read one after
// another, not in one snapshot.
type Exporter interface {
	// Export yields the rows of kind in pages of at most size rows (a
	// Records holding that kind only), in the order of their keys, then
	// stops; an error ends the sequence. No more than one page is held in
	// memory at a time.
	Export(ctx context.Context, kind Kind, size int) iter.Seq2[*Records, error]
	// Count returns how many rows of kind the store holds.
	Count(ctx context.Context, kind Kind) (int64, error)
}

// Importer writes rows read by an Exporter into a store, as they are.
// It is meant for a store that nothing else uses meanwhile.
type Importer interface {
	// Import writes r in one transaction, kinds in the order of Kinds:
	// all of it or, with an error, none. Tenants and store secrets
	// replace a row with the same key (the default tenant and the
	// hashing key exist in every store); any other row whose key exists
	// is ECONFLICT. Secrets are sealed under the store's master key, and
	// a hashing key imported replaces the store's own at once.
	Import(ctx context.Context, r *Records) error
	// Count returns how many rows of kind the store holds.
	Count(ctx context.Context, kind Kind) (int64, error)
	// Clear deletes every row of every kind but the default tenant and the
	// store secrets, which an import replaces.
	Clear(ctx context.Context) error
}

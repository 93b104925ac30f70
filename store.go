package hookd

import (
	"context"
	"encoding/base64"
	"time"
	"unicode/utf8"
)

// Store is the durable state of hookd. Implementations: store/sqlite (the
// embedded default) and store/postgres (several nodes on one database).
// Both pass store/storetest.
//
// All methods are safe for concurrent use. Lookups of a missing row return
// an error with code ENOTFOUND; writes that collide with an existing row
// return ECONFLICT. Every write is durable (committed and synced) when the
// method returns nil.
type Store interface {
	TenantStore
	EventTypeStore
	EndpointStore
	EventStore
	LeaseStore
	SourceStore
	APIKeyStore
	SecretStore
	RetryJobStore
	PortalTokenStore
	ReplyStore
	StatsStore

	// ChangeSeq returns a number that grows whenever a tenant, event type,
	// endpoint or source changes, so that nodes can cheaply notice changes
	// made through another node and reload their caches.
	ChangeSeq(ctx context.Context) (int64, error)

	// Purge deletes what is older than the given times: events whose
	// deliveries have all ended (succeeded or dead) with their deliveries and
	// attempts, and bulk retries that ended (EventsBefore); inbound
	// requests; and idempotency keys. A zero time skips
	// that kind. It returns how many rows it deleted.
	Purge(ctx context.Context, p Purge) (int64, error)

	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	// Close releases the store. It does not wait for callers in flight.
	Close() error
}

// Purge says what Store.Purge deletes.
type Purge struct {
	EventsBefore   time.Time
	RequestsBefore time.Time
	KeysBefore     time.Time
}

// Page selects one page of a listing. Listings are newest first. Cursor is
// the NextCursor of the previous page, "" for the first.
type Page struct {
	Limit  int // 0 means DefaultPageLimit; above MaxPageLimit is clamped
	Cursor string
}

// After returns the id the page's cursor resumes a listing after, "" for
// the first page. A cursor that NextPage did not make is EINVALID.
func (p Page) After() (string, error) {
	if p.Cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
	if err != nil || len(b) == 0 || !utf8.Valid(b) {
		return "", Errorf(EINVALID, "invalid cursor")
	}
	return string(b), nil
}

// NextPage trims a listing fetched with one item more than the page size,
// and returns the opaque cursor of the next page, "" at the end.
func NextPage[T any](items []T, size int, id func(T) string) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	items = items[:size]
	return items, base64.RawURLEncoding.EncodeToString([]byte(id(items[size-1])))
}

// Pagination limits.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 250
)

// Size returns the effective limit.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}

// TenantStore keeps tenants.
type TenantStore interface {
	// PutTenant creates the tenant or replaces its metadata, and reports
	// whether it was created. CreatedAt and UpdatedAt are set on t.
	PutTenant(ctx context.Context, t *Tenant) (created bool, err error)
	GetTenant(ctx context.Context, id string) (*Tenant, error)
	// ListTenants lists tenants by id, in descending order.
	ListTenants(ctx context.Context, p Page) ([]*Tenant, string, error)
	// DeleteTenant deletes the tenant with its endpoints, events,
	// deliveries and attempts. The default tenant cannot be deleted
	// (EINVALID).
	DeleteTenant(ctx context.Context, id string) error
}

// EventTypeStore keeps the event catalog.
type EventTypeStore interface {
	// CreateEventType fails with ECONFLICT when the name exists.
	CreateEventType(ctx context.Context, t *EventType) error
	// PutEventType creates or replaces an event type (used for the types
	// declared in configuration).
	PutEventType(ctx context.Context, t *EventType) error
	GetEventType(ctx context.Context, name string) (*EventType, error)
	// ListEventTypes lists every event type by name, ascending.
	ListEventTypes(ctx context.Context) ([]*EventType, error)
	UpdateEventType(ctx context.Context, t *EventType) error
	DeleteEventType(ctx context.Context, name string) error
}

// EndpointStore keeps endpoints with their secrets.
type EndpointStore interface {
	// CreateEndpoint fails with ENOTFOUND when the tenant does not exist.
	CreateEndpoint(ctx context.Context, e *Endpoint) error
	GetEndpoint(ctx context.Context, tenantID, id string) (*Endpoint, error)
	// ListEndpoints lists a tenant's endpoints, newest first.
	ListEndpoints(ctx context.Context, tenantID string, p Page) ([]*Endpoint, string, error)
	// AllEndpoints returns every endpoint of every tenant, for the engine's
	// routing cache.
	AllEndpoints(ctx context.Context) ([]*Endpoint, error)
	// UpdateEndpoint replaces every field but ID, TenantID, CreatedAt and
	// FailingSince, and sets UpdatedAt. FailingSince belongs to the engine
	// (SetEndpointHealth): an update writes it only when it enables a
	// disabled endpoint, which starts a new run. Unless e.UpdatedAt is
	// zero, the update applies only to the endpoint as it was read, and
	// fails with Stale when it changed since (through the API or the
	// engine disabling it), so that a read-modify-write never undoes
	// another change.
	UpdateEndpoint(ctx context.Context, e *Endpoint) error
	// SetEndpointHealth writes the fields the engine owns, leaving the
	// others as they are, so it cannot undo a concurrent update made
	// through the API.
	SetEndpointHealth(ctx context.Context, tenantID, id string, h EndpointHealth) error
	DeleteEndpoint(ctx context.Context, tenantID, id string) error
}

// EndpointHealth is the engine's view of an endpoint.
type EndpointHealth struct {
	// FailingSince is the start of the current run of failures; zero when
	// the last attempt succeeded.
	FailingSince time.Time
	// Disable turns the endpoint off with DisabledReason.
	Disable        bool
	DisabledReason string
	// Announce, with Disable, is an event (endpoint.disabled) stored in
	// the same transaction as the disable: both are written or neither.
	// Its idempotency key is ignored. With Announce, an endpoint already
	// disabled is left as it is and Announce is not stored (another node
	// or the API disabled it first): SetEndpointHealth then sets
	// Announce.Duplicate and returns nil. Nil: none.
	Announce *EventWrite
}

// EventStore keeps events, deliveries, attempts and idempotency keys.
type EventStore interface {
	// Commit writes the batch in one transaction: it is all written or,
	// with an error, none of it. A write whose idempotency key is held by a
	// live record (created after Batch.KeysAfter) is skipped and marked
	// Duplicate; the rest is written.
	Commit(ctx context.Context, b *Batch) error

	GetEvent(ctx context.Context, tenantID, id string) (*Event, error)
	ListEvents(ctx context.Context, f EventFilter) ([]*Event, string, error)
	GetDelivery(ctx context.Context, id string) (*Delivery, error)
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, string, error)
	// CountDeliveries counts the deliveries f selects; f.Page is ignored.
	CountDeliveries(ctx context.Context, f DeliveryFilter) (int64, error)
	ListAttempts(ctx context.Context, f AttemptFilter) ([]*Attempt, string, error)
	// GetIdempotencyKey returns the live key, or ENOTFOUND when there is
	// none created after notBefore.
	GetIdempotencyKey(ctx context.Context, scope, key string, notBefore time.Time) (*IdempotencyKey, error)
}

// ReplyStore keeps the replies of API requests sent with an
// Idempotency-Key, so that a repeat reaching any node, or a node started
// again, gets the first reply. A ReplyKey is kept with the publish and
// de-duplication keys (see IdempotencyKey) in a scope of its own, and is
// purged with them (Purge.KeysBefore).
type ReplyStore interface {
	// TakeReplyKey reserves k.Key within k.Scope for a request about to
	// run and reports taken. CreatedAt is stored at the store's precision
	// and set so on k: with Scope and Key it names the reservation for
	// KeepReply and DropReplyKey. When a live record holds the key, one
	// created after lapsed that is finished or was reserved after
	// abandoned, nothing changes and that record comes back (its Reply
	// is nil while its request runs). A lapsed or abandoned record is
	// replaced. Concurrent calls for one key reserve it at most once.
	TakeReplyKey(ctx context.Context, k *ReplyKey, lapsed, abandoned time.Time) (held *ReplyKey, taken bool, err error)
	// KeepReply stores reply as the answer of the request that reserved
	// k, sealed at rest: a reply may carry a secret (a new API key or
	// endpoint secret). It is ENOTFOUND when that reservation no longer
	// holds the key (it was abandoned and taken over, or purged).
	KeepReply(ctx context.Context, k *ReplyKey, reply []byte) error
	// DropReplyKey frees the key k reserved, so that the key can be used
	// again (after an error answer, which is not kept). It does nothing
	// when the reservation no longer holds the key.
	DropReplyKey(ctx context.Context, k *ReplyKey) error
}

// ReplyKey is an API request's Idempotency-Key as a ReplyStore keeps it.
type ReplyKey struct {
	// Scope is who sent the key to which route (the API key's id and the
	// request's path): the same key in another scope is another key.
	Scope string
	Key   string
	// Fingerprint is a hash of the request, to tell a repeat from another
	// request sent with the same key.
	Fingerprint []byte
	// CreatedAt is when the request reserved the key.
	CreatedAt time.Time
	// Reply is the kept answer, opaque to the store; nil while the
	// request runs.
	Reply []byte
}

// LeaseStore hands deliveries to the nodes that send them. A node owns a
// delivery while LeaseOwner is its id and LeaseUntil is in the future.
type LeaseStore interface {
	// ClaimDeliveries leases up to c.Limit deliveries that are due (pending
	// or failed with NextAttemptAt <= c.Now) and free (no owner, or a lease
	// that lapsed before c.Now) to c.Owner until c.Until, oldest due first.
	// Two concurrent claims never return the same delivery.
	ClaimDeliveries(ctx context.Context, c Claim) ([]*Claimed, error)
	// RenewLeases extends the leases c.Owner still holds among ids to
	// until, and returns the ids it renewed.
	RenewLeases(ctx context.Context, owner string, ids []string, until time.Time) ([]string, error)
	// ReleaseLeases frees the leases owner holds among ids, leaving their
	// state as it is, so that any node may claim them when due.
	ReleaseLeases(ctx context.Context, owner string, ids []string) error
	// Requeue makes the failed and dead deliveries that f selects due now,
	// leased to owner until until, and returns them with their events.
	// Deliveries whose lease is live at now are left alone: the node that
	// holds them retries them soon, and taking them would send them twice.
	Requeue(ctx context.Context, f RequeueFilter, owner string, now, until time.Time) ([]*Claimed, error)
}

// SourceStore keeps inbound sources and their request logs.
type SourceStore interface {
	// CreateSource fails with ECONFLICT when the id exists.
	CreateSource(ctx context.Context, s *Source) error
	// PutSource creates or replaces a source (used for configured ones).
	PutSource(ctx context.Context, s *Source) error
	GetSource(ctx context.Context, id string) (*Source, error)
	ListSources(ctx context.Context) ([]*Source, error)
	UpdateSource(ctx context.Context, s *Source) error
	DeleteSource(ctx context.Context, id string) error

	GetRequest(ctx context.Context, sourceID, id string) (*Request, error)
	ListRequests(ctx context.Context, f RequestFilter) ([]*Request, string, error)
	// PruneRejected deletes all but the newest keep rejected requests of a
	// source, and returns how many it deleted.
	PruneRejected(ctx context.Context, sourceID string, keep int) (int64, error)
}

// APIKeyStore keeps API keys. A key itself is never stored: only its keyed
// hash (HMAC-SHA256 under a random hashing key that the store keeps sealed
// under its master key), by which it is found.
type APIKeyStore interface {
	// CreateAPIKey stores k with the keyed hash of secret, the key as its
	// holder sends it. An empty ID gets a new one and a zero CreatedAt
	// becomes now; both are set on k. A secret already stored is
	// ECONFLICT.
	CreateAPIKey(ctx context.Context, k *APIKey, secret string) error
	// APIKeyBySecret returns the key whose secret this is, or ENOTFOUND.
	// The stored hash is compared in constant time. It does not check
	// expiry: see APIKey.Expired.
	APIKeyBySecret(ctx context.Context, secret string) (*APIKey, error)
	GetAPIKey(ctx context.Context, id string) (*APIKey, error)
	// ListAPIKeys lists every key, newest first.
	ListAPIKeys(ctx context.Context) ([]*APIKey, error)
	// DeleteAPIKey revokes a key, or fails with ENOTFOUND.
	DeleteAPIKey(ctx context.Context, id string) error
	// TouchAPIKey moves the key's LastUsedAt forward to at (never back);
	// a key that is gone is ENOTFOUND.
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}

// SecretStore re-encrypts the secrets a store keeps at rest: endpoint
// secrets, source specs and the API-key hashing key.
type SecretStore interface {
	// ResealSecrets seals again, under the store's current master key,
	// every secret sealed under another key (or left in clear by an
	// earlier version), and returns how many values it rewrote. It is
	// safe to run while other nodes serve, provided they accept both keys.
	ResealSecrets(ctx context.Context) (int, error)
}

// Batch is one transaction's worth of writes, gathered by a group commit.
type Batch struct {
	// KeysAfter: idempotency keys created at or before it have lapsed and
	// may be taken again.
	KeysAfter time.Time

	Events   []*EventWrite
	Requests []*RequestWrite
	Attempts []*Attempt
	Updates  []*DeliveryUpdate
}

// Len returns the number of writes in the batch.
func (b *Batch) Len() int {
	return len(b.Events) + len(b.Requests) + len(b.Attempts) + len(b.Updates)
}

// EventWrite is a new event with its deliveries.
type EventWrite struct {
	Event      *Event
	Deliveries []*Delivery
	// Key, when set, is taken atomically with the event; if a live record
	// holds it, nothing of this write is stored and Commit sets Duplicate.
	Key       *IdempotencyKey
	Duplicate bool
}

// RequestWrite is an inbound request with the events it gives rise to
// (forwards and republished events), stored together.
type RequestWrite struct {
	Request   *Request
	Events    []*EventWrite // their own Keys are ignored
	Key       *IdempotencyKey
	Duplicate bool
}

// IdempotencyKey records who first used a key within a scope: a publish key
// ("evt:" + tenant) or a source's de-duplication key ("src:" + source).
type IdempotencyKey struct {
	Scope       string
	Key         string
	RefID       string // the event or request that took it
	Fingerprint []byte // a hash of the first request, to compare repeats
	CreatedAt   time.Time
	// Reply is the answer kept for an API request's key, opened, as Exporter
	// gives it and Importer takes it (the store keeps it sealed).
	Reply []byte
}

// DeliveryUpdate records the outcome of an attempt, or another change of a
// delivery's state, by the node that holds its lease. It applies only while
// Owner still holds the lease, so that a node that lost its lease cannot
// overwrite the state written by the node that took it over.
type DeliveryUpdate struct {
	ID            string
	Owner         string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastAttemptAt time.Time
	// Release frees the lease; otherwise the lease runs until LeaseUntil.
	Release    bool
	LeaseUntil time.Time
	// Shape, when set, replaces the delivery's shape (a transform's
	// result, stored so that retries send the same request).
	Shape *Shape
}

// Claim says what ClaimDeliveries takes.
type Claim struct {
	Owner string
	Now   time.Time
	Until time.Time
	Limit int
}

// Claimed is a leased delivery with its event.
type Claimed struct {
	Delivery *Delivery
	Event    *Event
}

// EventFilter selects events of a tenant.
type EventFilter struct {
	TenantID string
	Types    []string  // any of these; empty: all
	After    time.Time // created at or after; zero: no bound
	Before   time.Time // created before; zero: no bound
	Page
}

// DeliveryFilter selects deliveries. Empty fields do not filter.
type DeliveryFilter struct {
	TenantID   string
	EventID    string
	EndpointID string
	Status     string
	Statuses   []string  // any of these states (with Status: both apply)
	EventTypes []string  // deliveries of events of any of these types
	Since      time.Time // created at or after
	Until      time.Time // created before
	Page
}

// AttemptFilter selects attempts. Empty fields do not filter.
type AttemptFilter struct {
	TenantID   string
	EventID    string
	EndpointID string
	DeliveryID string
	Page
}

// RequeueFilter selects failed and dead deliveries to send again. TenantID
// is required; the other fields narrow, empty ones do not filter. Since
// and Until bound the deliveries' creation time.
type RequeueFilter struct {
	TenantID   string
	EndpointID string
	EventID    string
	DeliveryID string
	// Succeeded also takes succeeded deliveries, to send them again.
	// Cancelled ones are never taken: their transform refused to send
	// them, and the request it was given is not kept.
	Succeeded  bool
	Since      time.Time // created at or after
	Until      time.Time // created before
	Statuses   []string  // only these of failed and dead (and succeeded)
	EventTypes []string  // only deliveries of events of these types
	// Before, when set, takes only deliveries whose id sorts before it;
	// with Limit, a bulk retry walks a large selection down by id.
	Before string
	// Limit, when above 0, takes at most that many deliveries, highest
	// ids first.
	Limit int
}

// RequestFilter selects inbound requests of a source.
type RequestFilter struct {
	SourceID string
	Accepted *bool // nil: both
	Status   int   // 0: any
	Page
}

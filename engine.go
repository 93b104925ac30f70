package hookd

import (
	"context"
	"encoding/json"
	"time"
)

// Engine is the delivery engine's entry point, through which the REST API
// and the inbound side hand it work. Package delivery implements it.
type Engine interface {
	// Publish validates, stores and schedules one event for every enabled
	// endpoint of the tenant whose filter admits its type. It returns once
	// the event and its deliveries are durable. With an idempotency key it
	// returns the first event again for a repeat with the same fingerprint
	// (Duplicate set), EMISMATCH for another fingerprint, and ECONFLICT
	// while the first is still being committed. When the engine is
	// saturated it returns EUNAVAILABLE without storing anything.
	Publish(ctx context.Context, p *Publish) (*PublishResult, error)

	// PublishBatch publishes up to MaxPublishBatch events all or none.
	// Every event is validated first, like Publish does, and any failure
	// is one EINVALID listing them all, each pointer prefixed with the
	// event's index in ps ("/3/data/amount", "/0/type"); then the new
	// events are stored with their deliveries in one durable write. The
	// results follow the order of ps. An idempotency key used before, or
	// by an earlier event of ps, with the same fingerprint makes a
	// duplicate (the first event, Duplicate set); with another
	// fingerprint it is a validation failure at the event's "/id". A key
	// still being committed by another request is ECONFLICT, saturation
	// EUNAVAILABLE: nothing is stored then. One race escapes the "all":
	// when another node takes a key between the check and the commit,
	// the event holding it is returned as a duplicate and the others are
	// stored.
	PublishBatch(ctx context.Context, ps []*Publish) ([]*PublishResult, error)

	// SendTest publishes a test event to one endpoint, whatever its filter
	// says, through its payload template and transform: a "webhook.test"
	// event by default, or an event of t.Type with t.Data, validated
	// against the catalog like a publish (EINVALID with pointers under
	// /data).
	SendTest(ctx context.Context, t *TestEvent) (*PublishResult, error)

	// Requeue sends again the failed and dead deliveries that f selects
	// (succeeded ones too with f.Succeeded), and returns how many it
	// queued. A delivery whose lease a live node holds is left to it.
	Requeue(ctx context.Context, f RequeueFilter) (int, error)

	// Receive stores an inbound request, with the forwards and events it
	// gives rise to, in one durable write, then delivers them. When in.Key
	// is held by an earlier request, nothing is stored and in.Duplicate is
	// set. Publishes are matched to endpoints like Publish does, without
	// idempotency keys; an invalid publish fails the whole call.
	Receive(ctx context.Context, in *Inbound) error

	// Invalidate tells the engine that endpoints or event types changed,
	// so that it reloads its routing cache before the next publish.
	Invalidate()
}

// Publish is a request to publish an event.
type Publish struct {
	TenantID string
	Type     string
	Data     json.RawMessage
	// IdempotencyKey is the producer's key, matching
	// IdempotencyKeyPattern; "" for none.
	IdempotencyKey string
	// EndpointID, when set, targets that one endpoint, ignoring filters.
	EndpointID string
	// Trace, when set, is the trace the event continues (an inbound
	// request's routing span); zero: the trace of the publish's context.
	Trace TraceContext
}

// MaxPublishBatch is the most events one PublishBatch takes.
const MaxPublishBatch = 1000

// PublishResult is what a publish produced.
type PublishResult struct {
	Event      *Event
	Deliveries int  // deliveries created
	Duplicate  bool // an earlier publish with the same key
}

// TestEvent is a test event for one endpoint. Type "" is TestEventType;
// Data nil is, for TestEventType, hookd's own test data, and is required
// for any other type.
type TestEvent struct {
	TenantID   string
	EndpointID string
	Type       string
	Data       json.RawMessage
}

// TestEventType is the type of the events sent by SendTest by default.
const TestEventType = "webhook.test"

// EndpointDisabledEventType is the operational event published to a
// tenant's endpoints when hookd disables one of them.
const EndpointDisabledEventType = "endpoint.disabled"

// Inbound is an accepted inbound request and what it is routed to.
type Inbound struct {
	Request *Request
	// Key de-duplicates the request ("src:" + source id scope).
	Key *IdempotencyKey
	// Forwards are deliveries of the request to operator-configured
	// destinations, resolved by the engine's forward resolver.
	Forwards []Forward
	// Publishes are outbound events made from the request.
	Publishes []*Publish
	// Duplicate is set by Receive when Key was already held.
	Duplicate bool
	// EventIDs are set by Receive: the ids of the events it created, one
	// per forward then one per publish.
	EventIDs []string
}

// Forward sends an inbound request's body on to a destination.
type Forward struct {
	// TargetID names the destination; the engine resolves it to an
	// Endpoint (not stored, not a tenant's) through its forward resolver.
	TargetID    string
	Body        []byte
	ContentType string
	Headers     map[string]string // original headers passed on (allowlisted)
	// Query is the request's raw query string, added to the
	// destination's URL.
	Query string
	// Trace, when set, is the trace the forward continues (its routing
	// span); zero: the trace of Receive's context.
	Trace TraceContext
}

// CheckFunc validates published data against the event catalog and
// returns the HTTP method deliveries of the type use ("" for POST). It
// returns an EINVALID error with pointers under /data, or /type for a type
// the catalog refuses.
type CheckFunc func(ctx context.Context, eventType string, data []byte) (method string, err error)

// DueNotifier is implemented by stores that can tell a node early that
// deliveries may have become claimable (PostgreSQL LISTEN/NOTIFY). Nodes
// still poll; a notification only shortens the wait.
type DueNotifier interface {
	// DueNotify returns a channel that receives when another node released
	// or stored unleased deliveries. It is closed when the store closes.
	DueNotify() <-chan struct{}
}

// NodeRegistry is implemented by stores that several nodes share
// (PostgreSQL), so that each node knows how many are alive and takes its
// share of per-endpoint limits. A store that one process owns (SQLite)
// reports a single node.
type NodeRegistry interface {
	// Heartbeat records that node is alive at now and returns how many
	// nodes, node included, sent a heartbeat within ttl before now.
	Heartbeat(ctx context.Context, node string, now time.Time, ttl time.Duration) (live int, err error)
	// Leave forgets node, which is stopping, so that the others stop
	// counting it at their next heartbeat.
	Leave(ctx context.Context, node string) error
}

// TransformResult is what an endpoint's transform made of a sample event:
// the request it would send, or the error it would record.
type TransformResult struct {
	Payload  json.RawMessage   // the body, as JSON; nil when the method carries none or on error
	Headers  map[string]string // headers the transform added
	Method   string
	Cancel   bool
	Logs     string
	Error    string // "transform: …" when it failed
	Duration time.Duration
}

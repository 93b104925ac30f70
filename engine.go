package hookd

import (
	"context"
	"encoding/json"
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

	// SendTest publishes a "webhook.test" event to one endpoint, whatever
	// its filter says.
	SendTest(ctx context.Context, tenantID, endpointID string) (*PublishResult, error)

	// Requeue sends again the failed and dead deliveries that f selects,
	// and returns how many it queued.
	Requeue(ctx context.Context, f RequeueFilter) (int, error)

	// Receive stores an inbound request with the events it gives rise to,
	// durably, then delivers those events. A write whose key is held is
	// marked Duplicate and not stored.
	Receive(ctx context.Context, w *RequestWrite) error

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
	// ^[A-Za-z0-9_:-]{1,64}$; "" for none.
	IdempotencyKey string
	// EndpointID, when set, targets that one endpoint, ignoring filters.
	EndpointID string
}

// PublishResult is what a publish produced.
type PublishResult struct {
	Event      *Event
	Deliveries int  // deliveries created
	Duplicate  bool // an earlier publish with the same key
}

// TestEventType is the type of the events sent by SendTest.
const TestEventType = "webhook.test"

// EndpointDisabledEventType is the operational event published to a
// tenant's endpoints when hookd disables one of them.
const EndpointDisabledEventType = "endpoint.disabled"

// Package storetest is the conformance suite of hookd.Store: every store
// backend calls Run from its tests, so that all of them keep one contract.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

// Opener returns a new, empty store (holding only the default tenant) for
// one test. It should close the store in t.Cleanup; the suite may close it
// first, so a second Close must be harmless.
type Opener func(t *testing.T) hookd.Store

// Run runs the whole suite against the stores open returns. Every subtest
// opens its own store and runs in parallel with the others.
func Run(t *testing.T, open func(t *testing.T) hookd.Store) {
	t.Helper()
	groups := []struct {
		name    string
		runFunc func(*testing.T, Opener)
	}{
		{"Tenants", testTenants},
		{"EventTypes", testEventTypes},
		{"ChangeSeq", testChangeSeq},
		{"Endpoints", testEndpoints},
		{"Commit", testCommit},
		{"Idempotency", testIdempotency},
		{"Replies", testReplies},
		{"Listings", testListings},
		{"Leases", testLeases},
		{"Concurrency", testConcurrency},
		{"Requeue", testRequeue},
		{"DeliveryFilters", testDeliveryFilters},
		{"RequeueBatches", testRequeueBatches},
		{"RetryJobs", testRetryJobs},
		{"Sources", testSources},
		{"Requests", testRequests},
		{"APIKeys", testAPIKeys},
		{"Shapes", testShapes},
		{"PortalTokens", testPortalTokens},
		{"PortalRedeemOnce", testPortalRedeemOnce},
		{"Purge", testPurge},
		{"Lifecycle", testLifecycle},
		{"CheckWrite", testCheckWrite},
		{"Copy", testCopy},
		{"QueueStats", testQueueStats},
		{"DisableAnnounced", testDisableAnnounced},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.runFunc(t, open) })
	}
}

// fixture is one subtest's store with a context and a reference time.
type fixture struct {
	t   *testing.T
	s   hookd.Store
	ctx context.Context
	// now is a reference time at millisecond precision, which every store
	// keeps exactly; test data is placed around it.
	now time.Time
}

// setup marks the subtest parallel and opens its store.
func setup(t *testing.T, open Opener) *fixture {
	t.Helper()
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	return &fixture{t: t, s: open(t), ctx: ctx, now: time.Now().UTC().Truncate(time.Millisecond)}
}

// at returns the reference time moved by d.
func (f *fixture) at(d time.Duration) time.Time { return f.now.Add(d) }

// requireCode fails unless err carries the hookd error code.
func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, hookd.ErrorCode(err), "error: %v", err)
}

var seq atomic.Int64

// uniq returns a name unique within the test binary.
func uniq(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, seq.Add(1))
}

func newTenant(t *testing.T, id string) *hookd.Tenant {
	t.Helper()
	return &hookd.Tenant{ID: id, Metadata: json.RawMessage(`{"plan":"pro","seats":3}`)}
}

// putTenant stores a new tenant.
func (f *fixture) putTenant(id string) *hookd.Tenant {
	f.t.Helper()
	tn := newTenant(f.t, id)
	created, err := f.s.PutTenant(f.ctx, tn)
	require.NoError(f.t, err)
	require.True(f.t, created)
	return tn
}

func newEventType(t *testing.T, name string) *hookd.EventType {
	t.Helper()
	return &hookd.EventType{
		Name:        name,
		Description: "An invoice was paid.",
		Group:       "billing",
		Schema:      json.RawMessage(`{"type":"object","properties":{"amount":{"type":"integer"}}}`),
		Examples:    []json.RawMessage{json.RawMessage(`{"amount":1}`), json.RawMessage(`{"amount":2}`)},
		Deprecated:  true,
		Methods:     []string{"GET", "POST"},
	}
}

// newEndpoint returns an endpoint of tenant with every field set.
func newEndpoint(t *testing.T, tenant string) *hookd.Endpoint {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	return &hookd.Endpoint{
		ID:             hookd.NewID(hookd.PrefixEndpoint),
		TenantID:       tenant,
		URL:            "https://example.com/hooks/" + uniq("ep"),
		Description:    "orders service",
		EventTypes:     []string{"invoice.paid", "order.*"},
		Headers:        map[string]string{"X-Team": "billing", "Authorization": "Bearer t"},
		Signature:      hookd.SignatureConfig{Scheme: hookd.SchemeHMACSHA256, Header: "X-Sig", Prefix: "sha256="},
		Payload:        hookd.PayloadTemplate,
		Template:       json.RawMessage(`{"id":"{{event.id}}","data":"{{event.data}}"}`),
		Transform:      "function handler(w) { return w }",
		Filter:         "event.data.amount > 10",
		Method:         "PUT",
		Timeout:        15 * time.Second,
		RateLimit:      12.5,
		MaxConcurrency: 7,
		RetrySchedule:  []time.Duration{time.Second, 90 * time.Second, 2 * time.Hour},
		Enabled:        true,
		DisabledReason: "",
		FailingSince:   now.Add(-time.Hour),
		Metadata:       json.RawMessage(`{"owner":"team-a"}`),
		Secrets: []hookd.Secret{
			{Value: "whsec_b2xkc2VjcmV0b2xkc2VjcmV0", CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(24 * time.Hour)},
			{Value: "whsec_bmV3c2VjcmV0bmV3c2VjcmV0", CreatedAt: now},
		},
	}
}

// createEndpoint stores a new endpoint of tenant.
func (f *fixture) createEndpoint(tenant string) *hookd.Endpoint {
	f.t.Helper()
	e := newEndpoint(f.t, tenant)
	require.NoError(f.t, f.s.CreateEndpoint(f.ctx, e))
	return e
}

// newEvent returns an event of tenant with its payload rendered and Data
// a sub-slice of it, created at the reference time.
func (f *fixture) newEvent(tenant, typ string) *hookd.Event {
	f.t.Helper()
	return newEventAt(f.t, tenant, typ, f.now)
}

func newEventAt(t *testing.T, tenant, typ string, created time.Time) *hookd.Event {
	t.Helper()
	data := fmt.Appendf(nil, `{"amount":1234,"n":%d,"note":"héllo"}`, seq.Add(1))
	payload, start := hookd.RenderPayload(typ, created, data)
	return &hookd.Event{
		ID:             hookd.NewID(hookd.PrefixEvent),
		TenantID:       tenant,
		Type:           typ,
		Data:           payload[start : start+len(data)],
		Payload:        payload,
		CreatedAt:      created,
		IdempotencyKey: "",
		Method:         "POST",
		ContentType:    "application/json",
		Headers:        map[string]string{"X-Trace": "abc"},
	}
}

// newDelivery returns a pending delivery of ev to endpoint, due at the
// event's creation and free.
func newDelivery(t *testing.T, ev *hookd.Event, endpoint string) *hookd.Delivery {
	t.Helper()
	return &hookd.Delivery{
		ID:            hookd.NewID(hookd.PrefixDelivery),
		EventID:       ev.ID,
		EndpointID:    endpoint,
		TenantID:      ev.TenantID,
		Status:        hookd.StatusPending,
		NextAttemptAt: ev.CreatedAt,
		CreatedAt:     ev.CreatedAt,
		UpdatedAt:     ev.CreatedAt,
	}
}

// newAttempt returns attempt number n of d, with every field set.
func newAttempt(t *testing.T, d *hookd.Delivery, n int, started time.Time) *hookd.Attempt {
	t.Helper()
	return &hookd.Attempt{
		ID:             hookd.NewID(hookd.PrefixAttempt),
		DeliveryID:     d.ID,
		EventID:        d.EventID,
		EndpointID:     d.EndpointID,
		TenantID:       d.TenantID,
		Number:         n,
		StartedAt:      started,
		Latency:        1234567 * time.Nanosecond,
		URL:            "https://example.com/hooks",
		RequestHeaders: map[string]string{"webhook-id": d.EventID, "content-type": "application/json"},
		ResponseStatus: 503,
		ResponseBody:   []byte("busy\x00\xff"),
		Error:          "",
	}
}

// commit commits b and fails the test on error.
func (f *fixture) commit(b *hookd.Batch) {
	f.t.Helper()
	require.NoError(f.t, f.s.Commit(f.ctx, b))
}

// publish commits one event of tenant with a pending, free delivery to
// each endpoint, all due at due.
func (f *fixture) publish(tenant string, due time.Time, endpoints ...string) (*hookd.Event, []*hookd.Delivery) {
	f.t.Helper()
	ev := f.newEvent(tenant, "invoice.paid")
	ds := make([]*hookd.Delivery, len(endpoints))
	for i, ep := range endpoints {
		ds[i] = newDelivery(f.t, ev, ep)
		ds[i].NextAttemptAt = due
	}
	f.commit(&hookd.Batch{Events: []*hookd.EventWrite{{Event: ev, Deliveries: ds}}})
	return ev, ds
}

func newSource(t *testing.T, id string) *hookd.Source {
	t.Helper()
	return &hookd.Source{
		ID:          id,
		Description: "GitHub webhooks",
		Spec:        json.RawMessage(`{"provider":"github","max_body":"1MiB"}`),
	}
}

// createSource stores a new source for each id.
func (f *fixture) createSource(ids ...string) {
	f.t.Helper()
	for _, id := range ids {
		require.NoError(f.t, f.s.CreateSource(f.ctx, newSource(f.t, id)))
	}
}

// newRequest returns an inbound request of source with every field set.
func newRequest(t *testing.T, source string, received time.Time, accepted bool, status int) *hookd.Request {
	t.Helper()
	r := &hookd.Request{
		ID:         hookd.NewID(hookd.PrefixRequest),
		SourceID:   source,
		ReceivedAt: received,
		Method:     "POST",
		Path:       "/in/" + source,
		Query:      "a=1&b=2",
		Headers:    map[string]string{"content-type": "application/json", "x-github-event": "push"},
		Body:       []byte(`{"zen":"Keep it logically awesome."}`),
		RemoteIP:   "203.0.113.7",
		Status:     status,
		Accepted:   accepted,
		Verified:   "github",
		DedupeKey:  uniq("gh"),
	}
	if !accepted {
		r.Code, r.Reason = hookd.EUNAUTHORIZED, "bad signature"
	}
	return r
}

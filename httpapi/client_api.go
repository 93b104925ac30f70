package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ListOptions selects a page: Limit 0 means the server's default (50),
// Cursor "" the first page.
type ListOptions struct {
	Limit  int
	Cursor string
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.Limit != 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	return q
}

// EventListOptions filters ListEvents: any of Types, created at or after
// After, before Before (zero: no bound).
type EventListOptions struct {
	ListOptions
	Types  []string
	After  time.Time
	Before time.Time
}

// AttemptListOptions filters ListAttempts: Status "succeeded", "failed" or
// "" for all.
type AttemptListOptions struct {
	ListOptions
	Status string
}

// RequestListOptions filters ListRequests: Accepted nil for both, Status 0
// for any.
type RequestListOptions struct {
	ListOptions
	Accepted *bool
	Status   int
}

// fetchList fetches one page of a listing.
func fetchList[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, string, error) {
	var l List[T]
	if _, err := c.do(ctx, call{method: http.MethodGet, path: path, query: q}, &l); err != nil {
		return nil, "", err
	}
	next := ""
	if l.NextCursor != nil {
		next = *l.NextCursor
	}
	return l.Data, next, nil
}

// get fetches one resource.
func get[T any](ctx context.Context, c *Client, path string) (*T, error) {
	var v T
	if _, err := c.do(ctx, call{method: http.MethodGet, path: path}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// send runs a call with a body (or none) and decodes the answer.
func send[T any](ctx context.Context, c *Client, k call) (*T, error) {
	var v T
	if _, err := c.do(ctx, k, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) del(ctx context.Context, path string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: path}, nil)
	return err
}

// patch sends a JSON Merge Patch: patch is encoded with encoding/json (a
// map with nil values removes fields; a json.RawMessage is sent as is).
func patch[T any](ctx context.Context, c *Client, path string, p any) (*T, error) {
	return send[T](ctx, c, call{method: http.MethodPatch, path: path, body: p, contentType: "application/merge-patch+json"})
}

// CreateEventType creates an event type.
func (c *Client) CreateEventType(ctx context.Context, in EventTypeInput, opts ...CallOption) (*EventType, error) {
	return send[EventType](ctx, c, call{method: http.MethodPost, path: "/v1/event-types", body: in, key: callOpts(opts).idempotencyKey})
}

// ListEventTypes lists event types by name.
func (c *Client) ListEventTypes(ctx context.Context, o ListOptions) ([]EventType, string, error) {
	return fetchList[EventType](ctx, c, "/v1/event-types", o.values())
}

// GetEventType returns an event type.
func (c *Client) GetEventType(ctx context.Context, name string) (*EventType, error) {
	return get[EventType](ctx, c, eventTypePath(name))
}

// PatchEventType applies a JSON Merge Patch to an event type.
func (c *Client) PatchEventType(ctx context.Context, name string, p any) (*EventType, error) {
	return patch[EventType](ctx, c, eventTypePath(name), p)
}

// DeleteEventType deletes an event type.
func (c *Client) DeleteEventType(ctx context.Context, name string) error {
	return c.del(ctx, eventTypePath(name))
}

// PutTenant creates the tenant or updates it, and reports whether it was
// created. A nil in sends no body (an existing tenant keeps its metadata).
func (c *Client) PutTenant(ctx context.Context, id string, in *TenantInput) (*Tenant, bool, error) {
	var t Tenant
	k := call{method: http.MethodPut, path: tenantPath(id)}
	if in != nil {
		k.body = in
	}
	status, err := c.do(ctx, k, &t)
	if err != nil {
		return nil, false, err
	}
	return &t, status == http.StatusCreated, nil
}

// GetTenant returns a tenant.
func (c *Client) GetTenant(ctx context.Context, id string) (*Tenant, error) {
	return get[Tenant](ctx, c, tenantPath(id))
}

// ListTenants lists tenants by id, descending.
func (c *Client) ListTenants(ctx context.Context, o ListOptions) ([]Tenant, string, error) {
	return fetchList[Tenant](ctx, c, "/v1/tenants", o.values())
}

// DeleteTenant deletes a tenant with its endpoints and events.
func (c *Client) DeleteTenant(ctx context.Context, id string) error {
	return c.del(ctx, tenantPath(id))
}

// CreateEndpoint creates an endpoint; the answer carries its secret, which
// is not shown again.
func (c *Client) CreateEndpoint(ctx context.Context, tenant string, in EndpointInput, opts ...CallOption) (*Endpoint, error) {
	return send[Endpoint](ctx, c, call{method: http.MethodPost, path: tenantPath(tenant) + "/endpoints",
		body: in, key: callOpts(opts).idempotencyKey})
}

// ListEndpoints lists a tenant's endpoints, newest first.
func (c *Client) ListEndpoints(ctx context.Context, tenant string, o ListOptions) ([]Endpoint, string, error) {
	return fetchList[Endpoint](ctx, c, tenantPath(tenant)+"/endpoints", o.values())
}

// GetEndpoint returns an endpoint (with its secret's prefix only).
func (c *Client) GetEndpoint(ctx context.Context, tenant, id string) (*Endpoint, error) {
	return get[Endpoint](ctx, c, endpointPath(tenant, id))
}

// PatchEndpoint applies a JSON Merge Patch to an endpoint.
func (c *Client) PatchEndpoint(ctx context.Context, tenant, id string, p any) (*Endpoint, error) {
	return patch[Endpoint](ctx, c, endpointPath(tenant, id), p)
}

// DeleteEndpoint deletes an endpoint.
func (c *Client) DeleteEndpoint(ctx context.Context, tenant, id string) error {
	return c.del(ctx, endpointPath(tenant, id))
}

// RotateSecret gives the endpoint a new secret and returns it; the old
// ones keep signing for 24 hours.
func (c *Client) RotateSecret(ctx context.Context, tenant, id string, opts ...CallOption) (string, error) {
	res, err := send[SecretResult](ctx, c, call{method: http.MethodPost,
		path: endpointPath(tenant, id) + "/rotate-secret", key: callOpts(opts).idempotencyKey})
	if err != nil {
		return "", err
	}
	return res.Secret, nil
}

// SendTest sends a webhook.test event to the endpoint and returns it.
func (c *Client) SendTest(ctx context.Context, tenant, id string, opts ...CallOption) (*Event, error) {
	return send[Event](ctx, c, call{method: http.MethodPost, path: endpointPath(tenant, id) + "/test",
		key: callOpts(opts).idempotencyKey})
}

// SendTestEvent sends a test event of the input's type (webhook.test when
// empty) with its data (the type's catalog example when empty) to the
// endpoint, and returns it.
func (c *Client) SendTestEvent(ctx context.Context, tenant, id string, in TestEventInput, opts ...CallOption) (*Event, error) {
	return send[Event](ctx, c, call{method: http.MethodPost, path: endpointPath(tenant, id) + "/test",
		body: in, key: callOpts(opts).idempotencyKey})
}

// RecoverEndpoint sends again the endpoint's failed and dead deliveries
// created since since, and returns how many were queued.
func (c *Client) RecoverEndpoint(ctx context.Context, tenant, id string, since time.Time, opts ...CallOption) (int, error) {
	res, err := send[Queued](ctx, c, call{method: http.MethodPost, path: endpointPath(tenant, id) + "/recover",
		body: RecoverInput{Since: &since}, key: callOpts(opts).idempotencyKey})
	if err != nil {
		return 0, err
	}
	return res.Queued, nil
}

// ListAttempts lists an endpoint's attempts, newest first.
func (c *Client) ListAttempts(ctx context.Context, tenant, endpointID string, o AttemptListOptions) ([]Attempt, string, error) {
	q := o.values()
	if o.Status != "" {
		q.Set("status", o.Status)
	}
	return fetchList[Attempt](ctx, c, endpointPath(tenant, endpointID)+"/attempts", q)
}

// Publish publishes an event of type typ with data (encoded with
// encoding/json; a json.RawMessage is sent as is). With
// WithIdempotencyKey, a repeat within 24 h returns the first event, and the
// call is retried on failure.
func (c *Client) Publish(ctx context.Context, tenant, typ string, data any, opts ...PublishOption) (*Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("hookd: encode event data: %w", err)
	}
	return send[Event](ctx, c, call{method: http.MethodPost, path: tenantPath(tenant) + "/events",
		body: PublishInput{Type: typ, Data: raw}, key: callOpts(opts).idempotencyKey})
}

// PublishBatch publishes 1 to 1000 events (hookd.MaxPublishBatch) in one
// request, all or none, and returns their ids in order, each created or
// duplicate (its ID, the idempotency key, was seen within 24 h, here
// or earlier in events). A failure of any event is a 422 *Problem listing
// every one, pointers under /events/{i}, and nothing is stored. The call
// is retried on failure when every event has an ID (the events a lost
// answer's attempt stored then come back as duplicates), or with
// WithIdempotencyKey (which names the whole request).
func (c *Client) PublishBatch(ctx context.Context, tenant string, events []PublishInput, opts ...CallOption) ([]PublishedEvent, error) {
	safe := len(events) > 0
	for _, e := range events {
		safe = safe && e.ID != ""
	}
	res, err := send[PublishBatchResult](ctx, c, call{method: http.MethodPost, path: tenantPath(tenant) + "/events/batch",
		body: PublishBatchInput{Events: events}, key: callOpts(opts).idempotencyKey, safe: safe})
	if err != nil {
		return nil, err
	}
	return res.Events, nil
}

// ListEvents lists a tenant's events, newest first.
func (c *Client) ListEvents(ctx context.Context, tenant string, o EventListOptions) ([]Event, string, error) {
	q := o.values()
	for _, t := range o.Types {
		q.Add("type", t)
	}
	if !o.After.IsZero() {
		q.Set("after", o.After.Format(time.RFC3339Nano))
	}
	if !o.Before.IsZero() {
		q.Set("before", o.Before.Format(time.RFC3339Nano))
	}
	return fetchList[Event](ctx, c, tenantPath(tenant)+"/events", q)
}

// GetEvent returns an event with its deliveries and their attempts.
func (c *Client) GetEvent(ctx context.Context, tenant, id string) (*EventDetail, error) {
	return get[EventDetail](ctx, c, tenantPath(tenant)+"/events/"+url.PathEscape(id))
}

// RetryEvent sends again the event's failed and dead deliveries, and
// returns how many were queued.
func (c *Client) RetryEvent(ctx context.Context, tenant, id string, opts ...CallOption) (int, error) {
	res, err := send[Queued](ctx, c, call{method: http.MethodPost,
		path: tenantPath(tenant) + "/events/" + url.PathEscape(id) + "/retry", key: callOpts(opts).idempotencyKey})
	if err != nil {
		return 0, err
	}
	return res.Queued, nil
}

// RetryDelivery sends again the event's delivery to one endpoint, a
// succeeded one too when includeSucceeded; it is a 409 problem when that
// delivery is pending, cancelled, succeeded without includeSucceeded, or
// held by a node that is sending it.
func (c *Client) RetryDelivery(ctx context.Context, tenant, event, endpoint string, includeSucceeded bool, opts ...CallOption) (int, error) {
	res, err := send[Queued](ctx, c, call{method: http.MethodPost,
		path: tenantPath(tenant) + "/events/" + url.PathEscape(event) + "/retry",
		body: RetryEventInput{EndpointID: endpoint, IncludeSucceeded: includeSucceeded}, key: callOpts(opts).idempotencyKey})
	if err != nil {
		return 0, err
	}
	return res.Queued, nil
}

// CreateSource creates an inbound source.
func (c *Client) CreateSource(ctx context.Context, in Source, opts ...CallOption) (*Source, error) {
	in.CreatedAt, in.UpdatedAt = time.Time{}, time.Time{}
	return send[Source](ctx, c, call{method: http.MethodPost, path: "/v1/sources", body: in, key: callOpts(opts).idempotencyKey})
}

// ListSources lists sources by id.
func (c *Client) ListSources(ctx context.Context, o ListOptions) ([]Source, string, error) {
	return fetchList[Source](ctx, c, "/v1/sources", o.values())
}

// GetSource returns a source.
func (c *Client) GetSource(ctx context.Context, id string) (*Source, error) {
	return get[Source](ctx, c, sourcePath(id))
}

// PatchSource applies a JSON Merge Patch to a source.
func (c *Client) PatchSource(ctx context.Context, id string, p any) (*Source, error) {
	return patch[Source](ctx, c, sourcePath(id), p)
}

// DeleteSource deletes a source.
func (c *Client) DeleteSource(ctx context.Context, id string) error {
	return c.del(ctx, sourcePath(id))
}

// ListRequests lists a source's request log, newest first.
func (c *Client) ListRequests(ctx context.Context, sourceID string, o RequestListOptions) ([]Request, string, error) {
	q := o.values()
	if o.Accepted != nil {
		q.Set("accepted", strconv.FormatBool(*o.Accepted))
	}
	if o.Status != 0 {
		q.Set("status", strconv.Itoa(o.Status))
	}
	return fetchList[Request](ctx, c, sourcePath(sourceID)+"/requests", q)
}

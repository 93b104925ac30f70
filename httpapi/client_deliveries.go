package httpapi

import (
	"context"
	"maps"
	"net/http"
	"net/url"
)

// DeliveryListOptions filters ListDeliveries.
type DeliveryListOptions struct {
	ListOptions
	DeliveryFilter
}

// ListDeliveries lists a tenant's deliveries across events, newest first.
// Pass the same filter with each page's cursor.
func (c *Client) ListDeliveries(ctx context.Context, tenant string, o DeliveryListOptions) ([]Delivery, string, error) {
	q := o.ListOptions.values()
	maps.Copy(q, o.DeliveryFilter.Values())
	return fetchList[Delivery](ctx, c, tenantPath(tenant)+"/deliveries", q)
}

// RetryDeliveries starts a bulk retry of the tenant's failed and dead
// deliveries that f selects (no Status: both), and returns the job with
// its id and how many deliveries it selected. It runs in the background:
// GetRetryJob reports its progress.
func (c *Client) RetryDeliveries(ctx context.Context, tenant string, f DeliveryFilter, opts ...CallOption) (*RetryJob, error) {
	return send[RetryJob](ctx, c, call{method: http.MethodPost, path: tenantPath(tenant) + "/deliveries/retry",
		body: f, key: callOpts(opts).idempotencyKey})
}

// GetRetryJob returns a bulk retry's progress.
func (c *Client) GetRetryJob(ctx context.Context, tenant, id string) (*RetryJob, error) {
	return get[RetryJob](ctx, c, tenantPath(tenant)+"/deliveries/retry/"+url.PathEscape(id))
}

// ReplayRequest routes a stored inbound request of a source again, and
// returns the new request's id and the events it made.
func (c *Client) ReplayRequest(ctx context.Context, sourceID, requestID string, opts ...CallOption) (*Replayed, error) {
	return send[Replayed](ctx, c, call{method: http.MethodPost,
		path: sourcePath(sourceID) + "/requests/" + url.PathEscape(requestID) + "/replay", key: callOpts(opts).idempotencyKey})
}

// RotateSecretTo makes secret the endpoint's newest secret (see
// RotateSecret): a whsec_ secret ("whsec_" and the base64 of 24 to 64
// bytes), or for the hmac-sha256 scheme any 8 to 256 printable ASCII
// characters; the old ones keep signing for 24 hours.
func (c *Client) RotateSecretTo(ctx context.Context, tenant, id, secret string, opts ...CallOption) (string, error) {
	res, err := send[SecretResult](ctx, c, call{method: http.MethodPost, path: endpointPath(tenant, id) + "/rotate-secret",
		body: RotateSecretInput{Secret: secret}, key: callOpts(opts).idempotencyKey})
	if err != nil {
		return "", err
	}
	return res.Secret, nil
}

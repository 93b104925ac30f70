package httpapi

import (
	"context"
	"net/http"
)

// CreateAPIKey creates an API key; the answer's Key is the key itself,
// which is not shown again.
func (c *Client) CreateAPIKey(ctx context.Context, in APIKeyInput, opts ...CallOption) (*APIKey, error) {
	return send[APIKey](ctx, c, call{method: http.MethodPost, path: "/v1/api-keys", body: in,
		key: callOpts(opts).idempotencyKey})
}

// ListAPIKeys lists the API keys, newest first, without the keys
// themselves.
func (c *Client) ListAPIKeys(ctx context.Context, o ListOptions) ([]APIKey, string, error) {
	return fetchList[APIKey](ctx, c, "/v1/api-keys", o.values())
}

// GetAPIKey returns an API key, without the key itself.
func (c *Client) GetAPIKey(ctx context.Context, id string) (*APIKey, error) {
	return get[APIKey](ctx, c, apiKeyPath(id))
}

// RevokeAPIKey deletes an API key: every node refuses it within 2 seconds.
func (c *Client) RevokeAPIKey(ctx context.Context, id string) error {
	return c.del(ctx, apiKeyPath(id))
}

// RevealSecret returns the endpoint's secrets: the newest, and every one
// that signs deliveries now.
func (c *Client) RevealSecret(ctx context.Context, tenant, id string) (*RevealedSecret, error) {
	return send[RevealedSecret](ctx, c, call{method: http.MethodPost, path: endpointPath(tenant, id) + "/secret/reveal"})
}

package httpapi

import (
	"context"
	"net/http"
)

// RotateSecretTo makes secret the endpoint's newest secret (see
// RotateSecret): a whsec_ secret, or for the hmac-sha256 scheme any 8 to
// 256 printable ASCII characters.
func (c *Client) RotateSecretTo(ctx context.Context, tenant, id, secret string, opts ...CallOption) error {
	_, err := send[SecretResult](ctx, c, call{method: http.MethodPost, body: RotateSecretInput{Secret: secret},
		path: endpointPath(tenant, id) + "/rotate-secret", key: callOpts(opts).idempotencyKey})
	return err
}

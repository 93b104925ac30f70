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

// TestTransform runs a transform on a sample event for the endpoint (see
// TransformTestInput), storing and sending nothing. A transform that
// fails is a result with Error set; code that does not compile is an
// EINVALID error at /code.
func (c *Client) TestTransform(ctx context.Context, tenant, id string, in TransformTestInput) (*TransformTestResult, error) {
	return send[TransformTestResult](ctx, c, call{method: http.MethodPost, body: in,
		path: endpointPath(tenant, id) + "/transform/test"})
}

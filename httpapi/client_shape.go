package httpapi

import (
	"context"
	"net/http"
)

// TestTransform runs a transform on a sample event for the endpoint (see
// TransformTestInput), storing and sending nothing. A transform that
// fails is a result with Error set; code that does not compile is an
// EINVALID error at /code.
func (c *Client) TestTransform(ctx context.Context, tenant, id string, in TransformTestInput) (*TransformTestResult, error) {
	return send[TransformTestResult](ctx, c, call{method: http.MethodPost, body: in,
		path: endpointPath(tenant, id) + "/transform/test"})
}

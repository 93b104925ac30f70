package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
)

// apiOp documents one route of the REST API for the OpenAPI document.
// TestOpenAPIRoutes checks that apiOps and Server.Routes list the same
// routes.
type apiOp struct {
	route   string // as registered: "POST /v1/event-types"
	id      string // operationId
	tag     string
	summary string
	query   []string     // names of components/parameters it takes
	body    reflect.Type // request body; nil: none
	// optionalBody: the body may be left out.
	optionalBody bool
	// patch: the body is a JSON Merge Patch of the resource.
	patch  bool
	status int          // the success status
	result reflect.Type // the success body; nil: none
	// alsoCreated: the operation answers 201 (with Location) when it
	// creates the resource, status otherwise.
	alsoCreated bool
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// Query parameters, as components/parameters names.
var (
	pageParams     = []string{"limit", "cursor"}
	eventParams    = []string{"limit", "cursor", "type", "after", "before"}
	attemptParams  = []string{"limit", "cursor", "attempt-status"}
	requestParams  = []string{"limit", "cursor", "accepted", "request-status"}
	filterParams   = []string{"delivery-status", "endpoint_id", "event_type", "since", "until"}
	deliveryParams = append([]string{"limit", "cursor"}, filterParams...)
)

// apiOps are the REST API's routes, documented.
var apiOps = []apiOp{
	{route: "POST /v1/event-types", id: "createEventType", tag: "event types", summary: "Create an event type",
		body: typeOf[EventTypeInput](), status: http.StatusCreated, result: typeOf[EventType]()},
	{route: "GET /v1/event-types", id: "listEventTypes", tag: "event types", summary: "List event types by name",
		query: pageParams, status: http.StatusOK, result: typeOf[List[EventType]]()},
	{route: "GET /v1/event-types/{name}", id: "getEventType", tag: "event types", summary: "Get an event type",
		status: http.StatusOK, result: typeOf[EventType]()},
	{route: "PUT /v1/event-types/{name}", id: "putEventType", tag: "event types",
		summary: "Create or replace an event type", body: typeOf[EventTypeInput](), status: http.StatusOK,
		result: typeOf[EventType](), alsoCreated: true},
	{route: "PATCH /v1/event-types/{name}", id: "patchEventType", tag: "event types", summary: "Change an event type",
		patch: true, status: http.StatusOK, result: typeOf[EventType]()},
	{route: "DELETE /v1/event-types/{name}", id: "deleteEventType", tag: "event types", summary: "Delete an event type",
		status: http.StatusNoContent},

	{route: "GET /v1/tenants", id: "listTenants", tag: "tenants", summary: "List tenants",
		query: pageParams, status: http.StatusOK, result: typeOf[List[Tenant]]()},
	{route: "PUT /v1/tenants/{tenant}", id: "putTenant", tag: "tenants", summary: "Create or update a tenant",
		body: typeOf[TenantInput](), optionalBody: true, status: http.StatusOK, result: typeOf[Tenant](), alsoCreated: true},
	{route: "GET /v1/tenants/{tenant}", id: "getTenant", tag: "tenants", summary: "Get a tenant",
		status: http.StatusOK, result: typeOf[Tenant]()},
	{route: "DELETE /v1/tenants/{tenant}", id: "deleteTenant", tag: "tenants",
		summary: "Delete a tenant with its endpoints and events", status: http.StatusNoContent},

	{route: "POST /v1/tenants/{tenant}/endpoints", id: "createEndpoint", tag: "endpoints",
		summary: "Create an endpoint; the answer shows its secret once", body: typeOf[EndpointInput](),
		status: http.StatusCreated, result: typeOf[Endpoint]()},
	{route: "GET /v1/tenants/{tenant}/endpoints", id: "listEndpoints", tag: "endpoints", summary: "List endpoints",
		query: pageParams, status: http.StatusOK, result: typeOf[List[Endpoint]]()},
	{route: "GET /v1/tenants/{tenant}/endpoints/{id}", id: "getEndpoint", tag: "endpoints", summary: "Get an endpoint",
		status: http.StatusOK, result: typeOf[Endpoint]()},
	{route: "PATCH /v1/tenants/{tenant}/endpoints/{id}", id: "patchEndpoint", tag: "endpoints",
		summary: "Change an endpoint", patch: true, status: http.StatusOK, result: typeOf[Endpoint]()},
	{route: "DELETE /v1/tenants/{tenant}/endpoints/{id}", id: "deleteEndpoint", tag: "endpoints",
		summary: "Delete an endpoint", status: http.StatusNoContent},
	{route: "POST /v1/tenants/{tenant}/endpoints/{id}/rotate-secret", id: "rotateSecret", tag: "endpoints",
		summary: "Give an endpoint a new secret; the old ones sign for 24 more hours",
		body:    typeOf[RotateSecretInput](), optionalBody: true, status: http.StatusOK, result: typeOf[SecretResult]()},
	{route: "POST /v1/tenants/{tenant}/endpoints/{id}/secret/reveal", id: "revealSecret", tag: "endpoints",
		summary: "Show an endpoint's secrets (an admin key, or the tenant's own key that is not read-only)",
		status:  http.StatusOK, result: typeOf[RevealedSecret]()},
	{route: "POST /v1/tenants/{tenant}/endpoints/{id}/test", id: "testEndpoint", tag: "endpoints",
		summary: "Send a test event to an endpoint, whatever its filter: webhook.test, or a catalog type with its example or the body's data",
		body:    typeOf[TestEventInput](), optionalBody: true, status: http.StatusAccepted, result: typeOf[Event]()},
	{route: "POST /v1/tenants/{tenant}/endpoints/{id}/transform/test", id: "testTransform", tag: "endpoints",
		summary: "Run a transform on a sample event for an endpoint, storing and sending nothing",
		body:    typeOf[TransformTestInput](), optionalBody: true, status: http.StatusOK, result: typeOf[TransformTestResult]()},
	{route: "POST /v1/tenants/{tenant}/endpoints/{id}/recover", id: "recoverEndpoint", tag: "endpoints",
		summary: "Send again an endpoint's failed and dead deliveries since a time", body: typeOf[RecoverInput](),
		status: http.StatusAccepted, result: typeOf[Queued]()},
	{route: "GET /v1/tenants/{tenant}/endpoints/{id}/attempts", id: "listAttempts", tag: "endpoints",
		summary: "List an endpoint's attempts", query: attemptParams, status: http.StatusOK, result: typeOf[List[Attempt]]()},

	{route: "POST /v1/tenants/{tenant}/events", id: "publish", tag: "events",
		summary: "Publish an event: 202 once it is stored durably", body: typeOf[PublishInput](),
		status: http.StatusAccepted, result: typeOf[Event]()},
	{route: "POST /v1/tenants/{tenant}/events/batch", id: "publishBatch", tag: "events",
		summary: "Publish 1 to 1000 events, all or none, in one durable write: 202 with their ids in order, each created or duplicate",
		body:    typeOf[PublishBatchInput](), status: http.StatusAccepted, result: typeOf[PublishBatchResult]()},
	{route: "GET /v1/tenants/{tenant}/events", id: "listEvents", tag: "events", summary: "List events",
		query: eventParams, status: http.StatusOK, result: typeOf[List[Event]]()},
	{route: "GET /v1/tenants/{tenant}/events/{id}", id: "getEvent", tag: "events",
		summary: "Get an event with its deliveries and attempts", status: http.StatusOK, result: typeOf[EventDetail]()},
	{route: "POST /v1/tenants/{tenant}/events/{id}/retry", id: "retryEvent", tag: "events",
		summary: "Send again an event's failed and dead deliveries (one endpoint's, succeeded ones too, when the body says so)",
		body:    typeOf[RetryEventInput](), optionalBody: true, status: http.StatusAccepted, result: typeOf[Queued]()},

	{route: "GET /v1/tenants/{tenant}/deliveries", id: "listDeliveries", tag: "deliveries",
		summary: "List deliveries across events, filtered by state, endpoint, event type and time",
		query:   deliveryParams, status: http.StatusOK, result: typeOf[List[Delivery]]()},
	{route: "POST /v1/tenants/{tenant}/deliveries/retry", id: "retryDeliveries", tag: "deliveries",
		summary: "Send again, in the background, the failed and dead deliveries a filter selects (query or body)",
		query:   filterParams, body: typeOf[DeliveryFilter](), optionalBody: true, status: http.StatusAccepted,
		result: typeOf[RetryJob]()},
	{route: "GET /v1/tenants/{tenant}/deliveries/retry/{id}", id: "getRetryJob", tag: "deliveries",
		summary: "Get the progress of a bulk retry", status: http.StatusOK, result: typeOf[RetryJob]()},

	{route: "POST /v1/tenants/{tenant}/portal", id: "createPortalLink", tag: "tenants",
		summary: "Make a single-use, short-lived link into the tenant's consumer portal (admin keys only)",
		body:    typeOf[PortalInput](), status: http.StatusCreated, result: typeOf[PortalLink]()},

	{route: "POST /v1/sources", id: "createSource", tag: "sources", summary: "Create an inbound source",
		body: typeOf[Source](), status: http.StatusCreated, result: typeOf[Source]()},
	{route: "GET /v1/sources", id: "listSources", tag: "sources", summary: "List sources by id",
		query: pageParams, status: http.StatusOK, result: typeOf[List[Source]]()},
	{route: "GET /v1/sources/{id}", id: "getSource", tag: "sources", summary: "Get a source",
		status: http.StatusOK, result: typeOf[Source]()},
	{route: "PATCH /v1/sources/{id}", id: "patchSource", tag: "sources", summary: "Change a source",
		patch: true, status: http.StatusOK, result: typeOf[Source]()},
	{route: "DELETE /v1/sources/{id}", id: "deleteSource", tag: "sources", summary: "Delete a source",
		status: http.StatusNoContent},
	{route: "GET /v1/sources/{id}/requests", id: "listRequests", tag: "sources",
		summary: "List a source's inbound requests", query: requestParams, status: http.StatusOK, result: typeOf[List[Request]]()},
	{route: "POST /v1/sources/{id}/requests/{rid}/replay", id: "replayRequest", tag: "sources",
		summary: "Route a stored inbound request again", status: http.StatusAccepted, result: typeOf[Replayed]()},

	{route: "POST /v1/api-keys", id: "createAPIKey", tag: "api keys",
		summary: "Create an API key; the answer shows the key once", body: typeOf[APIKeyInput](),
		status: http.StatusCreated, result: typeOf[APIKey]()},
	{route: "GET /v1/api-keys", id: "listAPIKeys", tag: "api keys", summary: "List API keys, newest first (never the keys)",
		query: pageParams, status: http.StatusOK, result: typeOf[List[APIKey]]()},
	{route: "GET /v1/api-keys/{id}", id: "getAPIKey", tag: "api keys", summary: "Get an API key (never the key)",
		status: http.StatusOK, result: typeOf[APIKey]()},
	{route: "DELETE /v1/api-keys/{id}", id: "revokeAPIKey", tag: "api keys",
		summary: "Revoke an API key: refused on every node within 2 seconds", status: http.StatusNoContent},
}

// opsRoute is an operational route served beside the API, without the
// API key.
type opsRoute struct {
	route, id, summary string
	contentType        string
	schema             json.RawMessage
	// optionalKey: the route may be put behind the API key by config.
	optionalKey bool
}

// opsRoutes are the routes hookd serves beside /v1/.
var opsRoutes = []opsRoute{
	{route: "GET /healthz", id: "healthz", summary: "The process is up", contentType: "application/json",
		schema: json.RawMessage(`{"type":"object","properties":{"status":{"const":"ok"}}}`)},
	{route: "GET /readyz", id: "readyz", summary: "The store answers (503 when it does not)", contentType: "application/json",
		schema: json.RawMessage(`{"type":"object","properties":{"status":{"const":"ok"}}}`)},
	{route: "GET /metrics", id: "metrics", summary: "Prometheus metrics", contentType: "text/plain",
		schema: json.RawMessage(`{"type":"string"}`), optionalKey: true},
	{route: "GET /openapi.json", id: "openapi", summary: "This OpenAPI document", contentType: "application/json",
		schema: json.RawMessage(`{"type":"object"}`)},
	{route: "GET /docs", id: "docs", summary: "The event catalog, as a page for people", contentType: "text/html",
		schema: json.RawMessage(`{"type":"string"}`)},
}

// OpsRoutes returns the operational routes the OpenAPI document describes
// beside the API's ("GET /healthz", …): cmd/hookd must serve each.
func OpsRoutes() []string {
	out := make([]string, len(opsRoutes))
	for i, r := range opsRoutes {
		out[i] = r.route
	}
	return out
}

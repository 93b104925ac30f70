// Package httpapi is hookd's REST API: an http.Handler serving everything
// under /v1/ (event types, tenants, endpoints, events, sources), and a typed
// Go client that shares its wire types.
//
// OpenAPI renders the OpenAPI 3.1 document of the API and of the webhooks
// of the event catalog; Server.OpenAPIHandler and Server.DocsHandler serve
// it and the catalog's page for people at /openapi.json and /docs. A test
// fails when a route is served but not documented, or the reverse.
// Publish and Client.RegisterCatalog use the Go types of package catalog.
//
// The server speaks JSON, authenticates every request with an API key
// (Authorization: Bearer; admin or scoped to one tenant, optionally
// read-only or expiring: see access.go for what each reaches), and answers every error, routing errors included,
// as RFC 9457 problem+json carrying hookd's error code (see Problem). Only
// this package maps hookd error codes to HTTP statuses (statusOf).
//
// Conventions fixed here:
//
//   - Validation pointers (errors[].pointer) are JSON Pointers into the
//     request as sent: "/url" for a body field, "/query/limit" for a query
//     parameter, "/path/tenant" for a path segment and
//     "/headers/idempotency-key" for a header. Every well-formed request that
//     breaks a rule, in the body, the query or the path, is 422; JSON that
//     cannot be parsed is 400.
//   - Listings take ?limit= (1..250, default 50; above 250 is clamped) and
//     ?cursor= and answer {"data": [...], "next_cursor": "…" | null}.
//     Endpoints, events, attempts and requests are listed newest first;
//     tenants by id descending; event types and sources by name and id
//     ascending (their store lists them whole; the server pages them).
//   - PATCH is a JSON Merge Patch (RFC 7396) applied to the resource's
//     current JSON; null removes an optional field.
//   - Idempotency-Key on POST /v1/tenants/{tenant}/events is the event's
//     idempotency key, kept durably by the engine; each event of a batch
//     (…/events/batch) has its own, its "id". On every other POST (the
//     batch itself included) it is kept in the store for 24 hours, per API
//     key and path, so every node and a restarted one honour it alike: a
//     repeat with the same query and body replays the first 2xx response
//     (status, headers and body, with Idempotent-Replayed: true), another
//     request is 422, a repeat while the first runs is 409. The kept
//     response is sealed under the master key, as it may carry a new
//     secret. Error responses are not kept. A key whose request has not
//     answered within 5 minutes (its node stopped) is free again.
//   - A body is read only up to Config.MaxBody (413 beyond), a batch
//     publish's up to Config.MaxBatchBody, each of its events up to MaxBody
//     (422 beyond, at the event). A body with a
//     Content-Type other than application/json (or */*+json) is 415; a body
//     without a Content-Type is read as JSON.
package httpapi
